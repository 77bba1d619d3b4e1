#!/bin/sh
# Benchmark of issue 2 item 11: `whittle inspect` and `whittle convert` on the e2e python3 image (Debian
# bookworm minbase + python3, 3 layers, 216 MB uncompressed, 80 MB gzip, as an OCI layout) beside
# `umoci unpack` and `skopeo copy` of the same image. Medians of $BENCH_RUNS (default 5) hyperfine runs after
# a warm-up (page cache warm), peak RSS from GNU time -v. Outputs go to a work dir on the same disk as the
# image ($TMPDIR, default /var/tmp). Writes bench/results/convert_inspect.md.
#   bench/convert_inspect.sh [WHITTLE]
set -eu
. "$(dirname "$0")/common.sh"
bench_setup
. "$WHITTLE_SRC/tests/e2e/lib.sh"
for c in inspect convert; do
  e2e_whittle_has "$c" || { echo "bench: this whittle has no \`$c\`" >&2; exit 1; }
done
for tool in skopeo umoci; do
  command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 1; }
done
e2e_python_image >&2
img=$E2E_IMG_OCI
out=$BENCH_TMP/out
W=$WHITTLE
clean="rm -rf $out $out.tar"

{
  echo "| command | median s | min - max s | runs | peak RSS MiB |"
  echo "|---|---|---|---|---|"
} >"$BENCH_ROWS"
bench_row "whittle inspect" w_inspect "true" "$W inspect $img >/dev/null"
bench_row "whittle inspect --json" w_inspect_json "true" "$W inspect $img --json >/dev/null"
bench_row "whittle convert -> oci (gzip)" w_oci_gzip "$clean" "$W convert $img oci:$out:latest"
bench_row "whittle convert -> oci (zstd)" w_oci_zstd "$clean" "$W convert $img oci:$out:latest --compression zstd"
bench_row "whittle convert -> oci (none)" w_oci_none "$clean" "$W convert $img oci:$out:latest --compression none"
bench_row "whittle convert -> oci-archive (gzip)" w_ociar "$clean" "$W convert $img oci-archive:$out.tar:latest"
bench_row "whittle convert -> docker-archive (none)" w_docker "$clean" "$W convert $img docker-archive:$out.tar:bench/x:latest --compression none"
bench_row "umoci unpack" umoci "$clean" "umoci unpack --image ${img#oci:} $out >/dev/null"
bench_row "skopeo copy -> oci (blobs copied as they are)" sk_oci "$clean" "skopeo copy -q $img oci:$out:latest"
bench_row "skopeo copy -> oci (zstd, re-encoded)" sk_zstd "$clean" "skopeo copy -q --dest-compress --dest-compress-format zstd $img oci:$out:latest"
bench_row "skopeo copy -> docker-archive" sk_docker "$clean" "skopeo copy -q $img docker-archive:$out.tar:bench/x:latest"
bench_row "skopeo inspect --config (no layers read)" sk_inspect "true" "skopeo inspect --config $img >/dev/null"

ratio() {
  awk -v a="$(bench_median "$1")" -v b="$(bench_median "$2")" 'BEGIN { printf "%.2f", a / b }'
}
frag=$BENCH_DIR/results/convert_inspect.md
{
  echo "## whittle inspect and whittle convert beside umoci and skopeo (issue 2)"
  echo
  bench_machine
  echo "- Image: the e2e python3 image (\`tests/e2e/lib.sh\` e2e_python_image: mmdebstrap bookworm minbase + python3,"
  echo "  podman build adding an app and a \`RUN rm\` layer), OCI layout, $(skopeo inspect --raw "$img" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))') gzip layers,"
  echo "  $(e2e_image_bytes "$E2E_IMG_OCI_DIR") bytes stored, $(e2e_uncompressed_bytes "$E2E_IMG_OCI_DIR") bytes uncompressed."
  echo "- Method: \`bench/convert_inspect.sh\` — hyperfine, $BENCH_RUNS runs after $BENCH_WARMUP warm-up, output removed before each"
  echo "  run (\`--prepare\`), outputs on the image's disk (ext4), page cache warm; peak RSS of one run by \`/usr/bin/time -v\`."
  echo "  IMG below is \`$img\` (IMG-DIR its directory), OUT a fresh path."
  echo
  cat "$BENCH_ROWS"
  echo
  echo "Exact commands (IMG, OUT as above):"
  echo
  echo '```'
  bench_commands | sed "s#$img#IMG#g; s#$E2E_IMG_OCI_DIR#IMG-DIR#g; s#$out#OUT#g; s#$W#whittle#g"
  echo '```'
  echo
  echo "Ratios of medians: convert -> oci gzip / umoci unpack = $(ratio w_oci_gzip umoci);"
  echo "convert -> oci zstd / skopeo copy zstd = $(ratio w_oci_zstd sk_zstd);"
  echo "convert -> docker-archive / skopeo copy -> docker-archive = $(ratio w_docker sk_docker);"
  echo "inspect / umoci unpack = $(ratio w_inspect umoci)."
} >"$frag"
cat "$frag"
