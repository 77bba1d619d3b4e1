#!/bin/bash
# Runs one libFuzzer target for SECONDS (default 60) on its seed corpus; crashes are written to
# fuzz/crashes/TARGET/. Usage: fuzz/run.sh TARGET [SECONDS] [BUILD_DIR]
# Build first: cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
#   -DWHITTLE_FUZZ=ON -DWHITTLE_TESTS=OFF && cmake --build build-fuzz --target TARGET
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] [BUILD_DIR]}
seconds=${2:-60}
build=${3:-$src/build-fuzz}
[ -d "$src/fuzz/corpus/$target" ] || "$src/fuzz/seeds.sh" "$src/fuzz/corpus" >/dev/null
mkdir -p "$src/fuzz/crashes/$target" "$src/fuzz/work/$target"
cd "$src/fuzz/crashes/$target"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=262144 \
  -print_final_stats=1 "$src/fuzz/work/$target" "$src/fuzz/corpus/$target"
