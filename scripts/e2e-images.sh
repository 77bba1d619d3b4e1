#!/bin/sh
# Builds every Debian image the e2e suites use into their cache (tests/e2e/lib.sh), so that `make test` can
# build them while it compiles and runs the unit tests: an image build waits mostly on the network and the
# disk, the compiler on the CPUs. Safe beside the suites: each image is built under its own lock, and a
# suite that needs an image still being built waits for it. A failure here fails nothing by itself: the
# suite that needs the image builds it again and reports.
#
# Usage: scripts/e2e-images.sh CACHE_DIR     (ctest's suites use <build>/e2e-cache)
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 CACHE_DIR" >&2
  exit 2
fi
WHITTLE_SRC=$(cd "$(dirname "$0")/.." && pwd)
WHITTLE_E2E_CACHE=$1
export WHITTLE_SRC WHITTLE_E2E_CACHE
. "$WHITTLE_SRC/tests/e2e/lib.sh"
status=0
for image in python nginx nginx_stock redis healthcheck retry_job; do
  start=$(date +%s)
  if (e2e_"$image"_image); then
    echo "e2e-images: $image ready after $(($(date +%s) - start)) s"
  else
    echo "e2e-images: the $image image was not built (exit $?); its suites will try again" >&2
    status=1
  fi
done
exit $status
