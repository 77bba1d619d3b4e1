#pragma once
// What `whittle slim` and `whittle verify` share with `whittle trace`: the trace flags and their parsing
// into trace::TraceOptions, one traced run of an image in a fresh work directory (the app's stdout hashed
// by the trace session and passed on to stderr), and the comparison of two runs (verify).
#include <optional>
#include <string>
#include <vector>
#include <whittle/cli/args.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/rootfs/tree.hpp>
#include <whittle/trace/session.hpp>

namespace whittle::cli {

// --entrypoint, --cmd, --env, --cwd, --mount, --timeout, --network, --syscalls, --probe, --probe-exec,
// --continue-after, --memory, --pids, --disk, --workdir, --keep-workdir (as in `whittle trace`).
std::vector<FlagSpec> trace_flags();

// Checks the trace flags and fills everything but the sandbox's rootfs, state_dir and user (argv, env and
// workdir from cfg and the flags; `rest` replaces Cmd; the stop signal from the image's StopSignal).
// `whittle trace` adds its own --user, --untraced and --tracer. Throws UsageError.
trace::TraceOptions parse_trace_options(const ParsedArgs& args, const oci::ImageConfig& cfg);

// The image's HEALTHCHECK as a probe: CMD's words exec'd as they stand, CMD-SHELL's command under the
// image's Shell (/bin/sh -c); nullopt when it has none (absent, empty or NONE). Never throws.
std::optional<trace::HealthcheckProbe> healthcheck_probe(const oci::ImageConfig& cfg);

struct TracedRun
{
  trace::Profile profile;
  bool timed_out = false;
  rootfs::Tree tree;        // the image's tree
  std::string root;         // the extraction the app ran in, when kept ("" when removed)
  struct timespec changed_since = {0, 0}; // util::file_time_barrier() between extraction and the app's start
};

enum class KeepRoot
{
  no,
  yes
};

// Extracts `image` under work_dir/<name>, runs it as `user` with `options`, returns the profile with the
// image fields set (and the app's stdout digest, from the session). The app's stdout goes to stderr; the
// extraction is removed afterwards unless keep_root. Throws SandboxError/BadInput/Error as
// trace::run_trace.
TracedRun traced_run(const oci::Image& image, trace::TraceOptions options, const std::string& user,
                     const std::string& work_dir, const std::string& name, KeepRoot keep_root = KeepRoot::no);

struct VerifyOutcome
{
  bool ok = true;
  std::vector<std::string>
      differences; // "exit code 0 -> 1", "stdout differs", "probe http://..: status 200 -> 404"
  std::vector<std::string>
      not_found; // paths the slimmed run looked up and did not find, that the original had
};

// Compares the first run of each profile (exit code, signal, stdout digest, probes' status and body). A
// healthcheck probe is a difference whenever it failed in `slimmed`.
VerifyOutcome compare_runs(const trace::Profile& original, const trace::Profile& slimmed);

// Prints the outcome on stderr (differences and paths not found).
void print_verify_failure(const VerifyOutcome& v);

} // namespace whittle::cli
