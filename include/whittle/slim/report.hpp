#pragma once
// What a build did, as data (report.json) and as the summary printed on stdout: sizes and file counts
// before and after, removals grouped by reason, the largest kept directories, rules applied, the user
// decision, read-only hints, libraries that could not be found; for slim, the hardening verify ran under,
// the user candidates it tried and the repairs it made.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <whittle/rootfs/tree.hpp>
#include <whittle/slim/candidates.hpp>
#include <whittle/slim/hardening.hpp>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/repair.hpp>
#include <whittle/slim/rewrite.hpp>

namespace whittle::slim {

// Read-only hints: the root can be read-only when every directory the app wrote into can be a tmpfs, i.e.
// holds no file of the image that the slimmed image keeps (a tmpfs mounted there would hide it).
struct WriteHints
{
  bool read_only_rootfs = true;
  std::vector<std::string> writable_paths; // minimal: no path inside another
  std::string why_not;                     // the first kept file a tmpfs would hide
};

WriteHints analyse_writes(const rootfs::Tree& tree, const KeepPlan& plan);

struct ReasonTotal
{
  uint64_t paths = 0;
  uint64_t files = 0; // regular files
  uint64_t bytes = 0;
};

struct RemovedGroup
{
  std::string path; // top-most removed path of the group (a directory stands for its removed subtree)
  std::string reason;
  uint64_t paths = 0;
  uint64_t bytes = 0;
};

struct Report
{
  std::string source;        // original image reference
  std::string source_digest; // its manifest digest
  std::string output;        // output reference
  std::string output_digest;
  uint64_t paths_before = 0, files_before = 0, bytes_before = 0;
  uint64_t paths_after = 0, files_after = 0, bytes_after = 0;
  uint64_t layer_bytes = 0; // compressed layer blob size
  std::map<std::string, ReasonTotal> removed_by_reason;
  std::vector<RemovedGroup> removed_groups;
  std::vector<std::pair<std::string, uint64_t>> largest_kept_dirs;
  std::map<std::string, ReasonTotal> kept_by_reason;
  std::vector<std::string> applied_rules;
  std::vector<std::string> missing;
  std::vector<std::string> warnings;
  std::vector<std::string> written_dirs;
  UserPlan user;
  WriteHints hints;
  Hardening hardening; // what the artifacts say and slim's verify ran under
  // slim: every user candidate tried, in order (the last verified unless slim failed), and the repairs.
  std::vector<Attempt> candidates;
  std::vector<RepairRound> repairs;
  std::vector<std::string> artifacts;
};

// Fills sizes, counts, groups and largest dirs from the tree and the plan (the rest is set by the caller).
Report make_report(const rootfs::Tree& tree, const KeepPlan& plan);
nlohmann::json report_json(const Report& r);
// The human summary (several lines, trailing newline); control characters in every string of it are
// escaped (util::terminal_safe), since names, users and reasons come from the image and rule files.
std::string report_summary(const Report& r);

} // namespace whittle::slim
