#pragma once
// Non-root by construction: for an image that runs as root, slim tries users in order
// and keeps the first whose slimmed image verifies: nonroot 65532:65532 (written paths owned by it), then
// the uid:gid the app switched to during the trace (its written paths owned by it), then root with the
// capabilities the trace saw. `--user` (or an image that already runs as non-root) leaves one candidate,
// verified the same way. Each candidate is verified with self-repair (repair.hpp); repairs carry over.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/repair.hpp>
#include <whittle/slim/rewrite.hpp>
#include <whittle/slim/run_compare.hpp>
#include <whittle/trace/profile.hpp>

namespace whittle::slim {

enum class CandidateKind
{
  nonroot,       // 65532:65532
  switched_user, // RunRecord::switched_user
  root,          // root with the traced capabilities
  forced,        // --user UID[:GID] or --user keep
  image,         // the image already runs as a non-root user
};

// "nonroot", "switched-user", "root", "--user", "image" (report.json's candidates[].kind).
std::string to_string(CandidateKind k);

struct UserCandidate
{
  CandidateKind kind = CandidateKind::nonroot;
  std::string user;                      // "uid:gid"; the image's User as it stands for `image`
  std::vector<std::string> capabilities; // kept by a root candidate (traced), else empty
  std::string note;                      // UserPlan::note when it is chosen
};

// One candidate tried: whether it verified, and the differences of its last verify when not.
struct Attempt
{
  UserCandidate candidate;
  bool ok = false;
  std::vector<std::string> differences;
  std::vector<std::string> not_found;
  size_t verifies = 0;
};

// Every attempt in order, the repairs made on the way, and the candidate that verified (if any).
struct Selection
{
  std::vector<Attempt> attempts;
  std::vector<RepairRound> repairs;
  std::set<std::string> repair_paths;
  std::optional<size_t> chosen; // index into attempts
};

// Verifies one candidate with these repair paths kept too (plans, writes, runs, compares). May throw.
using VerifyCandidate =
    std::function<VerifyOutcome(const UserCandidate& candidate, const std::set<std::string>& repair_paths)>;

// Interface.

// The candidates in the order they are tried. mode explicit_id: one (`id`, numeric; root keeps the
// traced capabilities); keep: the image's user (root with the traced capabilities); nonroot and an image
// that runs as root: 65532:65532, the first switched_user of the profile's runs when it is numeric,
// non-root and not 65532:65532, then root; nonroot and a non-root image: that user. Throws UsageError for
// a malformed explicit id.
std::vector<UserCandidate> user_candidates(const std::string& image_user, const trace::Profile& profile,
                                           UserMode mode, const std::string& id = "");

// The UserPlan that writes candidate c for an image whose User is image_user: the config User changed
// to c.user (written directories and files owned by it when non-root; the nonroot passwd/group entries
// for 65532), or left as it is for root over a root image and for `image`. note from c. Throws UsageError
// for a malformed c.user.
UserPlan candidate_user_plan(const std::string& image_user, const UserCandidate& c);

// Tries each candidate in order with verify_repairing (repair paths found for one are kept for the
// next); stops at the first that verifies. Exceptions of verify pass through.
Selection select_candidate(const std::vector<UserCandidate>& candidates, const VerifyCandidate& verify,
                           const InOriginal& in_original, const RepairOptions& repair);

} // namespace whittle::slim
