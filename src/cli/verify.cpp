// `whittle verify ORIGINAL SLIMMED [trace options]`: run both images in the sandbox with the same command,
// env and probes (each as its own User) and compare exit status, stdout and probe results.
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <whittle/cli/command.hpp>
#include <whittle/cli/environment.hpp>
#include <whittle/cli/trace_options.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/slim/run_compare.hpp>
#include <whittle/slim/traced_run.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::cli {

namespace {

int
run_verify(const ParsedArgs& args)
{
  oci::ImageRef a_ref = oci::parse_reference(args.positional.at(0));
  oci::ImageRef b_ref = oci::parse_reference(args.positional.at(1));
  parse_trace_flags(args); // every flag is checked before the images are opened
  oci::Image a = oci::open_image(a_ref);
  oci::Image b = oci::open_image(b_ref);
  // The command and env come from the original, so both run the same thing.
  trace::TraceOptions topts = parse_trace_options(args, a.config);
  uint64_t size = 0;
  for (const auto& l : a.layers) {
    size += static_cast<uint64_t>(l.descriptor.size) * 4;
  }
  std::string parent = args.get_or("--workdir", slim::work_parent(size, temp_root()));
  util::TempDir work = util::TempDir::work(util::WorkKind::verify, parent);
  if (args.has("--keep-workdir")) {
    work.keep();
  }
  util::info("running the original " + a_ref.str());
  slim::TracedRun ra = slim::traced_run(a, topts, a.config.user(), work.path(), "original");
  util::info("running the slimmed " + b_ref.str() + " as " +
             (b.config.user().empty() ? "root" : b.config.user()));
  slim::TracedRun rb = slim::traced_run(b, topts, b.config.user(), work.path(), "slimmed");
  slim::VerifyOutcome v = slim::compare_runs(ra.profile, rb.profile);
  if (args.has("--json")) {
    nlohmann::json j = {{"original", a_ref.str()},
                        {"slimmed", b_ref.str()},
                        {"ok", v.ok},
                        {"differences", v.differences},
                        {"not_found", v.not_found}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  if (!v.ok) {
    print_verify_failure(v);
    return k_exit_failed;
  }
  if (args.has("--json")) {
    return k_exit_ok;
  }
  std::cout << "verify passed: " << b_ref.str() << " behaves like " << a_ref.str() << " (exit status, stdout"
            << (ra.profile.runs[0].probes.empty() ? "" : ", probes") << ")\n";
  return k_exit_ok;
}

} // namespace

Command
verify_command()
{
  Command c;
  c.spec.name = "verify";
  c.spec.usage = "ORIGINAL SLIMMED [trace options] [-- CMD ARGS...]";
  c.spec.summary = "run an image and its slimmed version in the sandbox and compare their behaviour";
  c.spec.description =
      "Runs ORIGINAL and then SLIMMED in the trace sandbox with ORIGINAL's command and env (or the ones "
      "given),\n"
      "each as its own User, and compares exit status, stdout and probe results (HTTP status and body).\n"
      "Exit status 0 when they agree; 1 otherwise, with the paths the slimmed run looked up and did not "
      "find. With --json the outcome (ok, differences, paths not found) is printed on stdout.";
  c.spec.flags = trace_flags();
  c.spec.min_positional = 2;
  c.spec.max_positional = 2;
  c.spec.passthrough = true;
  c.run = run_verify;
  return c;
}

} // namespace whittle::cli
