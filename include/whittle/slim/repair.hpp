#pragma once
// Self-repair: when verify fails and the slimmed run looked up paths that the original
// image has, they are added to the keep set with their closure (reason `verify-repair`), and the image is
// rebuilt and verified again, a bounded number of rounds. A round that finds nothing new ends the loop:
// the failure has another cause.
#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <vector>
#include <whittle/slim/run_compare.hpp>

namespace whittle::slim {

struct RepairOptions
{
  bool enabled = true;   // false with --no-repair
  size_t max_rounds = 3; // repairs per candidate (so at most max_rounds + 1 verifies)
};

// One repair: the paths added after a failed verify of `user`'s candidate, and which round it was.
struct RepairRound
{
  std::string user;
  size_t round = 0; // 1..max_rounds, counted per candidate
  std::vector<std::string> paths;
};

// True when a path exists in the original image (the in-memory tree of the original, in slim).
using InOriginal = std::function<bool(const std::string&)>;
// Builds the image with these repair paths kept too, runs it and compares (one verify). May throw.
using VerifyWith = std::function<VerifyOutcome(const std::set<std::string>& repair_paths)>;

struct RepairedVerify
{
  VerifyOutcome outcome; // of the last verify
  size_t verifies = 0;
};

// Interface.

// The paths a failed verify asks to add: the paths its run looked up and did not find (missing and
// not_found) that exist in the original and are not in `have` yet, sorted. Empty for a passed verify. Never
// throws (but in_original may).
std::vector<std::string> repair_paths(const VerifyOutcome& v, const std::set<std::string>& have,
                                      const InOriginal& in_original);

// Runs verify(paths); while it fails, repair is enabled, fewer than max_rounds repairs were made and
// repair_paths() finds something new: adds those to `paths`, appends a RepairRound for `user` to
// `rounds`, and verifies again. Returns the last outcome. Exceptions of verify pass through.
RepairedVerify verify_repairing(const VerifyWith& verify, const InOriginal& in_original,
                                const RepairOptions& options, const std::string& user,
                                std::set<std::string>& paths, std::vector<RepairRound>& rounds);

} // namespace whittle::slim
