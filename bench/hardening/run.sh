#!/bin/sh
# For each image of the hardening e2e suites (tests/e2e/test_slim_hardening_*.sh: stock nginx, the
# official-style redis entrypoint, the curl HEALTHCHECK, the retry-loop job), the time of `whittle slim` with
# syscall recording on (the default) beside `--no-seccomp`, and the bytes each wrote; the sizes before and after, and what the entrypoint script scan and self-repair added
# (report.json kept_by_reason `script-command` / `verify-repair`, and the size with `--no-script-scan` /
# `--no-repair` beside the default). Medians of $BENCH_RUNS runs (default 5), the two timed commands alternating.
# Writes bench/results/hardening.md (bench/run.sh joins it into bench/RESULTS.md).
#   bench/hardening/run.sh [WHITTLE]          BENCH_RUNS=N, BENCH_SCHED=none as in bench/common.sh;
#                                             BENCH_IMAGES="nginx redis healthcheck retry" (the default)
set -eu
# common.sh takes the directory of $0 as bench/; this script lives one level below.
BENCH_RUNS=${BENCH_RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
WHITTLE=${1:-${WHITTLE:-$here/../../build/whittle}}
. "$here/../common.sh"
BENCH_DIR=$(cd "$here/.." && pwd)
WHITTLE_SRC=$(cd "$BENCH_DIR/.." && pwd)
export WHITTLE_SRC
bench_setup
. "$WHITTLE_SRC/tests/e2e/lib.sh"
e2e_whittle_has slim || { echo "bench: this whittle has no \`slim\`" >&2; exit 1; }
for tool in skopeo umoci zcat; do
  command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 1; }
done
has_flag() {
  "$WHITTLE" slim --help 2>&1 | grep -q -- "$1"
}
# E2E_WORK is where lib.sh keeps podman cleanup lists; the bench pulls nothing, but e2e_* expect it.
E2E_WORK=$BENCH_TMP
export E2E_WORK

# The slim arguments of each suite (kept in step with tests/e2e/test_slim_hardening_*.sh).
args_for() {
  case $1 in
    nginx)
      b=http://127.0.0.1:$E2E_NGINX_STOCK_PORT
      printf '%s\n' --probe "$b/" --probe "$b/missing.html" --probe "$b/index.nginx-debian.html"
      ;;
    redis)
      cli="redis-cli -p $E2E_REDIS_PORT"
      printf '%s\n' --probe-exec "i=0; until $cli ping >/dev/null 2>&1; do i=\$((i+1)); [ \$i -lt 500 ] || exit 1; done; \
$cli set greeting hello >/dev/null && $cli incr visits >/dev/null && [ \"\$($cli save)\" = OK ]" --include-exe redis-cli
      ;;
    healthcheck)
      b=http://127.0.0.1:$E2E_HEALTH_PORT
      printf '%s\n' --probe "$b/" --probe "$b/data.txt" --probe "$b/missing.html"
      ;;
    retry) ;;
  esac
}

# stats FILE: "median min max" of the seconds in FILE (one a line).
stats() {
  python3 -c '
import statistics, sys
t = [float(x) for x in open(sys.argv[1]).read().split()]
print(f"{statistics.median(t):.3f} {min(t):.3f} {max(t):.3f}")' "$1"
}

rows=$BENCH_TMP/hardening-rows.md
sizes=$BENCH_TMP/hardening-sizes.md
added=$BENCH_TMP/hardening-added.md
cmds=$BENCH_TMP/hardening-cmds.txt
: >"$rows"
: >"$sizes"
: >"$added"
: >"$cmds"
out=$BENCH_TMP/out
art=$BENCH_TMP/art
clean="rm -rf $out $art"

for name in ${BENCH_IMAGES:-nginx redis healthcheck retry}; do
  case $name in
    nginx) e2e_nginx_stock_image >&2 ;;
    redis) e2e_redis_image >&2 ;;
    healthcheck) e2e_healthcheck_image >&2 ;;
    retry) e2e_retry_job_image >&2 ;;
  esac
  # The healthcheck image's Healthcheck is only in its Docker config (skopeo's OCI layout drops it).
  src=$E2E_IMG_OCI
  [ "$name" = healthcheck ] && src=$E2E_IMG_DOCKER_ARCHIVE
  echo "bench: $name ($E2E_IMG_NAME)" >&2
  # One run first, outside the timing: does slim succeed at all, and its report for the sizes.
  sh -c "$clean"
  on=$(args_for "$name" | python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:] + sys.stdin.read().splitlines()))' \
    "$WHITTLE" slim "$src" -o "oci:$out:latest" --artifacts "$art")
  off="$on --no-seccomp"
  printf '%s\n%s\n' "$on" "$off" >>"$cmds"
  if ! sh -c "$on" >/dev/null 2>"$BENCH_TMP/$name.err"; then
    tail -n 20 "$BENCH_TMP/$name.err" >&2
    printf '| %s | slim failed | | | | | | |\n' "$name" >>"$rows"
    printf '| %s | slim failed | | | | |\n' "$name" >>"$sizes"
    continue
  fi
  report=$art/report.json
  orig_layers=$(e2e_uncompressed_bytes "$E2E_IMG_OCI_DIR")
  slim_layers=$(e2e_uncompressed_bytes "$out")
  orig_stored=$(bench_bytes "$E2E_IMG_OCI_DIR")
  slim_stored=$(bench_bytes "$out")
  set -- $(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
k = r.get("kept_by_reason", {})
def g(reason, f):
    return (k.get(reason) or {}).get(f, 0)
print(r["before"]["bytes"], r["after"]["bytes"], r["before"]["files"], r["after"]["files"],
      g("script-command", "paths"), g("script-command", "bytes"), g("verify-repair", "paths"),
      g("verify-repair", "bytes"), g("healthcheck", "paths"), g("healthcheck", "bytes"),
      (r.get("user") or {}).get("user", "?"))' "$report")
  before_b=$1 after_b=$2 before_f=$3 after_f=$4 sc_p=$5 sc_b=$6 vr_p=$7 vr_b=$8 hc_p=$9 hc_b=${10} user=${11}
  # Sizes with the scan / the repair off (one run each; sizes are deterministic).
  noscan="n/a"
  if has_flag --no-script-scan; then
    sh -c "$clean"
    if sh -c "$on --no-script-scan" >/dev/null 2>&1; then
      noscan=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["after"]["bytes"])' "$art/report.json")
    else
      noscan="slim fails"
    fi
  fi
  norepair="n/a"
  if has_flag --no-repair; then
    sh -c "$clean"
    if sh -c "$on --no-repair" >/dev/null 2>&1; then
      norepair=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["after"]["bytes"])' "$art/report.json")
    else
      norepair="slim fails"
    fi
  fi
  printf '| %s | %s | %s -> %s | %s -> %s | %s -> %s | %s -> %s | %s |\n' "$name" "$user" "$orig_layers" "$slim_layers" \
    "$orig_stored" "$slim_stored" "$before_f" "$after_f" "$before_b" "$after_b" \
    "$(python3 -c 'import sys; a, b = map(int, sys.argv[1:]); print(f"{a / b:.1f}x" if b else "-")' "$orig_layers" "$slim_layers")" \
    >>"$sizes"
  printf '| %s | %s paths, %s B | %s | %s paths, %s B | %s | %s paths, %s B |\n' "$name" "$sc_p" "$sc_b" "$noscan" \
    "$vr_p" "$vr_b" "$norepair" "$hc_p" "$hc_b" >>"$added"
  # The timings: the two commands alternate, run by run, so that a change in the machine's load between
  # them (it is shared) falls on both alike.
  if has_flag --no-seccomp; then
    : >"$BENCH_TMP/$name-on.times"
    : >"$BENCH_TMP/$name-off.times"
    i=0
    while [ "$i" -lt "$BENCH_RUNS" ]; do
      for mode in on off; do
        cmd=$on
        [ "$mode" = off ] && cmd=$off
        sh -c "$clean"
        t0=$(date +%s.%N)
        sh -c "$BENCH_PREFIX$cmd" >/dev/null 2>&1 || echo "bench: $name $mode run failed" >&2
        python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.3f}")' "$t0" "$(date +%s.%N)" \
          >>"$BENCH_TMP/$name-$mode.times"
        bench_bytes "$out" >"$BENCH_TMP/$name-$mode.bytes"
      done
      i=$((i + 1))
    done
    set -- $(stats "$BENCH_TMP/$name-on.times") $(cat "$BENCH_TMP/$name-on.bytes") \
      $(stats "$BENCH_TMP/$name-off.times") $(cat "$BENCH_TMP/$name-off.bytes")
    printf '| %s | %s | %s - %s | %s | %s | %s - %s | %s | %s |\n' "$name" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" \
      "$(python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print(f"{a / b:.2f}x")' "$1" "$5")" >>"$rows"
  else
    printf '| %s | (this whittle has no --no-seccomp) | | | | | | |\n' "$name" >>"$rows"
  fi
done

frag=$BENCH_DIR/results/hardening.md
{
  echo "## Hardening: syscall recording, non-root candidates, healthcheck, script scan, repair"
  echo
  bench_machine
  echo "- Images: the four real Debian images of \`tests/e2e/test_slim_hardening_*.sh\` (built by \`tests/e2e/lib.sh\`),"
  echo "  OCI layouts with gzip layers (the healthcheck image: its docker-archive, whose config holds the HEALTHCHECK);"
  echo "  each slimmed with the probes of its suite, default options otherwise."
  echo "- Method: \`bench/hardening/run.sh\` — $BENCH_RUNS runs of each command, the default and --no-seccomp alternating run by"
  echo "  run (so a change in the shared machine's load falls on both), wall time, outputs removed before each; medians."
  echo "  Outputs (OUT, ART) on $(bench_fs "$BENCH_TMP"), slim's work dir at its default; output bytes = the regular"
  echo "  files of OUT after the last run (hard links once)."
  echo
  echo "### Time of whittle slim: syscall recording on (default) beside --no-seccomp"
  echo
  echo "| image | default: median s | min - max s | output bytes | --no-seccomp: median s | min - max s | output bytes | ratio of medians |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$rows"
  echo
  echo "### Sizes before and after (default options)"
  echo
  echo "| image | user kept | layers uncompressed B | stored B (gzip) | regular files | file bytes (report) | ratio |"
  echo "|---|---|---|---|---|---|---|"
  cat "$sizes"
  echo
  echo "### What the script scan, the repair and the healthcheck added"
  echo
  echo "kept_by_reason of report.json (a path kept for several reasons counts under each), and the slimmed"
  echo "file bytes with the feature turned off (one run; n/a: this whittle has no such flag)."
  echo
  echo "| image | script-command | file bytes with --no-script-scan | verify-repair | file bytes with --no-repair | healthcheck |"
  echo "|---|---|---|---|---|---|"
  cat "$added"
  echo
  echo "Exact commands (timed; the size runs add --no-script-scan / --no-repair; \$CACHE = the e2e image cache):"
  echo
  echo '```'
  sed "s|^|$BENCH_PREFIX|; s|$WHITTLE_E2E_CACHE|\$CACHE|g; s|$BENCH_TMP|\$TMP|g; s|$WHITTLE|whittle|g" "$cmds"
  echo '```'
} >"$frag"
echo "bench: wrote $frag" >&2
