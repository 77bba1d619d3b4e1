#!/bin/sh
# `whittle slim` on the e2e python3 image beside `umoci unpack` of the same image, each pair writing to one
# filesystem: a tmpfs (/dev/shm, where slim puts its work dir by default) and the disk under $TMPDIR (default
# /var/tmp). slim gets --workdir, -o and --artifacts on the filesystem of its pair, umoci its bundle there.
# Figures: slim's whole job less the app's own run time against umoci unpack alone on the same filesystem
# (target <= 0.4x); the slimmed image's file bytes against the sum of the sizes of the profile's files
# (target <= 1.10x); peak RSS and bytes written. The app's own run time is the median over $BENCH_RUNS
# traces, run like the timed commands, of the profile's runs[0].duration_ms, counted twice (slim runs the
# app traced, then again to verify).
# Writes bench/results/slim.md.
#   bench/slim.sh [WHITTLE]          BENCH_SHM=DIR: the tmpfs to use (default /dev/shm)
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
W=$WHITTLE
shm=$(mktemp -d "${BENCH_SHM:-/dev/shm}/whittle-bench.XXXXXX")
trap 'rm -rf "$BENCH_TMP" "$shm"' EXIT
[ "$(bench_fs "$shm")" = tmpfs ] || echo "bench: warning: $shm is not a tmpfs" >&2

bench_table_header
for fs in shm disk; do
  if [ $fs = shm ]; then d=$shm; else d=$BENCH_TMP; fi
  out=$d/out art=$d/art work=$d/work
  clean="rm -rf $out $art $work && mkdir $work"
  t=$(bench_fs "$d")
  bench_row "whittle slim (trace + build + verify), all on $t" slim_$fs "$clean" \
    "$W slim $img -o oci:$out:latest --artifacts $art --workdir $work" "$out"
  bench_row "whittle slim --no-verify, all on $t" slim_nv_$fs "$clean" \
    "$W slim $img -o oci:$out:latest --artifacts $art --workdir $work --no-verify" "$out"
  bench_row "umoci unpack to $t" umoci_$fs "$clean" "umoci unpack --image ${img#oci:} $out >/dev/null" "$out"
done
out=$BENCH_TMP/out
art=$BENCH_TMP/art
clean="rm -rf $out $art"

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
print(prof_bytes, prof_files, slim_bytes, slim_files, orig_bytes, orig_files)
PY
)
set -- $figures
prof_bytes=$1 prof_files=$2 slim_bytes=$3 slim_files=$4 orig_bytes=$5 orig_files=$6
# The app's own traced run, under the timed commands' scheduling (it varies with the machine's load).
i=0
: >"$BENCH_TMP/app_ms"
while [ "$i" -lt "$BENCH_RUNS" ]; do
  $BENCH_PREFIX"$W" trace "$img" -o "$BENCH_TMP/p.json" >/dev/null 2>&1
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["runs"][0]["duration_ms"])' "$BENCH_TMP/p.json" \
    >>"$BENCH_TMP/app_ms"
  i=$((i + 1))
done
app_ms=$(python3 -c 'import statistics, sys; print(statistics.median(float(l) for l in open(sys.argv[1])))' "$BENCH_TMP/app_ms")
layer_bytes=$(e2e_uncompressed_bytes "$out")
stored=$(bench_bytes "$out")

frag=$BENCH_DIR/results/slim.md
{
  echo "## whittle slim beside umoci unpack, on the same filesystem"
  echo
  bench_machine
  echo "- Image: the e2e python3 image (as in the convert section), OCI layout with gzip layers on $(bench_fs "$E2E_IMG_OCI_DIR")."
  echo "- Filesystems: each pair writes everything to one filesystem: \"tmpfs\" rows to \`$(dirname "$shm")\` (slim's"
  echo "  default work dir when it has room), \"$(bench_fs "$BENCH_TMP")\" rows under \`$(dirname "$BENCH_TMP")\`; slim's work dir, image"
  echo "  and artifacts, and umoci's bundle (rootfs and metadata)."
  echo "- Method: \`bench/slim.sh\` — hyperfine, $BENCH_RUNS runs after $BENCH_WARMUP warm-up, outputs removed before each run."
  echo
  cat "$BENCH_ROWS"
  echo
  bench_table_note
  echo
  echo "Exact commands, in the order of the table (IMG = \`oci:IMG-DIR:latest\`, the cached e2e image; D = a fresh"
  echo "directory on the row's filesystem):"
  echo
  echo '```'
  bench_commands |
    sed "s#$img#IMG#g; s#$E2E_IMG_OCI_DIR#IMG-DIR#g; s#$shm#D#g; s#$BENCH_TMP#D#g; s#$W#whittle#g"
  echo "${BENCH_PREFIX}whittle trace IMG -o PROFILE     # $BENCH_RUNS times: the app's own run, runs[0].duration_ms"
  echo '```'
  echo
  for fs in shm disk; do
    if [ $fs = shm ]; then t=$(bench_fs "$shm"); else t=$(bench_fs "$BENCH_TMP"); fi
    awk -v s="$(bench_median slim_$fs)" -v u="$(bench_median umoci_$fs)" -v a="$app_ms" -v t="$t" -v n="$BENCH_RUNS" 'BEGIN {
      job = s - 2 * a / 1000
      printf "- Time on %s: whittle slim %.3f s less the app'"'"'s own run (%.3f s traced, median of %d traces; counted\n", t, s, a / 1000, n
      printf "  twice: trace + verify)\n"
      printf "  = %.3f s = **%.2fx** umoci unpack to %s (%.3f s). Target: <= 0.4x.\n", job, job / u, t, u
    }'
  done
  awk -v p="$prof_bytes" -v pf="$prof_files" -v s="$slim_bytes" -v sf="$slim_files" -v l="$layer_bytes" \
    -v o="$orig_bytes" -v of="$orig_files" -v st="$stored" 'BEGIN {
    printf "- Size: the profile names %d regular files of %d bytes (in the original image); the slimmed image holds\n", pf, p
    printf "  %d regular files of %d bytes = **%.2fx** the profile (target <= 1.10x); its layer is %d bytes as a tar\n", sf, s, s / p, l
    printf "  (%.2fx), %d bytes stored (gzip). The original holds %d regular files of %d bytes (%.1fx the slimmed).\n", l / p, st, of, o, o / s
  }'
} >"$frag"
cat "$frag"
