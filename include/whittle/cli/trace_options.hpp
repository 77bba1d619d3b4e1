#pragma once
// What `whittle slim` and `whittle verify` share with `whittle trace`: the trace flags and their parsing
// into trace::TraceOptions, and how a failed verify is printed. The runs and their comparison are
// slim's (slim/traced_run.hpp, slim/run_compare.hpp).
#include <optional>
#include <string>
#include <vector>
#include <whittle/cli/args.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/slim/run_compare.hpp>
#include <whittle/trace/session.hpp>

namespace whittle::cli {

// --entrypoint, --cmd, --env, --cwd, --mount, --timeout, --network, --no-seccomp (--syscalls: accepted, the
// default), --probe, --probe-exec,
// --continue-after, --memory, --pids, --disk, --workdir, --keep-workdir (as in `whittle trace`).
std::vector<FlagSpec> trace_flags();

// Checks every trace flag's value without the image (seconds, sizes, mounts, probes, --continue-after,
// --entrypoint/--cmd words, --env K=V): the commands call it before they open an image, so a bad value
// costs nothing. Fills what the flags alone decide. Throws UsageError.
trace::TraceOptions parse_trace_flags(const ParsedArgs& args);

// parse_trace_flags, then everything but the sandbox's rootfs, state_dir and user (argv, env and workdir
// from cfg and the flags; `rest` replaces Cmd; the healthcheck probe and --continue-after's default; the
// stop signal from the image's StopSignal). `whittle trace` adds its own --user, --untraced and --tracer.
// Throws UsageError.
trace::TraceOptions parse_trace_options(const ParsedArgs& args, const oci::ImageConfig& cfg);

// The image's HEALTHCHECK as a probe: CMD's words exec'd as they stand, CMD-SHELL's command under the
// image's Shell (/bin/sh -c); nullopt when it has none (absent, empty or NONE). Never throws.
std::optional<trace::HealthcheckProbe> healthcheck_probe(const oci::ImageConfig& cfg);

// Prints the outcome on stderr (differences and paths not found).
void print_verify_failure(const slim::VerifyOutcome& v);

} // namespace whittle::cli
