#!/bin/sh
# `make bench`: runs whittle's benchmarks and writes bench/RESULTS.md.
#   bench/run.sh [WHITTLE] [BENCH...]      BENCH: convert_inspect, slim, trace (default: all that apply);
#                                          `join` runs nothing and only rebuilds RESULTS.md from the sections
# Each benchmark writes bench/results/<name>.md with its own machine line, date, exact commands and medians;
# this script then joins every fragment present into bench/RESULTS.md, so a benchmark that cannot run yet
# (e.g. `whittle slim` before it lands) keeps its last recorded section, marked as such.
# bench/trace/run.sh (the trace harness's benchmark) is called as `bench/trace/run.sh WHITTLE FRAGMENT.md`
# and is expected to write its markdown section to FRAGMENT.md (bench/results/trace.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
whittle=${1:-$src/build/whittle}
[ $# -gt 0 ] && shift
whittle=$(cd "$(dirname "$whittle")" && pwd)/$(basename "$whittle")
[ -x "$whittle" ] || { echo "bench: no whittle binary at $whittle (run make)" >&2; exit 1; }
benches=${*:-convert_inspect slim trace}
mkdir -p "$here/results"
has() {
  "$whittle" --help 2>/dev/null | grep -Eq "^  $1( |$)"
}
status=0
stale=""
for b in $benches; do
  case $b in
    convert_inspect) need="inspect convert"; cmd="$here/convert_inspect.sh $whittle" ;;
    slim) need="slim"; cmd="$here/slim.sh $whittle" ;;
    trace)
      need="trace"
      if [ ! -x "$here/trace/run.sh" ]; then
        echo "bench: bench/trace/run.sh not present, skipping the trace benchmark" >&2
        continue
      fi
      cmd="$here/trace/run.sh $whittle $here/results/trace.md"
      ;;
    join) continue ;;
    *) echo "bench: unknown benchmark $b" >&2; exit 2 ;;
  esac
  missing=""
  for c in $need; do
    has "$c" || missing="$missing $c"
  done
  if [ -n "$missing" ]; then
    echo "bench: $b skipped: this whittle lacks:$missing" >&2
    stale="$stale $b"
    continue
  fi
  echo "bench: running $b" >&2
  if ! $cmd; then
    echo "bench: $b failed" >&2
    status=1
    stale="$stale $b"
  fi
done

out=$here/RESULTS.md
{
  echo "# whittle benchmark results"
  echo
  echo "Made by \`make bench\` (\`bench/run.sh\`), which runs \`bench/convert_inspect.sh\`, \`bench/slim.sh\` and"
  echo "\`bench/trace/run.sh\` and joins their sections (\`bench/results/*.md\`). Each section names its machine, date,"
  echo "exact commands and the medians of at least 5 runs (hyperfine). The e2e images are the ones the e2e suite"
  echo "builds (\`tests/e2e/lib.sh\`), cached in \`<build>/e2e-cache\`. The machine is shared by other jobs (the"
  echo "load average at the start of each section says how busy it was), so the measured commands run under"
  echo "real-time scheduling where a section says so."
  for b in convert_inspect slim trace; do
    f=$here/results/$b.md
    echo
    if [ -s "$f" ]; then
      case " $stale " in
        *" $b "*) echo "> Not re-run by the last \`make bench\` (see its output); figures below are from the date shown."; echo ;;
      esac
      cat "$f"
    else
      echo "## $b"
      echo
      echo "Not measured yet: \`bench/run.sh\` could not run it (missing command or script)."
    fi
  done
  # Sections measured once by hand for a design decision (not re-run by make bench); each says how.
  for f in "$here"/results/*.md; do
    case $(basename "$f" .md) in convert_inspect | slim | trace) continue ;; esac
    echo
    cat "$f"
  done
} >"$out"
echo "bench: wrote $out" >&2
exit $status
