#include <whittle/slim/repair.hpp>

namespace whittle::slim {

std::vector<std::string>
repair_paths(const VerifyOutcome& v, const std::set<std::string>& have, const InOriginal& in_original)
{
  std::set<std::string> found;
  if (v.ok) {
    return {};
  }
  for (const auto* list : {&v.missing, &v.not_found}) {
    for (const auto& p : *list) {
      if (!have.count(p) && in_original(p)) {
        found.insert(p);
      }
    }
  }
  return {found.begin(), found.end()};
}

RepairedVerify
verify_repairing(const VerifyWith& verify, const InOriginal& in_original, const RepairOptions& options,
                 const std::string& user, std::set<std::string>& paths, std::vector<RepairRound>& rounds)
{
  RepairedVerify r;
  for (size_t round = 1;; ++round) {
    r.outcome = verify(paths);
    ++r.verifies;
    if (r.outcome.ok || !options.enabled || round > options.max_rounds) {
      return r;
    }
    std::vector<std::string> add = repair_paths(r.outcome, paths, in_original);
    if (add.empty()) {
      return r;
    }
    paths.insert(add.begin(), add.end());
    rounds.push_back({user, round, std::move(add)});
  }
}

} // namespace whittle::slim
