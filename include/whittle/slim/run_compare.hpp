#pragma once
// verify's judgement: does the slimmed image behave like the original? The first run of each profile is
// compared (exit code, signal, stdout digest, probes' status and body); on a difference, the paths the
// slimmed run looked up and did not find are listed: those the original run found (shown to the user),
// and all of them (self-repair adds those the original image has: a path the trace never took, such as
// a retry loop's `sleep`, is there too).
#include <string>
#include <vector>
#include <whittle/trace/profile.hpp>

namespace whittle::slim {

struct VerifyOutcome
{
  bool ok = true;
  // "exit status 0/signal 0 -> 1/signal 0", "stdout differs (...)", "probe http://..: status 200 -> 404"
  std::vector<std::string> differences;
  // Paths the slimmed run looked up and did not find, that the original found (sorted); only when !ok.
  std::vector<std::string> not_found;
  // Every path the slimmed run looked up and did not find (sorted); only when !ok.
  std::vector<std::string> missing;
};

// Interface.

// Compares the first run of each profile. A profile without a run record is a difference. Never throws.
VerifyOutcome compare_runs(const trace::Profile& original, const trace::Profile& slimmed);

} // namespace whittle::slim
