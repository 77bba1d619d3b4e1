#include <whittle/oci/reference.hpp>
#include <whittle/slim/hardening.hpp>
#include <whittle/slim/traced_run.hpp>
#include <whittle/slim/verified_build.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::slim {

bool
repairable(const ExtractedImage& src, const BuildOptions& options, const std::string& path)
{
  if (!src.tree.find(path)) {
    return false;
  }
  for (std::string p = path;; p = util::parent_path(p)) {
    for (const auto& g : options.exclude_patterns) {
      if (p != "/" && util::glob_match(g, p)) {
        return false;
      }
    }
    if (p == "/") {
      return true;
    }
  }
}

namespace {

std::string
describe(const UserCandidate& c, size_t repaired)
{
  std::string o = c.user;
  if (!c.capabilities.empty()) {
    o += " with";
    for (const auto& cap : c.capabilities) {
      o += " " + cap;
    }
  }
  if (repaired > 0) {
    o += " (" + std::to_string(repaired) + " repaired paths kept)";
  }
  return o;
}

} // namespace

VerifiedBuild
build_verified(const ExtractedImage& src, const trace::Profile& profile, const BuildOptions& options,
               const std::vector<UserCandidate>& candidates, const VerifySetup& setup)
{
  const std::string image_user = src.image.config.user();
  size_t counter = 0;
  VerifiedBuild out;
  auto verify = [&](const UserCandidate& c, const std::set<std::string>& repairs) {
    BuildOptions o = options;
    o.user = candidate_user_plan(image_user, c);
    o.capabilities = c.capabilities;
    o.repair_paths = repairs;
    BuildPlan plan = plan_build(src, profile, o);
    std::string name = "candidate-" + std::to_string(++counter);
    std::string dir = setup.work_dir + "/" + name;
    // The candidate only has to be run: uncompressed, in the work directory (tmpfs when it has room).
    plan.image_options.compression = archive::Compression::none;
    write_build(src, plan, oci::parse_reference("oci:" + dir + ":slim", true));
    plan.image_options.compression = options.compression;
    oci::Image candidate = oci::open_image(oci::parse_reference("oci:" + dir + ":slim"));
    trace::TraceOptions t = setup.trace;
    t.sandbox.constraints = run_constraints(plan.report.hardening);
    util::info("verifying the slimmed image as " + describe(c, repairs.size()));
    TracedRun run = traced_run(candidate, t, plan.report.hardening.user, setup.work_dir,
                               "verify-" + std::to_string(counter));
    util::remove_all(dir);
    VerifyOutcome v = compare_runs(profile, run.profile);
    if (!v.ok) {
      std::string why;
      for (const auto& d : v.differences) {
        why += (why.empty() ? "" : "; ") + d;
      }
      util::warn("verify as " + c.user + " failed: " + why +
                 (v.not_found.empty() ? "" : " (" + std::to_string(v.not_found.size()) + " paths not found)"));
    }
    out.plan = std::move(plan);
    return v;
  };
  auto in_original = [&](const std::string& p) { return repairable(src, options, p); };
  out.selection = select_candidate(candidates, verify, in_original, setup.repair);
  out.ok = out.selection.chosen.has_value();
  out.plan.report.candidates = out.selection.attempts;
  out.plan.report.repairs = out.selection.repairs;
  return out;
}

} // namespace whittle::slim
