# Shared functions of whittle's benchmarks (sourced by bench/*.sh). Each benchmark writes one markdown
# fragment, bench/results/<name>.md, carrying its own machine line, date and exact commands; bench/run.sh
# joins the fragments into bench/RESULTS.md.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
WHITTLE_SRC=$(cd "$BENCH_DIR/.." && pwd)
export WHITTLE_SRC
WHITTLE=${1:-${WHITTLE:-$WHITTLE_SRC/build/whittle}}
WHITTLE=$(cd "$(dirname "$WHITTLE")" && pwd)/$(basename "$WHITTLE")
export WHITTLE
# The same image cache as ctest's (WHITTLE_E2E_CACHE=<build>/e2e-cache): the e2e images are built once.
: "${WHITTLE_E2E_CACHE:=$(dirname "$WHITTLE")/e2e-cache}"
export WHITTLE_E2E_CACHE
# Real-time scheduling (SCHED_FIFO, both CPUs) for every measured command when root: the machine is shared
# with builds, and a CFS job at normal priority would otherwise steal half the CPU from the runs. The
# kernel's RT throttling (sched_rt_runtime_us) keeps the rest of the machine alive. BENCH_SCHED=none: off.
if [ "${BENCH_SCHED:-rt}" = rt ] && [ "$(id -u)" = 0 ] && command -v chrt >/dev/null 2>&1; then
  BENCH_PREFIX="chrt -f 10 "
else
  BENCH_PREFIX=""
fi
: "${BENCH_RUNS:=5}"
: "${BENCH_WARMUP:=1}"

# bench_commit [SRC]: the commit of the source tree, "-dirty" when a file outside the benchmark results
# differs from it (the results themselves are rewritten while the benchmarks run).
bench_commit() {
  _c_src=${1:-$WHITTLE_SRC}
  _c_rev=$(git -C "$_c_src" rev-parse --short=7 HEAD 2>/dev/null) || { echo unknown; return 0; }
  if [ -n "$(git -C "$_c_src" status --porcelain -- ':/' ':(top,exclude)bench/results' \
    ':(top,exclude)bench/RESULTS.md' 2>/dev/null)" ]; then
    _c_rev=$_c_rev-dirty
  fi
  echo "$_c_rev"
}

# bench_machine: a markdown line naming the machine, the kernel, the date and the load.
bench_machine() {
  cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
  printf -- '- Machine: %s x %s, %s GiB RAM, kernel %s, %s\n' "$(nproc)" "$cpu" \
    "$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" "$(uname -r)" \
    "$(. /etc/os-release && echo "$PRETTY_NAME")"
  if [ -n "$BENCH_PREFIX" ]; then
    printf -- '- Scheduling: every measured command under `%s` (SCHED_FIFO, both CPUs), shielded from other jobs\n' \
      "${BENCH_PREFIX% }"
  else
    printf -- '- Scheduling: normal priority (BENCH_SCHED=none or not root): as noisy as the machine\n'
  fi
  printf -- '- Date: %s; load average at start: %s; whittle %s (commit %s)\n' "$BENCH_START_DATE" \
    "$BENCH_START_LOAD" "$("$WHITTLE" --version | awk '{print $2}')" \
    "$(bench_commit)"
}

# bench_hyperfine NAME PREPARE CMD: runs CMD $BENCH_RUNS times (after $BENCH_WARMUP warm-ups) with hyperfine,
# PREPARE before each run; leaves $BENCH_TMP/NAME.json. Prints nothing.
bench_hyperfine() {
  hyperfine --style none --runs "$BENCH_RUNS" --warmup "$BENCH_WARMUP" --prepare "$2" \
    --export-json "$BENCH_TMP/$1.json" "$BENCH_PREFIX$3" >/dev/null
}

# bench_stats NAME: "median min max runs cpu" in seconds from $BENCH_TMP/NAME.json; cpu is hyperfine's mean
# user + system time of the command's processes (more than the wall time when it runs several threads).
bench_stats() {
  python3 -c '
import json, statistics, sys
r = json.load(open(sys.argv[1]))["results"][0]
t, cpu = r["times"], r["user"] + r["system"]
print(f"{statistics.median(t):.3f} {min(t):.3f} {max(t):.3f} {len(t)} {cpu:.3f}")' "$BENCH_TMP/$1.json"
}

# bench_bytes PATH...: bytes of the regular files under PATHs (a file or a tree; a hard-linked file counted
# once), the same on every filesystem (directory sizes, which differ between ext4 and tmpfs, left out).
bench_bytes() {
  python3 -c '
import os, sys
seen, total = set(), 0
def add(path):
    global total
    st = os.lstat(path)
    if os.path.isfile(path) and not os.path.islink(path) and (st.st_dev, st.st_ino) not in seen:
        seen.add((st.st_dev, st.st_ino))
        total += st.st_size
for root in sys.argv[1:]:
    if os.path.isdir(root) and not os.path.islink(root):
        for d, _, files in os.walk(root):
            for f in files:
                add(os.path.join(d, f))
    elif os.path.lexists(root):
        add(root)
print(total)' "$@"
}

# bench_fs PATH: the type of the filesystem holding PATH (or its nearest existing parent), e.g. ext4, tmpfs.
bench_fs() {
  _f_p=$1
  while [ ! -e "$_f_p" ]; do _f_p=$(dirname "$_f_p"); done
  df --output=fstype "$_f_p" | tail -n1
}

# bench_rss PREPARE CMD: peak resident set size in MiB of CMD (and its children), from GNU time -v.
bench_rss() {
  sh -c "$1" >/dev/null 2>&1
  /usr/bin/time -v sh -c "$BENCH_PREFIX$2" 2>"$BENCH_TMP/time.txt" >/dev/null || {
    cat "$BENCH_TMP/time.txt" >&2
    echo "n/a"
    return 0
  }
  awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$BENCH_TMP/time.txt"
}

# bench_row LABEL NAME PREPARE CMD [OUTPUT...]: measures CMD (times, CPU and RSS) and appends a table row to
# $BENCH_ROWS (the header is bench_table_header's); OUTPUT: the paths CMD writes, whose bytes (bench_bytes,
# after the RSS run) fill the row's last column ("-" without).
bench_row() {
  echo "bench: $1" >&2
  bench_hyperfine "$2" "$3" "$4"
  _r_rss=$(bench_rss "$3" "$4")
  _r_out=-
  if [ $# -gt 4 ]; then
    _r_label=$1 _r_name=$2
    shift 4
    _r_out=$(bench_bytes "$@")
    set -- "$_r_label" "$_r_name"
  fi
  # shellcheck disable=SC2046
  set -- "$1" "$2" $(bench_stats "$2")
  printf '| %s | %s | %s - %s | %s | %s | %s | %s |\n' "$1" "$3" "$4" "$5" "$6" "$7" "$_r_rss" "$_r_out" >>"$BENCH_ROWS"
  printf '%s %s\n' "$2" "$3" >>"$BENCH_TMP/medians"
}

# bench_table_header: the header of bench_row's table, written to $BENCH_ROWS.
bench_table_header() {
  {
    echo "| command | median s | min - max s | runs | CPU s (mean) | peak RSS MiB | output bytes |"
    echo "|---|---|---|---|---|---|---|"
  } >"$BENCH_ROWS"
}

# bench_table_note: what bench_row's columns are, for the text under a table.
bench_table_note() {
  echo "Columns: wall-time median, minimum and maximum; CPU = mean user + system time of the command's processes"
  echo "(hyperfine; above the wall time when the command runs several threads); peak RSS of one run by"
  echo "\`/usr/bin/time -v\` (its largest process); output bytes = the regular files the command wrote (hard links"
  echo "once, directory entries not counted), \"-\" for a command that writes no image."
}

# bench_commands: the measured commands, in the order measured.
bench_commands() {
  for _b_name in $(awk '{print $1}' "$BENCH_TMP/medians"); do
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["command"])' "$BENCH_TMP/$_b_name.json"
  done
}

# bench_median NAME: the median recorded by bench_row for NAME.
bench_median() {
  awk -v n="$1" '$1 == n {print $2}' "$BENCH_TMP/medians"
}

bench_setup() {
  for tool in hyperfine python3 /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: missing $tool (scripts/install-deps.sh)" >&2; exit 1; }
  done
  [ -x "$WHITTLE" ] || { echo "bench: no whittle binary at $WHITTLE" >&2; exit 1; }
  # The date and load of the start, for bench_machine (which runs when the section is written).
  BENCH_START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
  BENCH_START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/whittle-bench.XXXXXX")
  BENCH_ROWS=$BENCH_TMP/rows.md
  : >"$BENCH_ROWS"
  : >"$BENCH_TMP/medians"
  trap 'rm -rf "$BENCH_TMP"' EXIT
  mkdir -p "$BENCH_DIR/results"
}
