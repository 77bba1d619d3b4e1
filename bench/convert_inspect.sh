#!/bin/sh
# `whittle inspect` and `whittle convert` on the e2e python3 image (Debian bookworm minbase + python3, 3 layers,
# about 216 MB uncompressed, 80 MB gzip, as an OCI layout) beside `skopeo copy` doing the same work: a ratio is
# given only between commands that read the same input and write the same kind of output (gzip -> zstd,
# uncompressed -> gzip, gzip -> uncompressed docker-archive). skopeo keeps a gzip layer as it is even with
# `--dest-compress-format gzip`, so the gzip re-encode pair reads an uncompressed copy of the image (made by
# `whittle convert --compression none` before the timing). Medians of $BENCH_RUNS (default 5) hyperfine runs
# after a warm-up (page cache warm), CPU time, peak RSS and the bytes each command wrote. Outputs go to a work
# dir under $TMPDIR (default /var/tmp); the section names the filesystem of the image and of the outputs.
# Writes bench/results/convert_inspect.md.
#   bench/convert_inspect.sh [WHITTLE]
set -eu
. "$(dirname "$0")/common.sh"
bench_setup
. "$WHITTLE_SRC/tests/e2e/lib.sh"
for c in inspect convert; do
  e2e_whittle_has "$c" || { echo "bench: this whittle has no \`$c\`" >&2; exit 1; }
done
command -v skopeo >/dev/null || { echo "bench: missing skopeo" >&2; exit 1; }
e2e_python_image >&2
img=$E2E_IMG_OCI
out=$BENCH_TMP/out
raw=$BENCH_TMP/uncompressed
W=$WHITTLE
clean="rm -rf $out $out.tar"
# The uncompressed copy of the image, input of the gzip re-encode pair.
"$W" convert "$img" "oci:$raw:latest" --compression none --quiet >/dev/null
rawimg=oci:$raw:latest

bench_table_header
bench_row "whittle inspect" w_inspect "true" "$W inspect $img >/dev/null"
bench_row "whittle inspect --json" w_inspect_json "true" "$W inspect $img --json >/dev/null"
bench_row "skopeo inspect --config (reads no layer)" sk_inspect "true" "skopeo inspect --config $img >/dev/null"
bench_row "whittle convert -> oci (gzip -> gzip)" w_oci_gzip "$clean" "$W convert $img oci:$out:latest" "$out"
bench_row "skopeo copy -> oci (gzip blobs copied as they are)" sk_oci "$clean" "skopeo copy -q $img oci:$out:latest" "$out"
bench_row "whittle convert -> oci (gzip -> zstd)" w_oci_zstd "$clean" \
  "$W convert $img oci:$out:latest --compression zstd" "$out"
bench_row "skopeo copy -> oci (gzip -> zstd)" sk_zstd "$clean" \
  "skopeo copy -q --dest-compress --dest-compress-format zstd $img oci:$out:latest" "$out"
bench_row "whittle convert UNCOMPRESSED -> oci (none -> gzip)" w_raw_gzip "$clean" \
  "$W convert $rawimg oci:$out:latest" "$out"
bench_row "skopeo copy UNCOMPRESSED -> oci (none -> gzip)" sk_raw_gzip "$clean" \
  "skopeo copy -q --dest-compress --dest-compress-format gzip $rawimg oci:$out:latest" "$out"
bench_row "whittle convert -> docker-archive (gzip -> none)" w_docker "$clean" \
  "$W convert $img docker-archive:$out.tar:bench/x:latest --compression none" "$out.tar"
bench_row "skopeo copy -> docker-archive (gzip -> none)" sk_docker "$clean" \
  "skopeo copy -q $img docker-archive:$out.tar:bench/x:latest" "$out.tar"
bench_row "whittle convert -> oci (gzip -> none)" w_oci_none "$clean" \
  "$W convert $img oci:$out:latest --compression none" "$out"
bench_row "whittle convert -> oci-archive (gzip -> gzip)" w_ociar "$clean" \
  "$W convert $img oci-archive:$out.tar:latest" "$out.tar"

ratio() {
  awk -v a="$(bench_median "$1")" -v b="$(bench_median "$2")" 'BEGIN { printf "%.2f", a / b }'
}
frag=$BENCH_DIR/results/convert_inspect.md
{
  echo "## whittle inspect and whittle convert beside skopeo"
  echo
  bench_machine
  echo "- Image: the e2e python3 image (\`tests/e2e/lib.sh\` e2e_python_image: mmdebstrap bookworm minbase + python3,"
  echo "  podman build adding an app and a \`RUN rm\` layer), OCI layout, $(skopeo inspect --raw "$img" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))') gzip layers,"
  echo "  $(bench_bytes "$E2E_IMG_OCI_DIR") bytes stored (its regular files), $(e2e_uncompressed_bytes "$E2E_IMG_OCI_DIR") bytes of layers uncompressed."
  echo "  UNCOMPRESSED: the same image with uncompressed layers ($(bench_bytes "$raw") bytes), written by"
  echo "  \`whittle convert IMG oci:UNCOMPRESSED --compression none\` before the timing."
  echo "- Filesystems: the image on $(bench_fs "$E2E_IMG_OCI_DIR"), UNCOMPRESSED and every output (OUT) on $(bench_fs "$BENCH_TMP")."
  echo "- Method: \`bench/convert_inspect.sh\` — hyperfine, $BENCH_RUNS runs after $BENCH_WARMUP warm-up, output removed before each"
  echo "  run (\`--prepare\`), page cache warm."
  echo
  cat "$BENCH_ROWS"
  echo
  bench_table_note
  echo "whittle writes gzip with ISA-L level 2 on one thread and zstd at level 3 (\`src/archive/compression.cpp\`);"
  echo "skopeo's encoders are its own (its gzip runs on several threads): compare output bytes with the times."
  echo
  echo "Exact commands (IMG = \`oci:IMG-DIR:latest\`, the cached e2e image; OUT a fresh path):"
  echo
  echo '```'
  bench_commands | sed "s#$img#IMG#g; s#$E2E_IMG_OCI_DIR#IMG-DIR#g; s#$raw#UNCOMPRESSED#g; s#$out#OUT#g; s#$W#whittle#g"
  echo '```'
  echo
  echo "Ratios of medians, each between commands doing the same work:"
  echo "convert -> oci zstd / skopeo copy zstd = $(ratio w_oci_zstd sk_zstd);"
  echo "convert UNCOMPRESSED -> oci gzip / skopeo copy UNCOMPRESSED gzip = $(ratio w_raw_gzip sk_raw_gzip);"
  echo "convert -> docker-archive / skopeo copy -> docker-archive = $(ratio w_docker sk_docker)."
} >"$frag"
cat "$frag"
