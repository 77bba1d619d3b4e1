#!/bin/sh
# The gzip encoder table: whittle's gzip encoder (ISA-L deflate level 2, called through archive::make_encoder
# as convert and build call it) beside zlib level 6 (the encoder it replaced) and the other levels and
# layouts weighed, on the largest layer of the e2e python3 image, decompressed and held in memory.
# bench/gzip_encoder.cpp does the encoding (CMake target whittle_bench_gzip, built here in WHITTLE's build
# directory); every encoder runs $BENCH_RUNS times (default 5) on one thread, medians of CPU and wall time.
# Writes bench/results/gzip_encoder.md.
#   bench/gzip_encoder.sh [WHITTLE]
set -eu
. "$(dirname "$0")/common.sh"
bench_setup
. "$WHITTLE_SRC/tests/e2e/lib.sh"
build=$(dirname "$WHITTLE")
[ -f "$build/CMakeCache.txt" ] || { echo "bench: $build is not a CMake build directory" >&2; exit 1; }
cmake --build "$build" --target whittle_bench_gzip >&2
prog=$build/bench/whittle_bench_gzip
e2e_python_image >&2

# The largest layer of the image, decompressed.
blob=$(python3 - "$E2E_IMG_OCI_DIR" <<'PY'
import json, os, sys
d = sys.argv[1]
def blob(digest):
    return os.path.join(d, "blobs", *digest.split(":", 1))
m = json.load(open(blob(json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"])))
print(blob(max(m["layers"], key=lambda l: l["size"])["digest"]))
PY
)
layer=$BENCH_TMP/layer.tar
zcat "$blob" >"$layer"
echo "bench: gzip encoders on $(bench_bytes "$layer") bytes" >&2
${BENCH_PREFIX}"$prog" "$layer" "$BENCH_RUNS" >"$BENCH_TMP/gzip.txt"
# shellcheck disable=SC2046
set -- $(sed -n 's/^ZEROS //p' "$BENCH_TMP/gzip.txt")
zero_l2=$1 zero_l3=$2 zero_z6=$3

frag=$BENCH_DIR/results/gzip_encoder.md
{
  echo "## gzip encoder: ISA-L level 2 (whittle's) beside zlib level 6 (the one it replaced)"
  echo
  bench_machine
  echo "- Input: the largest layer of the e2e python3 image (blob \`$(basename "$blob" | cut -c1-12)…\`), decompressed: a tar of"
  echo "  $(bench_bytes "$layer") bytes, held in memory and handed to every encoder in 1 MiB pieces."
  echo "- Method: \`bench/gzip_encoder.sh\`, which builds and runs \`bench/gzip_encoder.cpp\` (CMake target"
  echo "  \`whittle_bench_gzip\`): $BENCH_RUNS runs of each encoder on one thread, medians of CPU time"
  echo "  (CLOCK_PROCESS_CPUTIME_ID) and wall time; output only counted (no write cost). whittle's row calls"
  echo "  \`archive::make_encoder(Compression::gzip, ...)\`, the encoder convert and build use, and its output is"
  echo "  checked to inflate back to the input (zlib); the other rows call zlib and ISA-L directly, with the"
  echo "  same call pattern (ISA-L: raw deflate into a fixed buffer, output counted with the 18 bytes of a gzip"
  echo "  header and trailer). pigz-style blocks: independent 1 MiB blocks, each primed with the previous 32 KiB"
  echo "  as its dictionary and ended by Z_SYNC_FLUSH, the layout that lets pigz use several threads (run on"
  echo "  one here: its CPU time is what several threads would share)."
  echo
  echo "| encoder | output bytes | vs zlib 6 | CPU s | wall s | MB/s (CPU) |"
  echo "|---|---|---|---|---|---|"
  grep '^|' "$BENCH_TMP/gzip.txt"
  echo
  echo "100,000,000 zero bytes (long zero runs: sparse files, preallocated images) give $zero_l2 bytes through"
  echo "whittle's encoder (level 2), $zero_l3 with ISA-L level 3 and $zero_z6 with zlib level 6."
  echo
  echo "ISA-L's bytes depend on how the input is split between calls (the 64 KiB row), so whittle's encoder"
  echo "always feeds fixed 1 MiB pieces and drains into a fixed buffer: its output depends on nothing but the"
  echo "data (tests/archive/test_gzip_encoder.cpp checks equal bytes for 1-byte, 4 KiB, 1 MiB + 1 and random write sizes)."
  echo
  echo "Exact command (LAYER = the decompressed layer above):"
  echo
  echo '```'
  echo "${BENCH_PREFIX}build/bench/whittle_bench_gzip LAYER $BENCH_RUNS"
  echo '```'
} >"$frag"
cat "$frag"
