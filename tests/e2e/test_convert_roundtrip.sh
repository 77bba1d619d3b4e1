#!/bin/sh
# e2e: a real multi-layer Debian python3 image (mmdebstrap minbase + podman build with a
# `RUN rm` layer of real whiteouts) goes through `whittle convert` to every transport (oci, oci-archive,
# docker-archive) and compression (gzip, zstd, none). Each result is checked by tools that are not whittle:
# skopeo inspect, an independent digest/diff_id walk (sha256sum, zcat, zstdcat, tar), umoci unpack (OCI
# layouts and archives with gzip or no compression; Debian's umoci 0.4.7 predates zstd), podman load
# (docker-archive) or podman pull, and podman run, whose output must equal the original's.
# Also: the diff_ids (content) never change, converting twice gives the same manifest digest and the same
# archive bytes, `whittle inspect --json` lists the layers, and bad inputs (truncated archive, corrupted
# blob) exit 1 and leave nothing at the destination.
set -eu
. "$(dirname "$0")/lib.sh"

e2e_require podman skopeo umoci python3 zcat zstdcat tar
e2e_require_root
e2e_require_whittle convert inspect
e2e_workdir
W=$E2E_WORK

e2e_python_image
e2e_log "image $E2E_IMG_NAME ($E2E_IMG_DIR)"

# The original's behaviour, and the expected output committed beside the app.
e2e_run "$E2E_IMG_NAME" >"$W/orig.out"
e2e_check "original image prints the expected output" cmp -s "$W/orig.out" "$E2E_PYTHON_EXPECTED"
orig_diff_ids=$(e2e_config_field "$E2E_IMG_OCI" 'c["rootfs"]["diff_ids"]')
orig_config=$(e2e_config_field "$E2E_IMG_OCI" '{k: c["config"].get(k) for k in ("Cmd", "Env", "WorkingDir", "Entrypoint", "User")}')
nlayers=$(skopeo inspect --raw "$E2E_IMG_OCI" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))')
e2e_check "the e2e image has at least 3 layers ($nlayers)" test "$nlayers" -ge 3

# whittle inspect: human and JSON forms on each source transport.
for src in "$E2E_IMG_OCI" "$E2E_IMG_OCI_ARCHIVE" "$E2E_IMG_DOCKER_ARCHIVE"; do
  e2e_check "inspect $src" sh -c '"$WHITTLE" inspect "$1" >"$2/inspect.txt"' - "$src" "$W"
  e2e_check "inspect --json $src has $nlayers layers" sh -c '
    "$WHITTLE" inspect "$1" --json >"$2/inspect.json" &&
    python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert isinstance(j.get(\"layers\"), list), \"no top-level layers array\"
n = len(j[\"layers\"])
assert n == int(sys.argv[2]), str(n) + \" layers\"
" "$2/inspect.json" "$3"' - "$src" "$W" "$nlayers"
done
# The JSON names every layer digest of the OCI layout.
"$WHITTLE" inspect "$E2E_IMG_OCI" --json >"$W/inspect.json"
for d in $(skopeo inspect --raw "$E2E_IMG_OCI" | python3 -c 'import json,sys; [print(l["digest"]) for l in json.load(sys.stdin)["layers"]]'); do
  e2e_check "inspect --json names layer $d" grep -q "$d" "$W/inspect.json"
done

# check_output KIND PATH REF: independent checks of one converted image.
check_output() {
  kind=$1 path=$2 ref=$3
  label="$kind $(basename "$path")"
  e2e_check "$label: skopeo inspect" sh -c 'skopeo inspect "$1" >/dev/null' - "$ref"
  e2e_check "$label: diff_ids unchanged" test "$(e2e_config_field "$ref" 'c["rootfs"]["diff_ids"]')" = "$orig_diff_ids"
  e2e_check "$label: config (cmd, env, workdir, user) unchanged" \
    test "$(e2e_config_field "$ref" '{k: c["config"].get(k) for k in ("Cmd", "Env", "WorkingDir", "Entrypoint", "User")}')" = "$orig_config"
  layout=""
  case $kind in
    oci) layout=$path ;;
    oci-archive)
      layout=$W/unpacked-$(basename "$path")
      mkdir -p "$layout" && tar -C "$layout" -xf "$path"
      ;;
  esac
  if [ -n "$layout" ]; then
    e2e_check "$label: digests, sizes, diff_ids verified independently" e2e_verify_layout "$layout" latest
    if grep -q 'tar+zstd' "$layout"/blobs/sha256/* 2>/dev/null; then
      echo "note: $label: zstd layers, umoci 0.4.7 cannot unpack them (checked by zstdcat above)"
    else
      rm -rf "$W/bundle"
      e2e_check "$label: umoci unpack" sh -c 'umoci unpack --image "$1:latest" "$2" >/dev/null' - "$layout" "$W/bundle"
      e2e_check "$label: unpacked rootfs has the app" test -f "$W/bundle/rootfs/app/main.py"
      e2e_check "$label: whiteouts applied (no changelog left)" \
        sh -c '! ls "$1"/rootfs/usr/share/doc/*/changelog* >/dev/null 2>&1' - "$W/bundle"
      e2e_check "$label: hardlinks kept (perl, perl5.36.0 share an inode)" sh -c \
        '[ "$(stat -c %i "$1/rootfs/usr/bin/perl")" = "$(stat -c %i "$1/rootfs/usr/bin/perl5.36.0")" ]' - "$W/bundle"
      e2e_check "$label: merged-/usr symlinks kept (/bin -> usr/bin)" test "$(readlink "$W/bundle/rootfs/bin")" = usr/bin
      rm -rf "$W/bundle"
    fi
    [ "$kind" = oci-archive ] && rm -rf "$layout"
  fi
  if [ "$kind" = docker-archive ]; then
    id=$(e2e_load "$path") || id=""
  else
    id=$(e2e_pull "$ref") || id=""
  fi
  e2e_check "$label: podman load/pull" test -n "$id"
  if [ -n "$id" ]; then
    e2e_run "$id" >"$W/run.out" 2>"$W/run.err" || true
    e2e_check "$label: podman run gives the original's output" cmp -s "$W/run.out" "$W/orig.out"
    podman rmi -f "$id" >/dev/null 2>&1 || true
  fi
}

# Every transport x every compression, from the OCI layout (gzip) source.
for comp in gzip zstd none; do
  for kind in oci oci-archive docker-archive; do
    case $kind in
      oci) path=$W/out-$comp.oci; ref=oci:$path:latest ;;
      oci-archive) path=$W/out-$comp.oci.tar; ref=oci-archive:$path:latest ;;
      docker-archive) path=$W/out-$comp.docker.tar; ref=docker-archive:$path:whittle-e2e/converted:$comp ;;
    esac
    e2e_log "convert -> $ref ($comp)"
    if "$WHITTLE" convert "$E2E_IMG_OCI" "$ref" --compression "$comp" 2>"$W/convert.err"; then
      echo "ok: convert $E2E_IMG_OCI -> $kind/$comp"
      check_output "$kind" "$path" "$(echo "$ref" | sed 's/:whittle-e2e.*//')"
    else
      cat "$W/convert.err" >&2
      e2e_check "convert $E2E_IMG_OCI -> $kind/$comp" false
    fi
    rm -rf "$path"
  done
done

# The other sources: oci-archive -> docker-archive and docker-archive (uncompressed) -> oci zstd -> oci-archive.
e2e_check "convert oci-archive -> docker-archive" "$WHITTLE" convert "$E2E_IMG_OCI_ARCHIVE" "docker-archive:$W/from-ociarchive.tar:whittle-e2e/a:latest"
[ -f "$W/from-ociarchive.tar" ] && check_output docker-archive "$W/from-ociarchive.tar" "docker-archive:$W/from-ociarchive.tar"
e2e_check "convert docker-archive -> oci (zstd)" "$WHITTLE" convert "$E2E_IMG_DOCKER_ARCHIVE" "oci:$W/from-docker:latest" --compression zstd
if [ -d "$W/from-docker" ]; then
  check_output oci "$W/from-docker" "oci:$W/from-docker:latest"
  e2e_check "convert oci (zstd) -> oci-archive (gzip)" "$WHITTLE" convert "oci:$W/from-docker:latest" "oci-archive:$W/chain.oci.tar:latest"
  [ -f "$W/chain.oci.tar" ] && check_output oci-archive "$W/chain.oci.tar" "oci-archive:$W/chain.oci.tar:latest"
fi
rm -rf "$W/from-ociarchive.tar" "$W/from-docker" "$W/chain.oci.tar"

# Reproducible: the same input converted twice gives the same manifest digest, and byte-identical archives.
for comp in gzip zstd; do
  "$WHITTLE" convert "$E2E_IMG_OCI" "oci:$W/twice-a:latest" --compression "$comp"
  "$WHITTLE" convert "$E2E_IMG_OCI" "oci:$W/twice-b:latest" --compression "$comp"
  da=$(skopeo inspect "oci:$W/twice-a:latest" --format '{{.Digest}}')
  db=$(skopeo inspect "oci:$W/twice-b:latest" --format '{{.Digest}}')
  e2e_check "convert twice ($comp) gives the same manifest digest ($da)" test "$da" = "$db"
  rm -rf "$W/twice-a" "$W/twice-b"
done
"$WHITTLE" convert "$E2E_IMG_DOCKER_ARCHIVE" "oci-archive:$W/twice-a.tar:latest"
"$WHITTLE" convert "$E2E_IMG_DOCKER_ARCHIVE" "oci-archive:$W/twice-b.tar:latest"
e2e_check "oci-archive written twice is byte-identical" cmp -s "$W/twice-a.tar" "$W/twice-b.tar"
rm -f "$W/twice-a.tar" "$W/twice-b.tar"

# Bad inputs: exit 1, a message, nothing at the destination.
# expect_refused DESCRIPTION SRC DST-PATH DST-REF [MESSAGE-REGEX]; destinations are under the empty $W/dst.
expect_refused() {
  desc=$1 src=$2 dpath=$3 dref=$4 pattern=${5:-.}
  rc=0
  "$WHITTLE" convert "$src" "$dref" 2>"$W/bad.err" || rc=$?
  e2e_check "$desc: exit 1 (got $rc)" test "$rc" = 1
  e2e_check "$desc: nothing at the destination" test ! -e "$dpath"
  e2e_check "$desc: no temporary left beside the destination" test -z "$(ls -A "$W/dst")"
  e2e_check "$desc: message names the problem" grep -Eq "$pattern" "$W/bad.err"
  sed 's/^/    /' "$W/bad.err"
}
mkdir -p "$W/src" "$W/dst"
size=$(stat -c %s "$E2E_IMG_OCI_ARCHIVE_FILE")
head -c $((size / 2)) "$E2E_IMG_OCI_ARCHIVE_FILE" >"$W/src/truncated.oci.tar"
expect_refused "truncated oci-archive" "oci-archive:$W/src/truncated.oci.tar" "$W/dst/trunc" "oci:$W/dst/trunc:latest" \
  'truncated|unexpected end|short|missing|EOF|incomplete'
size=$(stat -c %s "$E2E_IMG_DOCKER_ARCHIVE_FILE")
head -c $((size * 3 / 4)) "$E2E_IMG_DOCKER_ARCHIVE_FILE" >"$W/src/truncated.docker.tar"
expect_refused "truncated docker-archive" "docker-archive:$W/src/truncated.docker.tar" "$W/dst/trunc2.tar" \
  "oci-archive:$W/dst/trunc2.tar:latest" 'truncated|unexpected end|short|missing|EOF|incomplete|digest|diff_id'
# A corrupted blob: one byte flipped in the middle of the largest layer (its digest no longer matches).
cp -a "$E2E_IMG_OCI_DIR" "$W/src/corrupt"
big=$(ls -S "$W/src/corrupt/blobs/sha256" | head -n1)
blobfile=$W/src/corrupt/blobs/sha256/$big
off=$(($(stat -c %s "$blobfile") / 2))
orig_byte=$(dd if="$blobfile" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $(((orig_byte + 1) % 256)))" | dd of="$blobfile" bs=1 seek="$off" conv=notrunc 2>/dev/null
expect_refused "corrupted layer blob" "oci:$W/src/corrupt:latest" "$W/dst/corrupt.docker.tar" \
  "docker-archive:$W/dst/corrupt.docker.tar:x/y:z" "$big|digest|mismatch|corrupt|invalid"
rc=0
"$WHITTLE" inspect "oci:$W/src/corrupt:latest" >/dev/null 2>&1 || rc=$?
e2e_check "inspect of the corrupted image exits 1 (got $rc)" test "$rc" = 1
rc=0
"$WHITTLE" convert "$E2E_IMG_OCI" >/dev/null 2>&1 || rc=$?
e2e_check "convert without a destination is a usage error (exit 2, got $rc)" test "$rc" = 2
rm -rf "$W/src"

e2e_finish
