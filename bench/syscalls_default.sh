#!/bin/sh
# The cost of recording syscalls, whittle's default (seccomp.json always written and proven), beside
# `--no-seccomp`, on the e2e python3 image (a short CLI app) and, when it builds, the e2e
# nginx image (a server answering probes). `whittle trace` and `whittle slim` each, median of
# $BENCH_RUNS runs. Also the ptrace stops of one trace either way (trace --json). Writes
# bench/results/syscalls_default.md.
#   bench/syscalls_default.sh [WHITTLE]
set -eu
. "$(dirname "$0")/common.sh"
bench_setup
. "$WHITTLE_SRC/tests/e2e/lib.sh"
e2e_python_image >&2
py=$E2E_IMG_OCI
out=$BENCH_TMP/out
art=$BENCH_TMP/art
prof=$BENCH_TMP/p.json
W=$WHITTLE
clean="rm -rf $out $art $prof"

bench_table_header
bench_row "python: whittle trace (recording, default)" py_trace "$clean" "$W trace $py -o $prof"
bench_row "python: whittle trace --no-seccomp" py_trace_off "$clean" "$W trace $py -o $prof --no-seccomp"
bench_row "python: whittle slim (recording, default)" py_slim "$clean" \
  "$W slim $py -o oci:$out:latest --artifacts $art" "$out"
bench_row "python: whittle slim --no-seccomp" py_slim_off "$clean" \
  "$W slim $py -o oci:$out:latest --artifacts $art --no-seccomp" "$out"

# Before this change (BENCH_OLD_WHITTLE, e.g. main's build): no recording by default, and the old opt-in
# --syscalls (a PTRACE_SYSCALL stop at entry and exit of every call).
OLD=${BENCH_OLD_WHITTLE:-}
if [ -n "$OLD" ]; then
  bench_row "python: old whittle trace (no recording)" old_trace "$clean" "$OLD trace $py -o $prof"
  bench_row "python: old whittle trace --syscalls" old_trace_sys "$clean" "$OLD trace $py -o $prof --syscalls"
fi

# app_ms IMAGE ARGS...: median over $BENCH_RUNS traces of the app's own traced run time (the profile's
# runs[0].duration_ms), without extraction and profile writing, where the recording's stops land.
app_ms() {
  _a_img=$1
  shift
  _a_i=0
  : >"$BENCH_TMP/ms"
  while [ "$_a_i" -lt "$BENCH_RUNS" ]; do
    $BENCH_PREFIX"$W" trace "$_a_img" -o "$prof" "$@" >/dev/null 2>&1
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"][0]["duration_ms"])' "$prof" >>"$BENCH_TMP/ms"
    _a_i=$((_a_i + 1))
  done
  python3 -c 'import statistics,sys; print(statistics.median(float(l) for l in open(sys.argv[1])))' "$BENCH_TMP/ms"
}
py_ms_on=$(app_ms "$py")
py_ms_off=$(app_ms "$py" --no-seccomp)

stops() { # IMAGE ARGS...: the tracer's stops of one trace
  _s_img=$1
  shift
  "$W" trace "$_s_img" -o "$prof" --json "$@" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["stops"])'
}
py_stops_on=$(stops "$py")
py_stops_off=$(stops "$py" --no-seccomp)
"$W" trace "$py" -o "$prof" >/dev/null 2>&1
py_calls=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["syscalls"]))' "$prof")

nginx_note="the nginx image did not build here: python only"
if e2e_nginx_image >&2; then
  ng=$E2E_IMG_OCI
  url="http://127.0.0.1:$E2E_NGINX_PORT/"
  probe="--probe $url --probe $url --probe $url"
  bench_row "nginx: whittle trace (recording, default)" ng_trace "$clean" "$W trace $ng -o $prof $probe"
  bench_row "nginx: whittle trace --no-seccomp" ng_trace_off "$clean" "$W trace $ng -o $prof $probe --no-seccomp"
  bench_row "nginx: whittle slim (recording, default)" ng_slim "$clean" \
    "$W slim $ng -o oci:$out:latest --artifacts $art $probe" "$out"
  bench_row "nginx: whittle slim --no-seccomp" ng_slim_off "$clean" \
    "$W slim $ng -o oci:$out:latest --artifacts $art $probe --no-seccomp" "$out"
  # shellcheck disable=SC2086
  ng_stops_on=$(stops "$ng" $probe)
  # shellcheck disable=SC2086
  ng_stops_off=$(stops "$ng" $probe --no-seccomp)
  # shellcheck disable=SC2086
  ng_ms_on=$(app_ms "$ng" $probe)
  # shellcheck disable=SC2086
  ng_ms_off=$(app_ms "$ng" $probe --no-seccomp)
  nginx_note="nginx: $ng_stops_on stops recording, $ng_stops_off with --no-seccomp (3 HTTP probes);
  the app's own traced run (start to the end of the probes and its stop), median of $BENCH_RUNS: $ng_ms_on ms recording,
  $ng_ms_off ms with --no-seccomp"
fi

ratio() {
  python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f"{a / b:.2f}x" if b > 0 else "n/a")' "$1" "$2"
}
frag=$BENCH_DIR/results/syscalls_default.md
{
  echo "## Syscall recording (the default) beside --no-seccomp"
  echo
  bench_machine
  echo "- Images: the e2e python3 image (a CLI app that imports stdlib modules and exits) and the e2e nginx"
  echo "  image (a server, 3 HTTP probes), OCI layouts with gzip layers on $(bench_fs "$WHITTLE_E2E_CACHE/images")."
  echo "- Method: \`bench/syscalls_default.sh\` — hyperfine, $BENCH_RUNS runs after $BENCH_WARMUP warm-up, outputs removed"
  echo "  before each run; outputs (OUT, ART, PROFILE) on $(bench_fs "$BENCH_TMP"), slim's work dir at its default."
  echo
  cat "$BENCH_ROWS"
  echo
  bench_table_note
  echo
  echo "Exact commands (PY and NGINX: \`oci:DIR:latest\` of the cached e2e images):"
  echo
  echo '```'
  bench_commands | sed "s#$py#PY#g; s#${ng:-/nonexistent}#NGINX#g; s#$prof#PROFILE#g; s#$out#OUT#g; s#$art#ART#g; s#$W#whittle#g"
  echo '```'
  echo
  echo "- python: trace with recording / --no-seccomp = $(ratio "$(bench_median py_trace)" "$(bench_median py_trace_off)");"
  echo "  slim = $(ratio "$(bench_median py_slim)" "$(bench_median py_slim_off)")."
  echo "  Tracer stops of one trace: $py_stops_on recording, $py_stops_off with --no-seccomp; $py_calls syscall names"
  echo "  in the profile (the baseline included). The app's own traced run (runs[0].duration_ms), median of"
  echo "  $BENCH_RUNS: $py_ms_on ms recording, $py_ms_off ms with --no-seccomp."
  if [ -n "$OLD" ]; then
    echo "- Older binary (BENCH_OLD_WHITTLE): trace without recording $(bench_median old_trace) s, with its opt-in"
    echo "  --syscalls $(bench_median old_trace_sys) s ($(ratio "$(bench_median old_trace_sys)" "$(bench_median old_trace)"))."
  fi
  if [ -n "${ng_stops_on:-}" ]; then
    echo "- nginx: trace = $(ratio "$(bench_median ng_trace)" "$(bench_median ng_trace_off)"),"
    echo "  slim = $(ratio "$(bench_median ng_slim)" "$(bench_median ng_slim_off)"). $nginx_note."
  else
    echo "- $nginx_note."
  fi
  echo "- Reading: recording lets a seccomp filter stop the app only on calls outside the baseline policy;"
  echo "  the extra stops it adds are counted above, and a stop costs tens of microseconds (the per-stop figure"
  echo "  of the trace section), so where the wall-time medians differ by more than that, the difference is the"
  echo "  machine's noise (see the load average and the min - max columns)."
} >"$frag"
cat "$frag"
