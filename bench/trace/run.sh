#!/bin/sh
# The trace harness's benchmark: the same syscall-heavy python3 workload
# (bench/trace/bench.py: ~50 stdlib imports, then os.stat of every file under /usr/lib/python3.11) run
#   1. untraced in whittle's sandbox      whittle trace --untraced (same namespaces and mounts, no tracer)
#   2. under whittle trace                 the ptrace + seccomp-bpf tracer, profile written
#      (and with --tracer notify: seccomp user notifications instead of ptrace seccomp-stops)
#   3. under strace -f -e trace=%file -o /dev/null           (in a chroot of the same rootfs)
#   4. under strace -f --seccomp-bpf -e trace=%file -o /dev/null
#   (and, for reference, untraced in a plain chroot)
# Medians of $BENCH_RUNS (default 7) hyperfine runs after a warm-up; wall time and CPU time (user + sys of
# every process, hyperfine's rusage of the children). Two scheduling setups, because the machine is shared:
#   pinned: `chrt -f 10 taskset -c 1` (one CPU, real-time priority): shields the runs from other jobs; the
#           tracer and the tracee hand over on one CPU.
#   two:    `chrt -f 10` on both CPUs: shielded too, but every stop hands over between CPUs (an IPI, costly
#           in a VM): the worst case for any ptrace tracer.
#   free:   no pinning, normal priority: what a user sees, but as noisy as the machine's load.
#   bench/trace/run.sh [WHITTLE] [FRAGMENT.md]     (bench/run.sh calls it as `run.sh WHITTLE bench/results/trace.md`)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
WHITTLE_SRC=$(cd "$here/../.." && pwd)
export WHITTLE_SRC
WHITTLE=${1:-$WHITTLE_SRC/build/whittle}
WHITTLE=$(cd "$(dirname "$WHITTLE")" && pwd)/$(basename "$WHITTLE")
FRAGMENT=${2:-$WHITTLE_SRC/bench/results/trace.md}
: "${WHITTLE_E2E_CACHE:=$(dirname "$WHITTLE")/e2e-cache}"
: "${BENCH_RUNS:=7}"
export WHITTLE WHITTLE_E2E_CACHE
for tool in hyperfine strace python3 chroot chrt taskset; do
  command -v "$tool" >/dev/null || { echo "bench/trace: missing $tool (scripts/install-deps.sh)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/trace: needs root (the sandbox)" >&2; exit 1; }

BENCH_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
BENCH_COMMIT=$(
  src=$WHITTLE_SRC
  . "$src/bench/common.sh"
  bench_commit "$src"
)
export BENCH_LOAD BENCH_DATE BENCH_COMMIT
# The e2e python3 image (built once, cached).
. "$WHITTLE_SRC/tests/e2e/lib.sh"
e2e_python_image
IMG=$E2E_IMG_OCI

work=$(mktemp -d "${TMPDIR:-/var/tmp}/whittle-bench-trace.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Extract once (whittle's own extraction, kept), then every run uses that rootfs.
"$WHITTLE" trace "$IMG" -o "$work/extract.json" --workdir "$work" --keep-workdir --quiet -- true
ROOT=$(ls -d "$work"/.whittle-trace-*/rootfs)
cp "$here/bench.py" "$ROOT/bench.py"
W="$WHITTLE trace $IMG --rootfs $ROOT --quiet"

# Sanity: the traced run records the workload (interpreter, script and the stat-ed tree).
$W -o "$work/check.json" -- python3 /bench.py >/dev/null
python3 - "$work/check.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
paths = {f["path"] for f in p["files"]}
assert "/usr/bin/python3.11" in paths and "/bench.py" in paths, "workload not traced"
assert "/usr/lib/python3.11/zipfile.py" in paths and "/usr/lib/python3.11/wsgiref/util.py" in paths
PY

run() { # NAME COMMAND
  echo "bench/trace: $1" >&2
  hyperfine -N --style none --runs "$BENCH_RUNS" --warmup 1 --export-json "$work/$1.json" "$2" >/dev/null
  chrt -f 10 taskset -c 1 hyperfine -N --style none --runs "$BENCH_RUNS" --warmup 1 \
    --export-json "$work/$1.pinned.json" "$2" >/dev/null
  chrt -f 10 hyperfine -N --style none --runs "$BENCH_RUNS" --warmup 1 --export-json "$work/$1.two.json" "$2" >/dev/null
}
run untraced "$W -o $work/u.json --untraced -- python3 /bench.py"
run whittle "$W -o $work/t.json -- python3 /bench.py"
run whittle_notify "$W -o $work/n.json --tracer notify -- python3 /bench.py"
run whittle_allcpus "$W -o $work/a.json --all-cpus -- python3 /bench.py"
run strace "strace -f -e trace=%file -o /dev/null chroot $ROOT python3 /bench.py"
run strace_bpf "strace -f --seccomp-bpf -e trace=%file -o /dev/null chroot $ROOT python3 /bench.py"
run chroot "chroot $ROOT python3 /bench.py"
stops=$($WHITTLE trace $IMG --rootfs $ROOT -o "$work/t2.json" --verbose -- python3 /bench.py 2>&1 >/dev/null | sed -n 's/.*special, \([0-9]*\) stops.*/\1/p')

mkdir -p "$(dirname "$FRAGMENT")"
python3 - "$work" "$FRAGMENT" "$IMG" "$stops" "$BENCH_RUNS" <<'PY' 
import json, os, statistics, subprocess, sys, time
work, out, img, stops, runs = sys.argv[1:6]
def stats(name):
    r = json.load(open(os.path.join(work, name + ".json")))["results"][0]
    t = r["times"]
    cpu = [u + s for u, s in zip(r["user"], r["system"])] if isinstance(r.get("user"), list) else [r["user"] + r["system"]]
    return statistics.median(t), min(t), max(t), statistics.median(cpu) if len(cpu) > 1 else r["user"] + r["system"]
rows = [("untraced, in whittle's sandbox (`--untraced`)", "untraced"), ("whittle trace", "whittle"),
        ("whittle trace --tracer notify", "whittle_notify"),
        ("whittle trace --all-cpus (no pinning of its own)", "whittle_allcpus"),
        ("strace -f -e trace=%file -o /dev/null", "strace"),
        ("strace -f --seccomp-bpf -e trace=%file -o /dev/null", "strace_bpf"), ("untraced, plain chroot", "chroot")]

cpu_model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1048576
osname = next(l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release") if l.startswith("PRETTY_NAME"))
commit = os.environ["BENCH_COMMIT"]
lines = []
lines.append("## whittle trace beside strace\n")
lines.append(f"- Machine: {os.cpu_count()} x {cpu_model}, {mem:.0f} GiB RAM, kernel {os.uname().release}, {osname}")
lines.append(f"- Date: {os.environ['BENCH_DATE']}; load average at start: {os.environ['BENCH_LOAD']}; commit {commit}")
lines.append(f"- Workload: `python3 /bench.py` (`bench/trace/bench.py`: 54 stdlib imports, then `os.stat` of the 1,142 files")
lines.append(f"  under /usr/lib/python3.11) in the e2e python3 image (IMG, from the e2e cache), extracted once; whittle made {stops} tracer")
lines.append(f"  stops per run. Method: `bench/trace/run.sh`, hyperfine -N, {runs} runs after 1 warm-up; CPU = user + sys of all")
lines.append(f"  processes of the run. Each whittle run includes the sandbox setup (namespaces, mounts, pivot_root).")
lines.append(f"  *pinned*: every run under `chrt -f 10 taskset -c 1` (one CPU, real-time priority), which shields it from")
lines.append(f"  the other jobs of this shared machine; *two CPUs*: `chrt -f 10` alone; *free*: no pinning, normal")
lines.append(f"  priority (noisy when the load is high).")
lines.append(f"  W below is `whittle trace IMG --rootfs ROOT --quiet -o OUT`; strace runs in `chroot ROOT`.\n")
lines.append("| run | command | pinned: median wall s | min - max s | vs baseline | two CPUs: median wall s | vs baseline | free: median wall s | min - max s | vs baseline | free: median CPU s |")
lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
cmds = {"untraced": "W --untraced -- python3 /bench.py", "whittle": "W -- python3 /bench.py",
        "whittle_notify": "W --tracer notify -- python3 /bench.py",
        "whittle_allcpus": "W --all-cpus -- python3 /bench.py",
        "strace": "strace -f -e trace=%file -o /dev/null chroot ROOT python3 /bench.py",
        "strace_bpf": "strace -f --seccomp-bpf -e trace=%file -o /dev/null chroot ROOT python3 /bench.py",
        "chroot": "chroot ROOT python3 /bench.py"}
# Each row against its own untraced baseline: whittle's rows against the untraced sandbox run, strace's
# (which run in a plain chroot) against the untraced chroot run.
for label, name in rows:
    b = "untraced" if name.startswith("whittle") or name == "untraced" else "chroot"
    base, base_p, base_t = stats(b), stats(b + ".pinned"), stats(b + ".two")
    med, lo, hi, cpu = stats(name)
    pm, plo, phi, _ = stats(name + ".pinned")
    tm = stats(name + ".two")[0]
    lines.append(f"| {label} | `{cmds[name]}` | {pm:.3f} | {plo:.3f} - {phi:.3f} | {pm / base_p[0]:.2f}x | "
                 f"{tm:.3f} | {tm / base_t[0]:.2f}x | {med:.3f} | {lo:.3f} - {hi:.3f} | {med / base[0]:.2f}x | {cpu:.3f} |")
lines.append("")
lines.append("\"vs baseline\": whittle's rows against the untraced run in whittle's sandbox, strace's rows (run in a")
lines.append("plain chroot) against the untraced chroot run.")
lines.append("Reading: *pinned* is the tracing cost itself (tracer and app hand over on one CPU); *two CPUs* lets the")
lines.append("scheduler place them, and a tracer on the other CPU pays a cross-CPU wake-up at every stop. whittle pins")
lines.append("itself and the app to one CPU by default (trace/cpu_pin.hpp), so its rows differ little across the")
lines.append("columns (its --untraced baseline is pinned the same way); the --all-cpus row shows the cost that avoids.")
lines.append("*free* is what a user sees on this machine at its load of the moment.")
per_stop = (stats("whittle.pinned")[0] - stats("untraced.pinned")[0]) / max(int(stops or 1), 1) * 1e6
lines.append(f"Per stop (pinned), whittle adds {per_stop:.1f} us of wall time over its {stops} stops; strace --seccomp-bpf")
lines.append("stops on more calls (it does not let `fstat`'s `AT_EMPTY_PATH` form through).")
lines.append("")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
