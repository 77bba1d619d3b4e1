#!/bin/sh
# Benchmark of issue 4 item 9: `whittle slim` on the e2e python3 image beside `umoci unpack` of the same
# image. Goals: whittle's whole job less the app's own run time <= 0.4x umoci unpack alone; output size
# <= 1.10x the sum of the sizes of the profile's files; peak RSS. The app's own run time is taken from the
# profile (runs[].duration_ms of the traced run) and counted twice (the trace run and the verify run).
# Writes bench/results/slim.md.
#   bench/slim.sh [WHITTLE]
set -eu
. "$(dirname "$0")/common.sh"
bench_setup
. "$WHITTLE_SRC/tests/e2e/lib.sh"
e2e_whittle_has slim || { echo "bench: this whittle has no \`slim\`" >&2; exit 1; }
for tool in skopeo umoci; do
  command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 1; }
done
e2e_python_image >&2
img=$E2E_IMG_OCI
out=$BENCH_TMP/out
art=$BENCH_TMP/art
W=$WHITTLE
clean="rm -rf $out $art"

{
  echo "| command | median s | min - max s | runs | peak RSS MiB |"
  echo "|---|---|---|---|---|"
} >"$BENCH_ROWS"
bench_row "whittle slim (trace + build + verify)" slim "$clean" "$W slim $img -o oci:$out:latest --artifacts $art"
bench_row "whittle slim --no-verify" slim_nv "$clean" "$W slim $img -o oci:$out:latest --artifacts $art --no-verify"
bench_row "umoci unpack" umoci "$clean" "umoci unpack --image ${img#oci:} $out >/dev/null"

# One more slim kept for the size figures, and the original unpacked for the profile's file sizes.
sh -c "$clean"
"$W" slim "$img" -o "oci:$out:latest" --artifacts "$art" >/dev/null
profile=$(grep -l 'whittle/profile/v1' "$art"/*.json | head -n1)
umoci unpack --image "${img#oci:}" "$BENCH_TMP/orig" >/dev/null
umoci unpack --image "$out:latest" "$BENCH_TMP/slim" >/dev/null
figures=$(python3 - "$profile" "$BENCH_TMP/orig/rootfs" "$BENCH_TMP/slim/rootfs" <<'PY'
import json, os, sys
profile, orig, slim = sys.argv[1:4]
p = json.load(open(profile))

def regular_bytes(root, paths):
    seen, total, count = set(), 0, 0
    for rel in paths:
        full = os.path.join(root, rel.lstrip("/"))
        try:
            st = os.lstat(full)
        except OSError:
            continue
        if not os.path.isfile(full) or os.path.islink(full) or (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        total += st.st_size
        count += 1
    return total, count

def tree_bytes(root):
    paths = []
    for d, _, files in os.walk(root):
        paths += [os.path.join(d, f)[len(root):] for f in files]
    return regular_bytes(root, paths)

prof_bytes, prof_files = regular_bytes(orig, [f["path"] for f in p["files"]])
slim_bytes, slim_files = tree_bytes(slim)
orig_bytes, orig_files = tree_bytes(orig)
app_ms = sum(r.get("duration_ms", 0) for r in p["runs"])
print(prof_bytes, prof_files, slim_bytes, slim_files, orig_bytes, orig_files, app_ms)
PY
)
set -- $figures
prof_bytes=$1 prof_files=$2 slim_bytes=$3 slim_files=$4 orig_bytes=$5 orig_files=$6 app_ms=$7
layer_bytes=$(e2e_uncompressed_bytes "$out")
stored=$(e2e_image_bytes "$out")

frag=$BENCH_DIR/results/slim.md
med_slim=$(bench_median slim)
med_umoci=$(bench_median umoci)
{
  echo "## whittle slim beside umoci unpack (issue 4)"
  echo
  bench_machine
  echo "- Image: the e2e python3 image (as in the convert benchmark), OCI layout with gzip layers."
  echo "- Method: \`bench/slim.sh\` — hyperfine, $BENCH_RUNS runs after $BENCH_WARMUP warm-up, outputs removed before each run;"
  echo "  peak RSS of one run by \`/usr/bin/time -v\` (the largest process of the run)."
  echo
  cat "$BENCH_ROWS"
  echo
  echo "Exact commands (IMG = \`$img\`, IMG-DIR its directory, OUT and ART fresh paths):"
  echo
  echo '```'
  bench_commands |
    sed "s#$img#IMG#g; s#$E2E_IMG_OCI_DIR#IMG-DIR#g; s#$out#OUT#g; s#$art#ART#g; s#$W#whittle#g"
  echo '```'
  echo
  awk -v s="$med_slim" -v u="$med_umoci" -v a="$app_ms" 'BEGIN {
    job = s - 2 * a / 1000
    printf "- Time: the app ran %.3f s traced (profile runs[].duration_ms), counted twice (trace + verify);\n", a / 1000
    printf "  whittle slim less that = %.3f s = **%.2fx** umoci unpack (%.3f s). Goal: <= 0.4x.\n", job, job / u, u
  }'
  awk -v p="$prof_bytes" -v pf="$prof_files" -v s="$slim_bytes" -v sf="$slim_files" -v l="$layer_bytes" \
    -v o="$orig_bytes" -v of="$orig_files" -v st="$stored" 'BEGIN {
    printf "- Size: the profile names %d regular files of %d bytes (in the original image); the slimmed image holds\n", pf, p
    printf "  %d regular files of %d bytes = **%.2fx** the profile (goal <= 1.10x); its layer is %d bytes as a tar\n", sf, s, s / p, l
    printf "  (%.2fx), %d bytes stored (gzip). The original holds %d regular files of %d bytes (%.1fx the slimmed).\n", l / p, st, of, o, o / s
  }'
} >"$frag"
cat "$frag"
