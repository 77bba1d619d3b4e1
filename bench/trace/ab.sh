#!/bin/sh
# A/B of the trace cost between two whittle binaries on one machine (e.g. a commit and the one before a
# change to the tracer or the sandbox), run by hand, not by `make bench`. Each binary traces
# bench/trace/bench.py in the e2e python3 image in a rootfs it extracted itself (the newer one shifts
# owners), untraced and traced, pinned (`chrt -f 10 taskset -c 1`), medians of $BENCH_RUNS hyperfine runs.
#   bench/trace/ab.sh OLD_WHITTLE NEW_WHITTLE [FRAGMENT.md]   (AB_OLD_LABEL/AB_NEW_LABEL name them, e.g. commits)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
WHITTLE_SRC=$(cd "$here/../.." && pwd)
export WHITTLE_SRC
old=$1
new=$2
FRAGMENT=${3:-$WHITTLE_SRC/bench/results/trace_ab.md}
: "${BENCH_RUNS:=7}"
: "${WHITTLE_E2E_CACHE:=$(dirname "$new")/e2e-cache}"
WHITTLE=$new
export WHITTLE WHITTLE_E2E_CACHE
. "$WHITTLE_SRC/tests/e2e/lib.sh"
e2e_python_image
IMG=$E2E_IMG_OCI
work=$(mktemp -d "${TMPDIR:-/var/tmp}/whittle-bench-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT
for v in old new; do
  eval "bin=\$$v"
  mkdir -p "$work/$v"
  "$bin" trace "$IMG" -o "$work/$v/extract.json" --workdir "$work/$v" --keep-workdir --quiet -- true
  root=$(ls -d "$work/$v"/.whittle-trace-*/rootfs)
  cp "$here/bench.py" "$root/bench.py"
  for mode in untraced traced; do
    flag=""
    [ "$mode" = untraced ] && flag="--untraced"
    chrt -f 10 taskset -c 1 hyperfine -N --style none --runs "$BENCH_RUNS" --warmup 1 \
      --export-json "$work/$v.$mode.json" \
      "$bin trace $IMG --rootfs $root --quiet -o $work/$v/p.json $flag -- python3 /bench.py" >/dev/null
  done
  "$bin" trace "$IMG" --rootfs "$root" -o "$work/$v/s.json" --verbose -- python3 /bench.py 2>&1 >/dev/null |
    sed -n 's/.*special, \([0-9]*\) stops.*/\1/p' >"$work/$v.stops"
done
python3 - "$work" "$FRAGMENT" "${AB_OLD_LABEL:-$old}" "${AB_NEW_LABEL:-$new}" "$BENCH_RUNS" <<'PY'
import json, os, statistics, subprocess, sys, time
work, out, old, new, runs = sys.argv[1:6]
def med(name):
    return statistics.median(json.load(open(os.path.join(work, name + ".json")))["results"][0]["times"])
cpu = subprocess.run("lscpu | sed -n 's/^Model name: *//p' | head -1", shell=True, capture_output=True, text=True).stdout.strip()
rows = []
for v, b in (("old", old), ("new", new)):
    u, t = med(v + ".untraced"), med(v + ".traced")
    stops = open(os.path.join(work, v + ".stops")).read().strip()
    rows.append(f"| {v} ({b}) | {u:.3f} | {t:.3f} | {t / u:.2f}x | {stops} |")
with open(out, "w") as f:
    f.write(f"""## trace cost of two whittle binaries (A/B on one machine)

- Machine: {os.cpu_count()} x {cpu}, kernel {os.uname().release}; date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())};
  load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}
- Command: `bench/trace/ab.sh OLD NEW` (pinned: `chrt -f 10 taskset -c 1`, hyperfine -N, {runs} runs after 1
  warm-up, medians). Workload `python3 /bench.py` in the e2e python3 image; each binary in a rootfs of its
  own extraction; "old" and "new" are the two binaries named in the table.

| binary | untraced s | traced s | traced / untraced | tracer stops |
|---|---|---|---|---|
""" + "\n".join(rows) + "\n")
PY
echo "bench/trace/ab: wrote $FRAGMENT" >&2
