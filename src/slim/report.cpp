#include <algorithm>
#include <cstdio>
#include <whittle/slim/report.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/path.hpp>

namespace whittle::slim {

WriteHints
analyse_writes(const rootfs::Tree& tree, const KeepPlan& plan)
{
  WriteHints h;
  for (const auto& d : plan.written_dirs) {
    bool nested = false;
    for (const auto& other : plan.written_dirs) {
      nested |= other != d && util::is_within(d, other);
    }
    if (!nested) {
      h.writable_paths.push_back(d);
    }
  }
  for (const auto& d : h.writable_paths) {
    if (d == "/") {
      h.read_only_rootfs = false;
      h.why_not = "the app wrote into /";
      break;
    }
    // `--tmpfs PATH:OPTIONS` and a Kubernetes mountPath cannot name a directory holding ':'; taken as
    // given, the rest of such a name would become tmpfs mount options.
    if (d.find(':') != std::string::npos) {
      h.read_only_rootfs = false;
      h.why_not = "the app wrote into " + d + ", whose ':' no tmpfs mount option can name";
      break;
    }
    for (const auto& p : tree.descendants(d)) {
      const rootfs::Node* n = tree.find(p);
      // An empty file the app itself wrote (a log the package ships empty) loses nothing under a tmpfs:
      // podman copies it up, and on an empty volume the app's own open for writing creates it again.
      bool empty_and_written =
          n && n->type == rootfs::NodeType::regular && n->size == 0 &&
          std::find(plan.written_files.begin(), plan.written_files.end(), p) != plan.written_files.end();
      if (plan.keep.contains(p) && n && n->type != rootfs::NodeType::directory && !empty_and_written) {
        h.read_only_rootfs = false;
        h.why_not = "a tmpfs on " + d + " would hide " + p;
        break;
      }
    }
    if (!h.read_only_rootfs) {
      break;
    }
  }
  return h;
}

Report
make_report(const rootfs::Tree& tree, const KeepPlan& plan)
{
  Report r;
  std::map<std::string, uint64_t> dir_bytes;
  for (const auto& [path, node] : tree.nodes()) {
    if (path == "/") {
      continue;
    }
    bool regular = node.type == rootfs::NodeType::regular;
    // Hardlinks share one inode: count their bytes once, at the primary name.
    uint64_t bytes = regular && node.hardlink_of.empty() ? node.size : 0;
    ++r.paths_before;
    r.files_before += regular;
    r.bytes_before += bytes;
    if (plan.keep.contains(path)) {
      ++r.paths_after;
      r.files_after += regular;
      r.bytes_after += bytes;
      for (const auto& why : plan.keep.reasons(path)) {
        ReasonTotal& t = r.kept_by_reason[why];
        ++t.paths;
        t.files += regular;
        t.bytes += bytes;
      }
      for (std::string d = util::parent_path(path);; d = util::parent_path(d)) {
        dir_bytes[d] += bytes;
        if (d == "/") {
          break;
        }
      }
    }
  }
  // Hardlinks to a removed primary that are kept carry the bytes in the new image.
  for (const auto& p : plan.keep.paths()) {
    const rootfs::Node* n = tree.find(p);
    if (n && n->type == rootfs::NodeType::regular && !n->hardlink_of.empty() &&
        !plan.keep.contains(n->hardlink_of)) {
      r.bytes_after += n->size;
    }
  }
  RemovedGroup* open = nullptr;
  for (const auto& [path, reason] : plan.removed) {
    const rootfs::Node* n = tree.find(path);
    uint64_t bytes = n && n->type == rootfs::NodeType::regular && n->hardlink_of.empty() ? n->size : 0;
    ReasonTotal& t = r.removed_by_reason[reason];
    ++t.paths;
    t.files += n && n->type == rootfs::NodeType::regular;
    t.bytes += bytes;
    if (open && open->reason == reason && util::is_within(path, open->path)) {
      ++open->paths;
      open->bytes += bytes;
      continue;
    }
    r.removed_groups.push_back({path, reason, 1, bytes});
    open = &r.removed_groups.back();
  }
  // Largest kept directories: those at most three levels deep, leaving out a directory whose biggest
  // listed subdirectory holds most of its bytes (it would only repeat it).
  std::vector<std::pair<std::string, uint64_t>> dirs;
  for (const auto& [d, b] : dir_bytes) {
    if (d != "/" && util::split_components(d).size() <= 3 && b > 0) {
      dirs.emplace_back(d, b);
    }
  }
  std::vector<std::pair<std::string, uint64_t>> shown;
  for (const auto& [d, b] : dirs) {
    bool dominated = false;
    for (const auto& [sub, sb] : dirs) {
      dominated |= sub != d && util::is_within(sub, d) && sb * 10 >= b * 8;
    }
    if (!dominated) {
      shown.emplace_back(d, b);
    }
  }
  std::sort(shown.begin(), shown.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (shown.size() > 10) {
    shown.resize(10);
  }
  r.largest_kept_dirs = shown;
  r.applied_rules = plan.applied_rules;
  r.missing = plan.missing;
  r.warnings = plan.warnings;
  r.written_dirs = plan.written_dirs;
  r.hints = analyse_writes(tree, plan);
  return r;
}

nlohmann::json
report_json(const Report& r)
{
  using nlohmann::json;
  auto totals = [](const std::map<std::string, ReasonTotal>& m) {
    json o = json::object();
    for (const auto& [k, t] : m) {
      o[k] = {{"paths", t.paths}, {"files", t.files}, {"bytes", t.bytes}};
    }
    return o;
  };
  json j;
  j["schema"] = "whittle/report/v1";
  j["source"] = {{"reference", r.source}, {"manifest_digest", r.source_digest}};
  j["output"] = {
      {"reference", r.output}, {"manifest_digest", r.output_digest}, {"layer_bytes", r.layer_bytes}};
  j["before"] = {{"paths", r.paths_before}, {"files", r.files_before}, {"bytes", r.bytes_before}};
  j["after"] = {{"paths", r.paths_after}, {"files", r.files_after}, {"bytes", r.bytes_after}};
  j["ratio"] = r.bytes_after ? static_cast<double>(r.bytes_before) / static_cast<double>(r.bytes_after) : 0.0;
  j["removed_by_reason"] = totals(r.removed_by_reason);
  j["kept_by_reason"] = totals(r.kept_by_reason);
  json groups = json::array();
  for (const auto& g : r.removed_groups) {
    groups.push_back({{"path", g.path}, {"reason", g.reason}, {"paths", g.paths}, {"bytes", g.bytes}});
  }
  j["removed"] = groups;
  json dirs = json::array();
  for (const auto& [d, b] : r.largest_kept_dirs) {
    dirs.push_back({{"path", d}, {"bytes", b}});
  }
  j["largest_kept_dirs"] = dirs;
  j["rules_applied"] = r.applied_rules;
  j["missing"] = r.missing;
  j["warnings"] = r.warnings;
  j["written_dirs"] = r.written_dirs;
  j["user"] = {{"user", r.user.user},
               {"changed", r.user.changed},
               {"non_root", r.user.non_root},
               {"note", r.user.note}};
  j["read_only_rootfs"] = r.hints.read_only_rootfs;
  j["writable_paths"] = r.hints.writable_paths;
  if (!r.hints.why_not.empty()) {
    j["read_only_rootfs_blocked_by"] = r.hints.why_not;
  }
  const Hardening& h = r.hardening;
  j["hardening"] = {{"user", h.user},
                    {"non_root", h.non_root},
                    {"read_only_root", h.read_only_root},
                    {"tmpfs_paths", h.tmpfs_paths},
                    {"capabilities", h.capabilities},
                    {"seccomp", h.seccomp_allow.has_value()}};
  if (h.seccomp_allow) {
    j["hardening"]["seccomp_allow_count"] = h.seccomp_allow->size();
  }
  json candidates = json::array();
  for (const auto& a : r.candidates) {
    candidates.push_back({{"kind", to_string(a.candidate.kind)},
                          {"user", a.candidate.user},
                          {"capabilities", a.candidate.capabilities},
                          {"verified", a.ok},
                          {"verifies", a.verifies},
                          {"differences", a.differences},
                          {"not_found", a.not_found}});
  }
  j["candidates"] = candidates;
  json repairs = json::array();
  for (const auto& rr : r.repairs) {
    repairs.push_back({{"user", rr.user}, {"round", rr.round}, {"paths", rr.paths}});
  }
  j["repairs"] = repairs;
  j["artifacts"] = r.artifacts;
  return j;
}

namespace {

std::string
human(uint64_t bytes)
{
  char buf[32];
  if (bytes >= (1ULL << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1ULL << 30));
  } else if (bytes >= (1ULL << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1ULL << 20));
  } else if (bytes >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

} // namespace

std::string
report_summary(const Report& r)
{
  // Every string here may come from the image (names, the user, rule and reason names from rule files):
  // control characters are escaped so that none can rewrite the user's terminal.
  auto safe = [](const std::string& s) { return util::terminal_safe(s); };
  std::string o;
  char line[512];
  o += "slimmed " + safe(r.source) + " -> " + safe(r.output) + "\n";
  if (!r.output_digest.empty()) {
    o += "  digest:  " + safe(r.output_digest) + "\n";
  }
  std::snprintf(line, sizeof line, "  before:  %8llu files %12s\n",
                static_cast<unsigned long long>(r.files_before), human(r.bytes_before).c_str());
  o += line;
  double ratio =
      r.bytes_after ? static_cast<double>(r.bytes_before) / static_cast<double>(r.bytes_after) : 0.0;
  std::snprintf(line, sizeof line, "  after:   %8llu files %12s  (%.1fx smaller; layer %s)\n",
                static_cast<unsigned long long>(r.files_after), human(r.bytes_after).c_str(), ratio,
                human(r.layer_bytes).c_str());
  o += line;
  o += "  removed by reason:\n";
  for (const auto& [reason, t] : r.removed_by_reason) {
    std::snprintf(line, sizeof line, "    %-24s %8llu files %12s\n", safe(reason).c_str(),
                  static_cast<unsigned long long>(t.files), human(t.bytes).c_str());
    o += line;
  }
  if (!r.largest_kept_dirs.empty()) {
    o += "  largest kept directories:\n";
    for (const auto& [d, b] : r.largest_kept_dirs) {
      std::snprintf(line, sizeof line, "    %-40s %12s\n", safe(d).c_str(), human(b).c_str());
      o += line;
    }
  }
  if (!r.applied_rules.empty()) {
    o += "  rules applied:";
    for (const auto& n : r.applied_rules) {
      o += " " + safe(n);
    }
    o += "\n";
  }
  o += "  user:    " + (r.user.user.empty() ? std::string("(image default: root)") : safe(r.user.user)) +
       " - " + safe(r.user.note) + "\n";
  o += std::string("  read-only root: ") + (r.hints.read_only_rootfs ? "yes" : "no");
  if (!r.hints.writable_paths.empty()) {
    o += " (writable:";
    for (const auto& p : r.hints.writable_paths) {
      o += " " + safe(p);
    }
    o += ")";
  }
  if (!r.hints.why_not.empty()) {
    o += " - " + safe(r.hints.why_not);
  }
  o += "\n";
  if (!r.hardening.capabilities.empty()) {
    o += "  capabilities kept:";
    for (const auto& c : r.hardening.capabilities) {
      o += " " + safe(c);
    }
    o += "\n";
  }
  o += std::string("  seccomp profile: ") +
       (r.hardening.seccomp_allow ? std::to_string(r.hardening.seccomp_allow->size()) + " syscalls allowed"
                                  : std::string("none")) +
       "\n";
  for (const auto& a : r.candidates) {
    o += "  candidate " + safe(a.candidate.user) + " (" + to_string(a.candidate.kind) +
         "): " + (a.ok ? std::string("verified") : "failed verify");
    if (!a.ok && !a.differences.empty()) {
      o += " - " + safe(a.differences.front());
      if (a.differences.size() > 1) {
        o += " (+" + std::to_string(a.differences.size() - 1) + " more)";
      }
    }
    o += "\n";
  }
  for (const auto& rr : r.repairs) {
    o += "  repair round " + std::to_string(rr.round) + " for " + safe(rr.user) + ": added";
    for (const auto& p : rr.paths) {
      o += " " + safe(p);
    }
    o += "\n";
  }
  for (const auto& m : r.missing) {
    o += "  not found: " + safe(m) + "\n";
  }
  for (const auto& w : r.warnings) {
    o += "  warning: " + safe(w) + "\n";
  }
  for (const auto& a : r.artifacts) {
    o += "  artifact: " + safe(a) + "\n";
  }
  return o;
}

} // namespace whittle::slim
