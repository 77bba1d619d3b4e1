#!/bin/sh
# `make demo`: whittle's main job on the small sample image committed in testdata/ (offline, a few seconds).
#   scripts/demo.sh [WHITTLE-BINARY] [OUT-DIR]
# Slims testdata/sample-app.oci.tar into OUT-DIR (default: demo/ beside the binary) and prints the report.
# If podman works here, the result is also run under podman next to the original.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
whittle=${1:-$src/build/whittle}
sample=$src/testdata/sample-app.oci.tar
[ -x "$whittle" ] || { echo "demo: no whittle binary at $whittle (run make)" >&2; exit 1; }
[ -f "$sample" ] || { echo "demo: missing $sample (testdata/make-sample.sh makes it)" >&2; exit 1; }
out=${2:-$(cd "$(dirname "$whittle")" && pwd)/demo}
rm -rf "$out"
mkdir -p "$out"

step() {
  printf '\n$ %s\n' "$*"
  "$@"
}

# podman_run REF: runs an image with podman when podman can run containers here (root + runc config).
podman_run() {
  if [ "$(id -u)" != 0 ] || ! command -v podman >/dev/null 2>&1 || ! command -v skopeo >/dev/null 2>&1; then
    return 0
  fi
  name=localhost/whittle-demo:$$
  skopeo copy -q "$1" "containers-storage:$name" >/dev/null 2>&1 || { echo "(podman could not load $1)"; return 0; }
  id=$(podman image inspect --format '{{.Id}}' "$name")
  printf '\n$ podman run --rm --network=none %s   # user: %s\n' "$1" \
    "$(podman image inspect --format '{{.Config.User}}' "$id")"
  podman run --rm --network=none "$id" || echo "(exit $?)"
  podman rmi -f "$name" >/dev/null 2>&1 || true
}

size() {
  du -sb "$1" | cut -f1
}

echo "whittle demo: $("$whittle" --version) on $sample ($(size "$sample") bytes)"

slim_ref=oci-archive:$out/sample-app.slim.oci.tar:latest
step "$whittle" slim "oci-archive:$sample" -o "$slim_ref" --artifacts "$out/artifacts"
printf '\nartifacts in %s:\n' "$out/artifacts"
ls -l "$out/artifacts"
before=$(size "$sample")
after=$(size "$out/sample-app.slim.oci.tar")
printf '\nimage archive: %s bytes -> %s bytes (%s x smaller)\n' "$before" "$after" \
  "$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.1f", a / b }')"
step "$whittle" inspect "$slim_ref"
podman_run "oci-archive:$sample"
podman_run "$slim_ref"
printf '\ndemo output in %s\n' "$out"
