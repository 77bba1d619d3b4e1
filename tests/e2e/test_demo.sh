#!/bin/sh
# e2e: the committed sample image (testdata/sample-app.oci.tar) and `make demo` (scripts/demo.sh).
# The sample must stay small (< 8 MB), have >= 2 layers with a real whiteout, pass independent digest and
# diff_id checks and umoci unpack, and run under podman with its known output. The demo must succeed
# offline; once `whittle slim` exists it must write a slimmed image that runs as non-root with the same
# output, is smaller, and comes with the artifacts.
set -eu
. "$(dirname "$0")/lib.sh"

e2e_require python3 zcat tar
e2e_require_whittle
e2e_workdir
W=$E2E_WORK
sample=$WHITTLE_SRC/testdata/sample-app.oci.tar
expected='Hello from a whittled image, whittle!
running on "Debian GNU/Linux 12 (bookworm)"'

size=$(stat -c %s "$sample")
e2e_check "sample image is under 8 MB ($size bytes)" test "$size" -lt 8000000
mkdir -p "$W/sample"
tar -C "$W/sample" -xf "$sample"
e2e_check "sample image verified independently (digests, sizes, diff_ids, tar)" e2e_verify_layout "$W/sample" latest
layers=$(python3 -c '
import json, sys
idx = json.load(open(sys.argv[1] + "/index.json"))
m = json.load(open(sys.argv[1] + "/blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]))
for l in m["layers"]:
    print(l["digest"].split(":")[1])' "$W/sample")
e2e_check "sample image has >= 2 layers" test "$(echo "$layers" | wc -l)" -ge 2
wh=0
for l in $layers; do
  n=$(zcat "$W/sample/blobs/sha256/$l" | tar -t | grep -c '/\.wh\.' || true)
  wh=$((wh + n))
done
e2e_check "sample image has real whiteouts ($wh)" test "$wh" -ge 1
if command -v umoci >/dev/null 2>&1; then
  e2e_check "umoci unpack of the sample" sh -c 'umoci unpack --image "$1:latest" "$2" >/dev/null' - "$W/sample" "$W/bundle"
  for p in /usr/share/doc /usr/share/man /usr/share/locale /usr/bin/dash /usr/bin/busybox /app/bin/hello; do
    e2e_check "sample carries $p" test -e "$W/bundle/rootfs$p"
  done
  e2e_check "the RUN rm layer removed /app/build" test ! -e "$W/bundle/rootfs/app/build"
  rm -rf "$W/bundle"
fi
can_podman=0
if [ "$(id -u)" = 0 ] && command -v podman >/dev/null 2>&1 && command -v skopeo >/dev/null 2>&1; then
  can_podman=1
  id=$(e2e_pull "oci-archive:$sample:latest") || id=""
  e2e_check "podman runs the sample with its known output" \
    test "$(e2e_run "$id" 2>/dev/null)" = "$expected"
fi

# The demo itself.
rc=0
"$WHITTLE_SRC/scripts/demo.sh" "$WHITTLE" "$W/demo" >"$W/demo.log" 2>&1 || rc=$?
cat "$W/demo.log"
e2e_check "scripts/demo.sh exits 0 (got $rc)" test "$rc" = 0
slim=$W/demo/sample-app.slim.oci.tar
e2e_check "demo wrote the slimmed image" test -s "$slim"
e2e_check "demo printed the report" grep -qi 'removed\|report\|kept' "$W/demo.log"
for f in report.json run-flags.txt securitycontext.yaml; do
  e2e_check "demo artifact $f" test -s "$W/demo/artifacts/$f"
done
if [ -s "$slim" ]; then
  e2e_check "slimmed sample is smaller than the sample" test "$(stat -c %s "$slim")" -lt "$size"
  if [ "$can_podman" = 1 ]; then
    id=$(e2e_pull "oci-archive:$slim:latest") || id=""
    e2e_check "slimmed sample runs with the known output" test "$(e2e_run "$id" 2>/dev/null)" = "$expected"
    user=$(e2e_image_user "$id")
    e2e_check "slimmed sample runs as non-root ($user)" sh -c 'case $1 in ""|0|0:*|root|root:*) exit 1 ;; esac' - "$user"
  fi
fi

e2e_finish
