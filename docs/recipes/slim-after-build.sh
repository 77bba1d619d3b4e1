#!/bin/sh
# A post-step for a (multi-stage) container build: podman build -> podman save -> whittle slim -> podman load.
#   slim-after-build.sh IMAGE[:TAG] [podman build arguments...]     e.g. slim-after-build.sh localhost/app:1.0 .
# The build's final stage is what gets slimmed (pass --target STAGE to pick another). Extra whittle flags
# (probes, --include-path, ...) come from $WHITTLE_FLAGS; the artifacts go to $ARTIFACTS (default
# ./whittle-artifacts). The slimmed image is loaded into podman as IMAGE[:TAG]; the unslimmed build stays
# as IMAGE[:TAG]-fat. Tested by tests/e2e/test_release_recipes.sh.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 IMAGE[:TAG] [podman build arguments...]" >&2; exit 2; }
image=$1
shift
case ${image##*/} in
  *:*) ;;
  *) image=$image:latest ;;
esac
whittle=${WHITTLE:-whittle}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
podman build -t "$image-fat" "$@"
podman save --format oci-archive -o "$work/fat.oci.tar" "$image-fat"
# shellcheck disable=SC2086
"$whittle" slim "oci-archive:$work/fat.oci.tar" -o "oci-archive:$work/slim.oci.tar:$image" \
  --artifacts "${ARTIFACTS:-whittle-artifacts}" ${WHITTLE_FLAGS:-}
podman load -i "$work/slim.oci.tar"
