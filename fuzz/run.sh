#!/bin/bash
# Runs one libFuzzer target, or every target one after the other (TARGET = all), for SECONDS each
# (default 60) on its seed corpus plus the corpus earlier runs grew (fuzz/work/TARGET, not committed).
# Crashes are written to fuzz/crashes/TARGET/; each run's log to fuzz/work/TARGET.log. With `all`, a
# Markdown row per target (seconds, executions, exec/s, coverage, crashes) is printed at the end, the
# shape of the table in fuzz/RESULTS.md. Exit status 1 if a run found a crash.
# Usage: fuzz/run.sh TARGET|all [SECONDS] [BUILD_DIR]
# Build first: cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
#   -DWHITTLE_FUZZ=ON -DWHITTLE_TESTS=OFF && cmake --build build-fuzz
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: fuzz/run.sh TARGET|all [SECONDS] [BUILD_DIR]}
seconds=${2:-60}
build=${3:-$src/build-fuzz}
targets=(fuzz_tar fuzz_image_archive fuzz_apply fuzz_oci_json fuzz_reference fuzz_profile fuzz_elf)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
  local t=$1
  [ -d "$src/fuzz/corpus/$t" ] || "$src/fuzz/seeds.sh" "$src/fuzz/corpus" >/dev/null
  mkdir -p "$src/fuzz/crashes/$t" "$src/fuzz/work/$t"
  (cd "$src/fuzz/crashes/$t" &&
    "$build/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=262144 \
      -print_final_stats=1 "$src/fuzz/work/$t" "$src/fuzz/corpus/$t")
}

if [ "$target" != all ]; then
  run_one "$target"
  exit
fi

rows=()
status=0
for t in "${targets[@]}"; do
  log=$src/fuzz/work/$t.log
  echo "fuzz/run.sh: $t for ${seconds}s (log: $log)" >&2
  mkdir -p "$src/fuzz/crashes/$t"
  before=$(find "$src/fuzz/crashes/$t" -type f | wc -l)
  rc=0
  run_one "$t" >"$log" 2>&1 || rc=$?
  final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  cov=$(sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/\1 \/ \2 \/ \3/' <<<"$done_line")
  crashes=$(($(find "$src/fuzz/crashes/$t" -type f | wc -l) - before))
  [ "$rc" = 0 ] || status=1
  rows+=("| $t | $(grep -Eo 'Done [0-9]+ runs in [0-9]+' "$log" | awk '{print $5}') | $(final_stat number_of_executed_units) | $(final_stat average_exec_per_sec) | ${cov:-?} | $(final_stat peak_rss_mb) MB | exit $rc, $crashes crash files |")
done
echo "| target | seconds | executions | exec/s | cov / ft / corpus | peak RSS | result |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit $status
