#!/bin/sh
# e2e: a batch job whose shell entrypoint waits in a retry loop,
# `until getent hosts "$DB_HOST"; do sleep 0.1; done`, then does its work (sort, uniq, wc, sha256sum, cat).
# In the trace the first try succeeds, so neither `sleep` nor the give-up branch (`basename` in a `$(...)`)
# runs. `whittle slim` with default options must still keep them (the entrypoint script scan, reason
# `script-command`), pick a non-root user, and write hints that verify ran. The slimmed image then runs
# under podman with the exact line of run-flags.txt and prints what the original prints, on the path the
# trace took and on the path it did not (DB_HOST that never resolves, WAIT_TRIES=3).
set -eu
. "$(dirname "$0")/lib.sh"

e2e_slim_suite_start

e2e_retry_job_image

# run_job TAG LINE: runs the shell-quoted podman line LINE from the artifacts dir; stdout to $W/TAG.out,
# exit status to $W/TAG.rc, stderr to $W/TAG.err.
run_job() {
  _rc=0
  (cd "$W/art" 2>/dev/null || cd "$W"; eval "$2") >"$W/$1.out" 2>"$W/$1.err" || _rc=$?
  echo "$_rc" >"$W/$1.rc"
  echo "$1: exit $_rc, stdout $(wc -c <"$W/$1.out") bytes"
  sed 's/^/  | /' "$W/$1.out" "$W/$1.err"
}

# The original, as its image says (root, podman's defaults), on both paths.
run_job orig "podman run --rm --network=none $E2E_IMG_NAME"
run_job orig-retry "podman run --rm --network=none -e DB_HOST=never.invalid -e WAIT_TRIES=3 $E2E_IMG_NAME"
e2e_check "original: the job succeeds and prints its work" \
  sh -c 'test "$(cat "$1.rc")" = 0 && grep -q "^localhost resolves" "$1.out" && grep -q "job done" "$1.out"' - "$W/orig"
e2e_check "original: the untaken path gives up after 3 tries (exit 3, basename of the script)" \
  sh -c 'test "$(cat "$1.rc")" = 3 && grep -qx "gave up waiting for never.invalid after 3 tries (entrypoint.sh)" "$1.out"' \
  - "$W/orig-retry"

# The job runs to its end: no probes, default options.
e2e_hardening_slim
e2e_hardening_checks
rootfs=$W/bundle/rootfs

# The script scan: commands in the loop body and the give-up branch, which the trace never ran.
for p in /usr/bin/sleep /usr/bin/basename; do
  e2e_check "kept $p (script-command: in the script, not run in the trace)" test -e "$rootfs$p"
done
for p in /usr/bin/getent /usr/bin/sort /usr/bin/uniq /usr/bin/wc /usr/bin/sha256sum /usr/bin/cut /usr/bin/cat \
  /usr/local/bin/entrypoint.sh /app/data/words.txt; do
  e2e_check "kept $p (run in the trace)" test -e "$rootfs$p"
done
for p in /usr/bin/apt /usr/bin/dpkg /usr/bin/perl /usr/share/doc /usr/bin/bash; do
  e2e_check "removed $p" test ! -e "$rootfs$p"
done
n=$(e2e_kept_by_reason script-command)
e2e_check "report.json kept_by_reason script-command counts the scanned commands ($n paths)" test "$n" -ge 2
profile=$(grep -l 'whittle/profile/v1' "$W"/art/*.json 2>/dev/null | head -n1 || true)
if [ -n "$profile" ]; then
  e2e_check "the trace did not run sleep (so only the scan can have kept it)" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert not any(f["path"].endswith("/sleep") for f in p["files"]), "sleep was traced"
' "$profile"
fi

# The slimmed image with the exact run line; added: --network=none (the job needs no network).
id=$(e2e_pull "oci:$W/slim:latest") || id=""
e2e_check "podman takes the slimmed image" test -n "$id"
if [ -n "$id" ]; then
  line=$(e2e_run_line "$W/art" "$id" --network=none --read-only-tmpfs=false) || line=""
  e2e_check "run-flags.txt is one podman run line" test -n "$line"
  echo "added to the run line: --network=none, --read-only-tmpfs=false (no podman tmpfs beyond the hints)"
  run_job slim "$line"
  e2e_check "slimmed job: same exit status ($(cat "$W/slim.rc"))" cmp -s "$W/slim.rc" "$W/orig.rc"
  e2e_check "slimmed job: same stdout" cmp -s "$W/slim.out" "$W/orig.out"
  # The path the trace did not take: the loop sleeps, then gives up via basename. Files first (the run line
  # without its seccomp profile), then with everything run-flags.txt says.
  noseccomp=$(printf '%s' "$line" | sed 's/ --security-opt seccomp=seccomp.json//')
  run_job slim-retry-noseccomp "$(printf '%s' "$noseccomp" | sed "s| $id\$| -e DB_HOST=never.invalid -e WAIT_TRIES=3 $id|")"
  e2e_check "slimmed job, untaken retry path (run line without seccomp): same exit status and stdout" \
    sh -c 'cmp -s "$1.rc" "$2.rc" && cmp -s "$1.out" "$2.out"' - "$W/slim-retry-noseccomp" "$W/orig-retry"
  run_job slim-retry "$(printf '%s' "$line" | sed "s| $id\$| -e DB_HOST=never.invalid -e WAIT_TRIES=3 $id|")"
  e2e_check "slimmed job, untaken retry path (exact run line with seccomp.json): same exit status and stdout" \
    sh -c 'cmp -s "$1.rc" "$2.rc" && cmp -s "$1.out" "$2.out"' - "$W/slim-retry" "$W/orig-retry"
fi

e2e_finish
