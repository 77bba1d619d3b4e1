#pragma once
// slim's build-and-verify: for each user candidate in order (candidates.hpp), plan the slimmed image
// with that user and the repairs so far, write it uncompressed into the work directory, run it in the
// sandbox under run_constraints() of the plan's Hardening (the value the artifacts are written from),
// and compare with the traced run; repair and retry (repair.hpp); keep the first that verifies. Nothing
// reaches the destination here: the caller writes the chosen plan.
#include <string>
#include <vector>
#include <whittle/slim/candidates.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/slim/repair.hpp>
#include <whittle/trace/session.hpp>

namespace whittle::slim {

struct VerifySetup
{
  trace::TraceOptions trace; // the traced run's options: command, env, probes, limits
  std::string work_dir;      // candidates and their extractions go here (removed after each verify)
  RepairOptions repair;
};

struct VerifiedBuild
{
  bool ok = false;
  // The verified candidate's plan (options.compression), or the last one tried when none verified; its
  // report lists every candidate tried and every repair.
  BuildPlan plan;
  Selection selection;
};

// Interface.

// Tries candidates (user_candidates() of the image's User and options) against `profile`, the traced
// run of src. A candidate's failed verify is logged as a warning naming its differences. Throws what
// plan_build, write_build and traced_run throw (a sandbox that cannot start is not a failed verify).
VerifiedBuild build_verified(const ExtractedImage& src, const trace::Profile& profile, const BuildOptions& options,
                             const std::vector<UserCandidate>& candidates, const VerifySetup& setup);

// True when path exists in src's tree and no exclude pattern (or one of a parent) matches it: what a
// repair may add.
bool repairable(const ExtractedImage& src, const BuildOptions& options, const std::string& path);

} // namespace whittle::slim
