#!/bin/sh
# `make bench`: runs whittle's benchmarks and writes bench/RESULTS.md.
#   bench/run.sh [WHITTLE] [BENCH...]      BENCH: convert_inspect, slim, trace, syscalls_default, hardening,
#                                          gzip_encoder (default: all); `join` runs nothing and only rebuilds
#                                          RESULTS.md from the sections
# Each benchmark writes bench/results/<name>.md with its own machine line, date, commit, exact commands and
# medians; this script then joins the sections into bench/RESULTS.md. A benchmark that fails or cannot run
# keeps its last recorded section, marked as not re-run; one not asked for keeps it as it is (each section
# names its own date and commit). bench/trace/ab.sh (an A/B of two whittle binaries)
# is run by hand; a section it wrote to bench/results/ is joined after the others.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
whittle=${1:-$src/build/whittle}
[ $# -gt 0 ] && shift
whittle=$(cd "$(dirname "$whittle")" && pwd)/$(basename "$whittle")
[ -x "$whittle" ] || { echo "bench: no whittle binary at $whittle (run make)" >&2; exit 1; }
all="convert_inspect slim trace syscalls_default hardening gzip_encoder"
benches=${*:-$all}
mkdir -p "$here/results"
has() {
  "$whittle" --help 2>/dev/null | grep -Eq "^  $1( |$)"
}
status=0
stale=""
start=$(date +%s)
for b in $benches; do
  case $b in
    convert_inspect) need="inspect convert"; cmd="$here/convert_inspect.sh $whittle" ;;
    slim) need="slim"; cmd="$here/slim.sh $whittle" ;;
    trace) need="trace"; cmd="$here/trace/run.sh $whittle $here/results/trace.md" ;;
    syscalls_default) need="trace slim"; cmd="$here/syscalls_default.sh $whittle" ;;
    hardening) need="slim"; cmd="$here/hardening/run.sh $whittle" ;;
    gzip_encoder) need="convert"; cmd="$here/gzip_encoder.sh $whittle" ;;
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
  t0=$(date +%s)
  if ! $cmd; then
    echo "bench: $b failed" >&2
    status=1
    stale="$stale $b"
  fi
  echo "bench: $b took $(($(date +%s) - t0)) s" >&2
done
took=$(($(date +%s) - start))
case " $benches " in *" join "*) ;; *) echo "bench: all took $took s" >&2 ;; esac

out=$here/RESULTS.md
{
  echo "# whittle benchmark results"
  echo
  echo "Made by \`make bench\` (\`bench/run.sh\`), which runs \`bench/convert_inspect.sh\`, \`bench/slim.sh\`,"
  echo "\`bench/trace/run.sh\`, \`bench/syscalls_default.sh\`, \`bench/hardening/run.sh\` and \`bench/gzip_encoder.sh\`"
  echo "and joins their sections (\`bench/results/*.md\`). Each section names its machine, date, commit, exact"
  echo "commands and the medians of at least 5 runs. The e2e images are the ones the e2e suite builds"
  echo "(\`tests/e2e/lib.sh\`), cached in \`<build>/e2e-cache\`. The machine may be shared by other jobs (the load"
  echo "average at the start of each section says how busy it was), so the measured commands run under"
  echo "real-time scheduling where a section says so. A ratio is given only between commands doing the same"
  echo "work on the same filesystem."
  if [ "$benches" = "$all" ]; then
    echo
    echo "This run of all of them took $((took / 60)) min $((took % 60)) s."
  fi
  for b in $all; do
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
  # Sections written by hand-run tools (bench/trace/ab.sh); each says how it was made.
  for f in "$here"/results/*.md; do
    [ -e "$f" ] || continue
    case " $all " in *" $(basename "$f" .md) "*) continue ;; esac
    echo
    echo "> Made by hand (not by \`make bench\`); figures below are from the date shown."
    echo
    cat "$f"
  done
} >"$out"
echo "bench: wrote $out" >&2
exit $status
