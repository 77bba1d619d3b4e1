#pragma once
// One traced run, start to end: plan the sandbox, start it under the tracer, run the probes, decide when
// to stop (exit, probes, seconds, signal, or the timeout), then SIGTERM, a grace period and SIGKILL of the
// whole pid namespace. Returns the Profile (without the image fields, which the caller knows).
#include <chrono>
#include <optional>
#include <string>
#include <vector>
#include <whittle/trace/healthcheck.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/trace/sandbox_plan.hpp>

namespace whittle::trace {

enum class ContinueAfter
{
  exit,
  probes,
  seconds,
  signal
};

// How path syscalls reach the tracer: ptrace seccomp-stops (the default), or seccomp user notifications
// answered by a second tracer thread (notify). Both give the same profile; measured on the benchmark they
// cost the same (the price is the two context switches per call, not ptrace's bookkeeping), so ptrace
// stays the default and notify is kept as an alternative (e.g. where ptrace stops are costlier). Process
// events (fork, clone, exec, exit) always come through ptrace; syscall recording works with both.
enum class Mechanism
{
  ptrace,
  notify
};

struct TraceOptions
{
  SandboxOptions sandbox;
  std::chrono::milliseconds timeout{60000};
  std::vector<std::string> http_probes; // URLs
  std::vector<std::string> exec_probes; // shell commands
  // The image's HEALTHCHECK, run after the exec probes until it passes or fails (healthcheck.hpp); the
  // probe "healthcheck" of the run, holding the files of every attempt. Counts as a probe for
  // ContinueAfter::probes.
  std::optional<HealthcheckProbe> healthcheck;
  ContinueAfter continue_after = ContinueAfter::exit;
  std::chrono::milliseconds continue_for{0}; // ContinueAfter::seconds
  std::chrono::milliseconds probe_patience{30000};
  std::chrono::milliseconds grace{5000};
  // Syscall recording (profile.syscalls, for seccomp.json): the filter also stops on every call outside
  // trace::seccomp_baseline(), which the profile's set then includes. On by default in the CLI
  // (--no-seccomp turns it off); off here, so a library caller pays only for what it asks.
  bool all_syscalls = false;
  size_t max_paths = 0; // distinct paths recorded before the run is stopped; 0: the
                        // tracer's default (TracerOptions, tracer.hpp)
  // The app's memory, task and disk caps (--memory, --pids, --disk), held by a ResourceGuard.
  AppLimits limits;
  // Where the cgroup filesystems are mounted; tests point it at an empty directory to get the rlimit
  // fallback.
  std::string cgroup_root = "/sys/fs/cgroup";
  int stop_signal = 15; // sent to every process at the end (the image's StopSignal)
  bool untraced = false;
  // Tracer and app on one CPU (trace/cpu_pin.hpp); false with --all-cpus.
  bool one_cpu = true;
  // Where the app's stdout passes on to (whittle's stdout; slim and verify use stderr, theirs is the
  // report). Its sha256 is runs[0].stdout_sha256. Exec probes write to whittle's stdout directly.
  int stdout_fd = 1;
  Mechanism mechanism = Mechanism::ptrace; // run in the same sandbox without filter and tracer (benchmarks)
};

struct TraceOutcome
{
  Profile profile;
  bool timed_out = false;
  uint64_t stops = 0;
};

// Interface.

// Runs the trace. Throws UsageError (bad probe URL), BadInput (user or program not in the image),
// SandboxError (namespaces, ptrace or seccomp refused; the app could not be started: the child's
// {errno, step} becomes the message), Error when the app broke a resource cap: it wrote more than
// limits.disk_bytes below the rootfs (the sandbox is killed at once) or the kernel OOM-killed part of it
// at the memory cap; the message names the flag and the cap.
TraceOutcome run_trace(const TraceOptions& options);

// Parses a --continue-after value: exit, probes, signal or a number of seconds. Throws UsageError.
void parse_continue_after(const std::string& value, TraceOptions& options);

} // namespace whittle::trace
