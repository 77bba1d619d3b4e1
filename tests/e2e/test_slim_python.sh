#!/bin/sh
# e2e: `whittle slim` on a real Debian python3 image (mmdebstrap minbase + python3 + an
# app importing ~15 stdlib modules, 3 layers with whiteouts). The slimmed image must:
#   - pass independent checks (digests, diff_ids, tar) and `umoci unpack`, be one layer, be >= 8x smaller;
#   - run under podman (runc) as a non-root user with the original's exact stdout, also with the flags of
#     run-flags.txt (read-only root, cap-drop ALL, no-new-privileges) and with seccomp.json;
#   - keep the interpreter, the app, its data and imported modules; drop shells, apt, docs, man pages;
#   - carry Cmd/Env/WorkingDir over, the io.whittle.* labels and base.name/base.digest;
#   - come with report.json, run-flags.txt, securitycontext.yaml, seccomp.json and the profile;
#   - be reproducible: `whittle build` with the profile gives the same manifest digest, twice.
# And a slim whose verify must fail (the app's data file excluded) exits 1 and writes nothing.
set -eu
. "$(dirname "$0")/lib.sh"

e2e_slim_suite_start
e2e_require_whittle build

e2e_python_image
e2e_run "$E2E_IMG_NAME" >"$W/orig.out"
e2e_check "original prints the expected output" cmp -s "$W/orig.out" "$E2E_PYTHON_EXPECTED"

slim_ref=oci:$W/slim:latest
e2e_log "whittle slim $E2E_IMG_OCI"
start=$(date +%s)
rc=0
"$WHITTLE" slim "$E2E_IMG_OCI" -o "$slim_ref" --artifacts "$W/art" --syscalls >"$W/slim.out" 2>"$W/slim.err" || rc=$?
e2e_log "slim took $(($(date +%s) - start)) s, exit $rc"
cat "$W/slim.out"
[ "$rc" = 0 ] || { cat "$W/slim.err" >&2; e2e_fail "whittle slim exited $rc"; }
e2e_check "slim printed a summary" test -s "$W/slim.out"

# Independent checks of the written image.
e2e_check "slimmed layout verified (digests, sizes, diff_ids, tar)" e2e_verify_layout "$W/slim" latest
e2e_check "umoci unpack of the slimmed image" sh -c 'umoci unpack --image "$1:latest" "$2" >/dev/null' - "$W/slim" "$W/bundle"
rootfs=$W/bundle/rootfs
nl=$(skopeo inspect --raw "$slim_ref" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))')
e2e_check "one layer by default ($nl)" test "$nl" = 1

orig_bytes=$(e2e_uncompressed_bytes "$E2E_IMG_OCI_DIR")
slim_bytes=$(e2e_uncompressed_bytes "$W/slim")
orig_blob=$(e2e_image_bytes "$E2E_IMG_OCI_DIR")
slim_blob=$(e2e_image_bytes "$W/slim")
echo "size: uncompressed $orig_bytes -> $slim_bytes bytes; stored $orig_blob -> $slim_blob bytes"
e2e_check "at least 8x smaller uncompressed ($orig_bytes -> $slim_bytes)" test $((slim_bytes * 8)) -le "$orig_bytes"
e2e_check "at least 8x smaller stored ($orig_blob -> $slim_blob)" test $((slim_blob * 8)) -le "$orig_blob"

# What was kept and what was removed.
if [ -d "$rootfs" ]; then
  for p in /app/main.py /app/data.json /usr/lib/python3.11/json/__init__.py /usr/lib/python3.11/decimal.py \
    /usr/lib/python3.11/statistics.py; do
    e2e_check "kept $p" test -e "$rootfs$p"
  done
  e2e_check "kept the interpreter" sh -c 'ls "$1"/usr/bin/python3* >/dev/null 2>&1' - "$rootfs"
  e2e_check "kept libc" sh -c 'ls "$1"/usr/lib/x86_64-linux-gnu/libc.so.6 >/dev/null 2>&1' - "$rootfs"
  for p in /usr/bin/bash /usr/bin/apt /usr/bin/apt-get /usr/bin/dpkg /usr/bin/perl /usr/share/man /usr/share/doc \
    /usr/share/info /var/lib/apt /usr/lib/python3.11/unittest /usr/lib/python3.11/email/mime; do
    e2e_check "removed $p" test ! -e "$rootfs$p"
  done
  e2e_check "no shell left (/bin/sh, dash, bash)" sh -c '! ls "$1"/usr/bin/sh "$1"/usr/bin/dash "$1"/usr/bin/bash >/dev/null 2>&1' - "$rootfs"
  e2e_check "passwd names the non-root user" grep -q ':65532:' "$rootfs/etc/passwd"
fi

# Config carried over, user switched, labels.
keys='{k: c["config"].get(k) for k in ("Cmd", "Entrypoint", "Env", "WorkingDir")}'
e2e_check "Cmd, Entrypoint, Env, WorkingDir carried over" \
  test "$(e2e_config_field "$slim_ref" "$keys")" = "$(e2e_config_field "$E2E_IMG_OCI" "$keys")"
user=$(e2e_config_field "$slim_ref" 'c["config"].get("User", "")')
e2e_check "runs as 65532:65532 (User $user)" test "$user" = '"65532:65532"'
labels=$(e2e_config_field "$slim_ref" 'c["config"].get("Labels") or {}')
annotations=$(skopeo inspect --raw "$slim_ref" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get("annotations", {})))')
for l in io.whittle.read-only-rootfs io.whittle.writable-paths; do
  e2e_check "label $l" sh -c 'printf "%s" "$1" | grep -q "\"$2\""' - "$labels" "$l"
done
for a in org.opencontainers.image.base.name org.opencontainers.image.base.digest; do
  e2e_check "$a (label or annotation)" sh -c 'printf "%s %s" "$1" "$2" | grep -q "\"$3\""' - "$labels" "$annotations" "$a"
done
orig_digest=$(skopeo inspect --format '{{.Digest}}' "$E2E_IMG_OCI")
e2e_check "base.digest names the original ($orig_digest)" sh -c 'printf "%s %s" "$1" "$2" | grep -q "$3"' - "$labels" "$annotations" "$orig_digest"
hist=$(e2e_config_field "$slim_ref" 'c.get("history", [])[-1:]')
e2e_check "a history entry says what whittle did" sh -c 'printf "%s" "$1" | grep -qi whittle' - "$hist"

# Artifacts.
for f in report.json run-flags.txt securitycontext.yaml seccomp.json; do
  e2e_check "artifact $f" test -s "$W/art/$f"
done
e2e_check "report.json is JSON naming removal reasons" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = json.dumps(r)
assert "not-traced" in t or "strip:" in t, "no removal reason"
' "$W/art/report.json"
profile=$(grep -l 'whittle/profile/v1' "$W"/art/*.json 2>/dev/null | head -n1 || true)
e2e_check "the profile used is among the artifacts" test -n "$profile"
if [ -n "$profile" ]; then
  e2e_check "profile names the interpreter, the script and imported modules" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
paths = {f["path"] for f in p["files"]}
for want in ("/app/main.py", "/app/data.json", "/usr/lib/python3.11/json/__init__.py", "/usr/lib/python3.11/decimal.py"):
    assert want in paths, want
assert any(x.startswith("/usr/bin/python3") for x in paths), "no interpreter"
assert "/usr/bin/apt" not in paths and "/usr/lib/python3.11/unittest/__init__.py" not in paths
' "$profile"
fi
e2e_check "securitycontext.yaml is the restricted profile" sh -c '
  grep -q "runAsNonRoot: *true" "$1" && grep -q "allowPrivilegeEscalation: *false" "$1" &&
  grep -q "readOnlyRootFilesystem" "$1" && grep -q "ALL" "$1" && grep -q "seccompProfile" "$1"' - "$W/art/securitycontext.yaml"
e2e_check "seccomp.json: default deny, observed syscalls allowed" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["defaultAction"] in ("SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD"), s["defaultAction"]
names = {n for r in s["syscalls"] for n in r["names"] if r["action"] == "SCMP_ACT_ALLOW"}
for want in ("execve", "read", "write", "exit_group"):
    assert want in names, want
assert "openat" in names or "open" in names
assert "mount" not in names and "ptrace" not in names
' "$W/art/seccomp.json"

# podman runs it, as non-root, with the original's output.
id=$(e2e_pull "$slim_ref") || id=""
e2e_check "podman pulls the slimmed image" test -n "$id"
if [ -n "$id" ]; then
  e2e_run "$id" >"$W/slim-run.out" 2>"$W/slim-run.err" || true
  e2e_check "podman run of the slimmed image gives the original's output" cmp -s "$W/slim-run.out" "$W/orig.out"
  [ -s "$W/slim-run.err" ] && sed 's/^/    stderr: /' "$W/slim-run.err"
  e2e_check "the container runs as uid 65532" sh -c '[ "$(podman run --rm --network=none --entrypoint= "$1" /usr/bin/python3 -c "import os; print(os.getuid())")" = 65532 ]' - "$id"
  # The run flags whittle recommends (read-only root, tmpfs for written paths, cap-drop, no-new-privs).
  flags=$(python3 - "$W/art/run-flags.txt" <<'PY'
import shlex, sys
text = open(sys.argv[1]).read()
toks = shlex.split(text, comments=True)
value_flags = {"--tmpfs", "--user", "-u", "--cap-drop", "--cap-add", "--security-opt", "--mount", "-v", "--volume",
               "--env", "-e", "--read-only-tmpfs"}
out, i = [], 0
while i < len(toks) and toks[i] in ("podman", "docker", "run"):
    i += 1
while i < len(toks):
    t = toks[i]
    if not t.startswith("-"):
        break
    if t == "--rm":
        i += 1
        continue
    out.append(t)
    if "=" not in t and t in value_flags and i + 1 < len(toks):
        out.append(toks[i + 1])
        i += 1
    i += 1
print(shlex.join(out))
PY
) || flags=""
  echo "run-flags: $flags"
  e2e_check "run-flags.txt asks for --read-only, --cap-drop=ALL, no-new-privileges" sh -c '
    printf "%s" "$1" | grep -q -- "--read-only" && printf "%s" "$1" | grep -q "ALL" &&
    printf "%s" "$1" | grep -q "no-new-privileges"' - "$flags"
  # seccomp=PATH in run-flags points at the artifact; it is passed as given (an absolute path or relative to art/).
  net=--network=none
  case $flags in *--network*|*--net=*) net="" ;; esac
  # --read-only-tmpfs=false: no tmpfs podman adds on its own may hide a writable path run-flags.txt forgot.
  sh -c 'cd "$1" && eval "podman run --rm --read-only-tmpfs=false $2 $3 \"\$4\""' - "$W/art" "$net" "$flags" "$id" \
    >"$W/flags-run.out" 2>"$W/flags-run.err" || true
  e2e_check "podman run with run-flags.txt gives the original's output" cmp -s "$W/flags-run.out" "$W/orig.out"
  podman run --rm --network=none --security-opt "seccomp=$W/art/seccomp.json" "$id" >"$W/seccomp-run.out" 2>&1 || true
  e2e_check "podman run under seccomp.json gives the original's output" cmp -s "$W/seccomp-run.out" "$W/orig.out"
fi

# Reproducible: build from the same image and profile, twice: the same manifest digest as the slim.
if [ -n "$profile" ]; then
  slim_digest=$(skopeo inspect --format '{{.Digest}}' "$slim_ref")
  for n in 1 2; do
    rc=0
    "$WHITTLE" build "$E2E_IMG_OCI" --profile "$profile" -o "oci:$W/build$n:latest" --artifacts "$W/art-build$n" \
      >/dev/null 2>"$W/build.err" || rc=$?
    e2e_check "whittle build #$n exits 0 (got $rc)" test "$rc" = 0
  done
  d1=$(skopeo inspect --format '{{.Digest}}' "oci:$W/build1:latest" 2>/dev/null || echo none1)
  d2=$(skopeo inspect --format '{{.Digest}}' "oci:$W/build2:latest" 2>/dev/null || echo none2)
  e2e_check "build twice gives the same manifest digest ($d1)" test "$d1" = "$d2"
  e2e_check "build with the slim's profile gives the slim's digest ($slim_digest)" test "$d1" = "$slim_digest"
  # The docker-archive transport too (what `podman load` takes): written, loaded and run.
  rc=0
  "$WHITTLE" build "$E2E_IMG_OCI" --profile "$profile" -o "docker-archive:$W/slim.docker.tar:whittle-e2e/slim:py" \
    --artifacts "$W/art-docker" >/dev/null 2>"$W/build-docker.err" || rc=$?
  e2e_check "whittle build -o docker-archive exits 0 (got $rc)" test "$rc" = 0
  [ "$rc" = 0 ] || sed 's/^/    /' "$W/build-docker.err" | tail -n 3
  if [ -s "$W/slim.docker.tar" ]; then
    id=$(e2e_load "$W/slim.docker.tar") || id=""
    e2e_check "podman load of the docker-archive" test -n "$id"
    if [ -n "$id" ]; then
      e2e_run "$id" >"$W/docker-run.out" 2>/dev/null || true
      e2e_check "the loaded docker-archive gives the original's output" cmp -s "$W/docker-run.out" "$W/orig.out"
    fi
  fi
fi

# Verify catches a broken slim: without the app's data file the output differs -> exit 1, nothing written.
rc=0
"$WHITTLE" slim "$E2E_IMG_OCI" -o "oci:$W/broken:latest" --artifacts "$W/art-broken" \
  --exclude-pattern '/app/data.json' >"$W/broken.out" 2>"$W/broken.err" || rc=$?
e2e_check "slim with a failing verify exits 1 (got $rc)" test "$rc" = 1
e2e_check "slim with a failing verify writes no image" test ! -e "$W/broken"
e2e_check "the verify failure names the missing file" grep -q '/app/data.json' "$W/broken.err"
sed 's/^/    /' "$W/broken.err" | tail -n 15

e2e_finish
