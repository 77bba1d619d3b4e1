// `whittle slim IMAGE -o DST [trace options] [build options] [--no-verify] [--no-repair]`: the main job.
// Trace the app in the sandbox, then let slim::build_verified try the user candidates (each planned,
// written to the work directory, run under its hardening and compared, with self-repair), and only then
// write DST and the artifacts from the verified plan. When nothing verifies, nothing reaches DST.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>
#include <whittle/cli/build_options.hpp>
#include <whittle/cli/command.hpp>
#include <whittle/cli/environment.hpp>
#include <whittle/cli/trace_options.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/slim/artifacts.hpp>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/slim/traced_source.hpp>
#include <whittle/slim/verified_build.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::cli {

namespace {

// Every candidate tried and why each failed, and the repairs made: nothing was written.
void
print_slim_failure(const slim::Report& r)
{
  std::fprintf(stderr, "whittle: verify failed for every candidate user: the slimmed image does not behave "
                       "like the original, nothing was written\n");
  for (const auto& a : r.candidates) {
    std::fprintf(stderr, "candidate %s (%s), %zu verify runs:\n",
                 util::terminal_safe(a.candidate.user).c_str(), slim::to_string(a.candidate.kind).c_str(),
                 a.verifies);
    for (const auto& d : a.differences) {
      std::fprintf(stderr, "  %s\n", util::terminal_safe(d).c_str());
    }
    if (!a.not_found.empty()) {
      std::fprintf(stderr, "  paths the slimmed run looked up and did not find:\n");
      for (const auto& p : a.not_found) {
        std::fprintf(stderr, "    %s\n", util::terminal_safe(p).c_str());
      }
    }
  }
  for (const auto& rr : r.repairs) {
    std::string paths;
    for (const auto& p : rr.paths) {
      paths += " " + util::terminal_safe(p);
    }
    std::fprintf(stderr, "repair round %zu for %s added:%s\n", rr.round, util::terminal_safe(rr.user).c_str(),
                 paths.c_str());
  }
}

int
run_slim(const ParsedArgs& args)
{
  auto output = args.get("--output");
  if (!output) {
    throw UsageError("slim needs -o DST (an image reference such as oci:DIR:TAG)");
  }
  oci::ImageRef src_ref = oci::parse_reference(args.positional.at(0));
  oci::ImageRef dest = oci::parse_reference(*output, true);
  slim::BuildOptions options = parse_build_options(args);
  std::optional<std::string> trace_user = args.get_user("--trace-user");
  parse_trace_flags(args); // every flag is checked before the image is opened
  std::optional<oci::Platform> platform;
  if (auto p = args.get("--platform")) {
    platform = oci::Platform::parse(*p);
  }
  oci::Image image = oci::open_image(src_ref, platform);
  trace::TraceOptions topts = parse_trace_options(args, image.config);
  std::string user = trace_user ? *trace_user : image.config.user();
  if (!topts.exec_probes.empty() && !options.include_shell && !args.has("--no-verify")) {
    util::warn("--probe-exec runs /bin/sh in the sandbox: verify needs a shell in the slimmed image too "
               "(add --include-shell, or the exec probes will fail there)");
  }

  if (!options.include_paths.empty() || !options.include_exes.empty() || options.include_shell) {
    // One pass over the layers (no extraction) so a mistyped --include-* fails now, not after the trace.
    slim::KeepOptions ko;
    ko.include_paths = options.include_paths;
    ko.include_exes = options.include_exes;
    ko.include_shell = options.include_shell;
    ko.env = image.config.env();
    ko.workdir = image.config.working_dir();
    slim::check_includes(rootfs::apply_layers(image).tree, ko);
  }

  uint64_t size = 0;
  for (const auto& l : image.layers) {
    size += static_cast<uint64_t>(l.descriptor.size) * 4;
  }
  std::string parent = args.get_or("--workdir", slim::work_parent(size * 2, temp_root()));
  util::TempDir work = util::TempDir::work(util::WorkKind::slim, parent);
  if (args.has("--keep-workdir")) {
    work.keep();
  }

  util::info("tracing " + src_ref.str());
  auto t0 = std::chrono::steady_clock::now();
  slim::TracedSource traced = slim::trace_source(image, topts, user, work.path());
  util::verbose(
      "extracted, traced and restored in " + ms_since(t0) + " (" + std::to_string(traced.restored) +
      " files the app may have changed" +
      (traced.extracted_afresh ? "; restoring failed: extracted afresh)" : " restored from the layers)"));
  trace::Profile& profile = traced.profile;
  const slim::ExtractedImage& src = traced.src;
  if (traced.timed_out) {
    util::warn("the app was stopped by the timeout");
  }
  const trace::RunRecord& run = profile.runs.at(0);
  util::info("traced " + std::to_string(profile.files.size()) + " image paths; app " +
             (run.signal != 0 ? "killed by signal " + std::to_string(run.signal)
                              : "exit code " + std::to_string(run.exit_code)));
  if (args.has("--no-verify")) {
    slim::BuildPlan plan = slim::plan_build(src, profile, options);
    debug_plan(plan);
    for (const auto& w : plan.keep.warnings) {
      util::warn(w);
    }
    finish_build(src, plan, dest, profile, args);
    return k_exit_ok;
  }
  slim::VerifySetup setup;
  setup.trace = topts;
  setup.work_dir = work.path();
  setup.repair.enabled = !args.has("--no-repair");
  std::vector<slim::UserCandidate> candidates =
      slim::user_candidates(image.config.user(), profile, options.user_mode, options.user_id);
  t0 = std::chrono::steady_clock::now();
  slim::VerifiedBuild verified = slim::build_verified(src, profile, options, candidates, setup);
  util::verbose("built and verified " + std::to_string(verified.plan.report.candidates.size()) +
                " candidates in " + ms_since(t0));
  if (!verified.ok) {
    print_slim_failure(verified.plan.report);
    return k_exit_failed;
  }
  slim::BuildPlan& plan = verified.plan;
  util::verbose("planned " + std::to_string(plan.keep.keep.size()) + " kept paths");
  debug_plan(plan);
  for (const auto& w : plan.keep.warnings) {
    util::warn(w);
  }
  util::info("verify passed as " + plan.report.hardening.user +
             ": same exit status, stdout and probe results");
  finish_build(src, plan, dest, profile, args);
  return k_exit_ok;
}

} // namespace

Command
slim_command()
{
  Command c;
  c.spec.name = "slim";
  c.spec.usage = "IMAGE -o DST [trace options] [build options] [--no-verify] [--no-repair] [-- CMD ARGS...]";
  c.spec.summary = "trace, build and verify in one step: the minimal image that still works";
  c.spec.description =
      "Runs the image's app in the sandbox under the tracer (as `whittle trace`), builds the slimmed image\n"
      "from that profile (as `whittle build`), then runs the slimmed image in the same sandbox with the "
      "same\n"
      "command, env and probes, under the hints it will write (read-only root with tmpfs at the written\n"
      "paths, the capabilities kept, no-new-privileges, the seccomp profile, the user): exit status, stdout\n"
      "and probe results must equal the traced run's. An image that runs as root is tried as 65532:65532,\n"
      "then as the user the app switched to, then as root with the capabilities the trace saw; the first\n"
      "that verifies is written (--user forces one). When a run misses paths the original has, they are\n"
      "added and the image rebuilt, up to 3 times (--no-repair: never). When no candidate verifies, whittle\n"
      "prints each one's differences, writes nothing and exits 1. Needs root.";
  c.spec.flags = {
      {"--output", "-o", "DST", "the output image reference (required)"},
      {"--platform", "", "OS/ARCH[/VARIANT]", "pick this platform from a multi-platform index"},
      {"--trace-user", "", "USER[:GROUP]", "run the traced app as this user (default: the image's User)"},
      {"--no-verify", "", "", "do not run the slimmed image to compare (one user, chosen unverified)"},
      {"--no-repair", "", "", "do not add the paths a failed verify missed and rebuild"},
  };
  for (auto& f : trace_flags()) {
    c.spec.flags.push_back(f);
  }
  for (auto& f : build_flags()) {
    c.spec.flags.push_back(f);
  }
  c.spec.min_positional = 1;
  c.spec.max_positional = 1;
  c.spec.passthrough = true;
  c.run = run_slim;
  return c;
}

} // namespace whittle::cli
