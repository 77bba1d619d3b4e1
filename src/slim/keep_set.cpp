#include <algorithm>
#include <deque>
#include <sstream>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/ld_resolver.hpp>
#include <whittle/slim/script_scan.hpp>
#include <whittle/util/env_list.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/path_search.hpp>
#include <whittle/util/shebang.hpp>

namespace whittle::slim {

bool
KeepSet::add(const std::string& path, const std::string& reason, Strength s)
{
  auto [it, inserted] = m_entries.try_emplace(path);
  it->second.reasons.insert(reason);
  it->second.strong |= s == Strength::strong;
  return inserted;
}

const std::set<std::string>&
KeepSet::reasons(const std::string& path) const
{
  static const std::set<std::string> k_none;
  auto it = m_entries.find(path);
  return it == m_entries.end() ? k_none : it->second.reasons;
}

bool
KeepSet::strong(const std::string& path) const
{
  auto it = m_entries.find(path);
  return it != m_entries.end() && it->second.strong;
}

void
KeepSet::remove(const std::string& path)
{
  m_entries.erase(path);
}

std::vector<std::string>
KeepSet::paths() const
{
  std::vector<std::string> out;
  out.reserve(m_entries.size());
  for (const auto& [p, e] : m_entries) {
    out.push_back(p);
  }
  return out;
}

namespace {

// Bounds of the script scan: how deep scripts that run or source scripts are followed, how many are read,
// and the largest one read (entry scripts are a few KiB; a larger "script" is likely a self-extractor).
constexpr int k_max_script_depth = 8;
constexpr size_t k_max_scripts = 256;
constexpr uint64_t k_max_script_bytes = 1 << 20;

} // namespace

void
check_includes(const rootfs::Tree& tree, const KeepOptions& o)
{
  std::string path_env = util::env_lookup(o.env, "PATH").value_or(util::k_default_path);
  std::string cwd = o.workdir.empty() ? "/" : o.workdir;
  for (const auto& p : o.include_paths) {
    if (!tree.resolve(p, rootfs::Follow::yes, cwd).node) {
      throw UsageError("--include-path `" + p + "`: no such path in the image");
    }
  }
  for (const auto& name : o.include_exes) {
    if (!find_on_path(tree, name, path_env, cwd)) {
      throw UsageError("--include-exe `" + name + "`: not found on the image's PATH (" + path_env + ")");
    }
  }
  if (o.include_shell && !tree.resolve("/bin/sh", rootfs::Follow::yes, "/").node) {
    throw UsageError("--include-shell: the image has no /bin/sh");
  }
}

namespace {

class Planner
{
public:
  Planner(const rootfs::Tree& tree, const RootFiles& files, const trace::Profile& profile,
          const KeepOptions& o)
      : m_tree(tree), m_files(files), m_profile(profile), m_o(o), m_ld(tree, files, o.env, o.workdir),
        m_path_env(util::env_lookup(o.env, "PATH").value_or(util::k_default_path)),
        m_cwd(o.workdir.empty() ? "/" : o.workdir)
  {
  }

  KeepPlan run()
  {
    seed_profile();
    seed_healthcheck();
    seed_entrypoint();
    seed_includes();
    seed_scripts();
    std::vector<bool> applied(m_o.rules.size(), false);
    for (;;) {
      drain();
      bool changed = false;
      for (size_t i = 0; i < m_o.rules.size(); ++i) {
        if (applied[i] || !triggered(m_o.rules[i])) {
          continue;
        }
        applied[i] = true;
        changed = true;
        apply_rule(m_o.rules[i]);
      }
      if (!changed && m_work.empty()) {
        break;
      }
    }
    for (size_t i = 0; i < m_o.rules.size(); ++i) {
      if (applied[i] && (!m_o.rules[i].keep.empty() || !m_o.rules[i].when.empty())) {
        m_plan.applied_rules.push_back(m_o.rules[i].name);
      }
    }
    apply_exclusions();
    classify_removed();
    std::sort(m_plan.missing.begin(), m_plan.missing.end());
    m_plan.missing.erase(std::unique(m_plan.missing.begin(), m_plan.missing.end()), m_plan.missing.end());
    std::vector<std::string> warnings = m_ld.warnings();
    warnings.insert(warnings.end(), m_plan.warnings.begin(), m_plan.warnings.end());
    m_plan.warnings = std::move(warnings);
    std::sort(m_plan.written_dirs.begin(), m_plan.written_dirs.end());
    m_plan.written_dirs.erase(std::unique(m_plan.written_dirs.begin(), m_plan.written_dirs.end()),
                              m_plan.written_dirs.end());
    return std::move(m_plan);
  }

private:
  void keep(const std::string& path, const std::string& reason, Strength s = Strength::strong)
  {
    if (!m_tree.find(path)) {
      return;
    }
    if (s == Strength::weak && m_o.strip && !m_plan.keep.strong(path)) {
      std::string group = strip_group_of(m_o.rules, path);
      if (!group.empty()) {
        m_stripped.emplace(path, group);
        return;
      }
    }
    if (s == Strength::strong) {
      m_stripped.erase(path);
    }
    bool was_strong = m_plan.keep.strong(path);
    if (m_plan.keep.add(path, reason, s) || (s == Strength::strong && !was_strong)) {
      m_work.push_back(path);
    }
  }

  // Keeps every symlink met on the way to p and the final node; returns the final canonical path or "".
  std::string keep_resolved(const std::string& p, const std::string& reason, Strength s = Strength::strong)
  {
    rootfs::Resolution r = m_tree.resolve(p, rootfs::Follow::yes, m_cwd);
    for (const auto& link : r.symlinks) {
      keep(link, "symlink", s);
    }
    if (!r.node) {
      return "";
    }
    keep(r.path, reason, s);
    return r.path;
  }

  void seed_profile()
  {
    constexpr uint16_t k_writes = static_cast<uint16_t>(trace::Access::write) |
                                  static_cast<uint16_t>(trace::Access::create) |
                                  static_cast<uint16_t>(trace::Access::remove);
    for (const auto& [path, rec] : m_profile.files) {
      bool exists = !keep_resolved(path, "profile").empty();
      if ((rec.access & k_writes) == 0) {
        continue;
      }
      rootfs::Resolution self = m_tree.resolve(path, rootfs::Follow::no, m_cwd);
      if (exists && rec.has(trace::Access::write) && self.node &&
          self.node->type == rootfs::NodeType::regular) {
        m_plan.written_files.push_back(self.path);
      }
      // An existing directory written but neither created nor removed (`mkdir -p` of it, a chown, entries
      // made in it) changed itself, not its parent: it is the written directory.
      constexpr uint16_t k_entry =
          static_cast<uint16_t>(trace::Access::create) | static_cast<uint16_t>(trace::Access::remove);
      if (exists && self.node && self.node->type == rootfs::NodeType::directory &&
          (rec.access & k_entry) == 0) {
        keep_resolved(self.path, "written-dir");
        m_plan.written_dirs.push_back(self.path);
        continue;
      }
      // The directory that received the new or removed entry: the nearest existing ancestor directory.
      std::string dir = util::parent_path(self.path);
      for (;;) {
        rootfs::Resolution d = m_tree.resolve(dir, rootfs::Follow::yes, m_cwd);
        if (d.node && d.node->type == rootfs::NodeType::directory) {
          keep_resolved(dir, "written-dir");
          m_plan.written_dirs.push_back(d.path);
          break;
        }
        if (dir == "/") {
          break;
        }
        dir = util::parent_path(dir);
      }
    }
  }

  // The image's HEALTHCHECK must keep working (curl, a client binary the app never runs): what its
  // checks opened or ran is kept like the app's files. Other probes' files are the tester's, not the app's.
  void seed_healthcheck()
  {
    for (const auto& run : m_profile.runs) {
      for (const auto& probe : run.probes) {
        if (probe.kind != "healthcheck") {
          continue;
        }
        for (const auto& rec : probe.files) {
          keep_resolved(rec.path, "healthcheck");
        }
      }
    }
  }

  void seed_entrypoint()
  {
    if (m_o.entrypoint.empty()) {
      return;
    }
    auto found = find_on_path(m_tree, m_o.entrypoint[0], m_path_env, m_cwd);
    if (found) {
      keep_resolved(*found, "entrypoint");
    } else {
      m_plan.missing.push_back(m_o.entrypoint[0] + " (entrypoint)");
    }
  }

  void seed_includes()
  {
    check_includes(m_tree, m_o);
    for (const auto& p : m_o.include_paths) {
      rootfs::Resolution r = m_tree.resolve(p, rootfs::Follow::yes, m_cwd);
      keep_resolved(p, "include-path");
      if (r.node->type == rootfs::NodeType::directory) {
        for (const auto& d : m_tree.descendants(r.path)) {
          keep(d, "include-path", Strength::weak);
        }
      }
    }
    for (const auto& name : m_o.include_exes) {
      keep_resolved(*find_on_path(m_tree, name, m_path_env, m_cwd), "include-exe");
    }
    if (m_o.include_shell) {
      keep_resolved("/bin/sh", "include-shell");
    }
    for (const auto& p : m_o.repair_paths) {
      keep_resolved(p, "verify-repair");
    }
  }

  // What the shell scripts the app ran can run on the paths the trace did not take.
  void seed_scripts()
  {
    if (!m_o.script_scan) {
      return;
    }
    for (const auto& [path, rec] : m_profile.files) {
      if (rec.has(trace::Access::exec)) {
        scan_file(path, 0, ScriptCheck::shebang);
      }
    }
    std::vector<std::vector<std::string>> argvs = {m_o.entrypoint};
    for (const auto& run : m_profile.runs) {
      argvs.push_back(run.argv);
    }
    for (const auto& argv : argvs) {
      if (!argv.empty()) {
        scan_file(argv[0], 0, ScriptCheck::shebang);
      }
      ShellInvocation sh = shell_invocation(argv);
      if (!sh.text.empty()) {
        take_scan("the entrypoint's `sh -c` text", scan_script(sh.text), 0);
      } else if (!sh.file.empty()) {
        scan_file(sh.file, 0, ScriptCheck::none);
      }
    }
  }

  enum class ScriptCheck
  {
    shebang, // an executed file: a script only if its shebang names a POSIX shell
    none     // a file a shell reads (`. FILE`, `sh FILE`): shell code whatever its first line
  };

  void scan_file(const std::string& path, int depth, ScriptCheck check)
  {
    rootfs::Resolution r = m_tree.resolve(path, rootfs::Follow::yes, m_cwd);
    if (!r.node || r.node->type != rootfs::NodeType::regular || m_scanned.count(r.path)) {
      return;
    }
    if (check == ScriptCheck::shebang && !is_shell_script(m_files.head(r.path, 256))) {
      return;
    }
    m_scanned.insert(r.path);
    if (m_scanned.size() > k_max_scripts) {
      if (m_scanned.size() == k_max_scripts + 1) {
        m_plan.warnings.push_back("script scan: more than " + std::to_string(k_max_scripts) + " scripts; `" +
                                  r.path + "` and later ones are not scanned");
      }
      return;
    }
    if (r.node->size > k_max_script_bytes) {
      m_plan.warnings.push_back("script `" + r.path + "`: " + std::to_string(r.node->size) +
                                " bytes, more than the scanner reads (" + std::to_string(k_max_script_bytes) +
                                "): the programs it runs are only those traced");
      return;
    }
    take_scan("script `" + r.path + "`", scan_script(m_files.read_small(r.path, k_max_script_bytes)), depth);
  }

  void take_scan(const std::string& what, const ScriptScan& s, int depth)
  {
    for (const auto& name : s.commands) {
      auto found = find_on_path(m_tree, name, m_path_env, m_cwd);
      if (!found) {
        continue; // not in the image: the original fails there too (or it is a function sourced from
                  // elsewhere)
      }
      std::string real = keep_resolved(*found, "script-command");
      if (!real.empty() && depth + 1 < k_max_script_depth) {
        scan_file(real, depth + 1, ScriptCheck::shebang);
      }
    }
    for (const auto& file : s.scripts) {
      std::optional<std::string> found = find_sourced(file);
      if (!found) {
        continue;
      }
      keep_resolved(*found, "script-command");
      if (depth + 1 < k_max_script_depth) {
        scan_file(*found, depth + 1, ScriptCheck::none);
      }
    }
    auto listed = [](const std::vector<std::string>& words) {
      std::string out;
      for (const auto& w : words) {
        out += (out.empty() ? "`" : ", `") + w + "`";
      }
      return out;
    };
    // "$0" is the script itself (an entrypoint that re-runs itself as another user): kept already.
    std::vector<std::string> variable;
    for (const auto& v : s.variable_commands) {
      if (v != "$0" && v != "\"$0\"" && v != "${0}" && v != "\"${0}\"") {
        variable.push_back(v);
      }
    }
    if (!variable.empty()) {
      m_plan.warnings.push_back(what + " runs commands decided at run time, not followed: " +
                                listed(variable) + " (--include-exe NAME keeps a program they name)");
    }
    if (!s.variable_scripts.empty()) {
      m_plan.warnings.push_back(what + " reads scripts decided at run time, not scanned: " +
                                listed(s.variable_scripts) + " (--include-path PATH keeps a file)");
    }
    if (!s.problems.empty()) {
      m_plan.warnings.push_back(what + " could not be read completely (" + s.problems.front() +
                                (s.problems.size() > 1 ? ", ..." : "") +
                                "): the programs it runs past that point may be missing");
    }
  }

  // A file named by `. FILE`, `source FILE` or `sh FILE`: a path as it stands (from the working
  // directory), else a regular file on PATH (dash and bash search PATH for `.`), else the working
  // directory (bash).
  std::optional<std::string> find_sourced(const std::string& file)
  {
    auto regular = [&](const std::string& p) -> std::optional<std::string> {
      rootfs::Resolution r = m_tree.resolve(p, rootfs::Follow::yes, m_cwd);
      if (r.node && r.node->type == rootfs::NodeType::regular) {
        return p;
      }
      return std::nullopt;
    };
    if (file.empty()) {
      return std::nullopt;
    }
    if (file.find('/') != std::string::npos) {
      return regular(file);
    }
    std::istringstream dirs(m_path_env);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty() && dir[0] == '/') {
        if (auto f = regular(dir + "/" + file)) {
          return f;
        }
      }
    }
    return regular(file);
  }

  bool triggered(const RuleSet& r) const
  {
    if (r.when.empty()) {
      return true;
    }
    for (const auto& p : m_plan.keep.paths()) {
      if (r.triggered_by(p)) {
        return true;
      }
    }
    return false;
  }

  void apply_rule(const RuleSet& r)
  {
    std::string reason = "rule:" + r.name;
    for (const auto& g : r.keep) {
      std::vector<std::string> links;
      std::vector<std::string> matches = expand_glob(m_tree, g, &links);
      if (matches.empty()) {
        continue;
      }
      for (const auto& l : links) {
        keep(l, "symlink", Strength::weak);
      }
      for (const auto& m : matches) {
        keep(m, reason, Strength::weak);
      }
    }
  }

  void drain()
  {
    while (!m_work.empty()) {
      std::string path = m_work.front();
      m_work.pop_front();
      if (!m_plan.keep.contains(path)) {
        continue;
      }
      Strength s = m_plan.keep.strong(path) ? Strength::strong : Strength::weak;
      // Parents are structure: always kept, whatever brought the child in.
      for (std::string p = util::parent_path(path);; p = util::parent_path(p)) {
        keep(p, "parent");
        if (p == "/") {
          break;
        }
      }
      const rootfs::Node* node = m_tree.find(path);
      if (!node) {
        continue;
      }
      if (node->type == rootfs::NodeType::symlink) {
        keep_resolved(path, "symlink-target", s);
      } else if (node->type == rootfs::NodeType::regular) {
        close_regular(path, *node, s);
      }
    }
  }

  void close_regular(const std::string& path, const rootfs::Node& node, Strength s)
  {
    if (!m_closed.insert(path + (s == Strength::strong ? "\n+" : "\n-")).second) {
      return;
    }
    if (m_ld.elf(path)) {
      if (m_loaded.count(path) && s == Strength::strong) {
        return; // already mapped as a dependency of a kept program: its libraries are kept
      }
      LoadResult r = m_ld.load(path);
      for (const auto& o : r.objects) {
        for (const auto& link : o.symlinks) {
          keep(link, "symlink", s);
        }
        if (!o.name.empty()) {
          keep(o.path, "elf", s);
          m_loaded.insert(o.path);
        }
      }
      for (const auto& e : r.extra) {
        keep_resolved(e, "elf", s);
      }
      m_plan.missing.insert(m_plan.missing.end(), r.missing.begin(), r.missing.end());
      return;
    }
    if ((node.mode & 0111) == 0) {
      return;
    }
    auto sb = util::parse_shebang(m_files.head(path, util::k_shebang_max));
    if (!sb) {
      return;
    }
    if (keep_resolved(sb->interpreter, "shebang", s).empty()) {
      m_plan.missing.push_back(sb->interpreter + " (interpreter of " + path + ")");
      return;
    }
    if (util::base_name(sb->interpreter) != "env") {
      return;
    }
    std::istringstream words(sb->argument);
    std::string w;
    while (words >> w) {
      if (w[0] == '-' || w.find('=') != std::string::npos) {
        continue; // env options (-S, -i, -u NAME is rare in shebangs) and NAME=value assignments
      }
      auto found = find_on_path(m_tree, w, m_path_env, m_cwd);
      if (found) {
        keep_resolved(*found, "shebang", s);
      } else {
        m_plan.missing.push_back(w + " (on PATH, for " + path + ")");
      }
      break;
    }
  }

  bool excluded(const std::string& path) const
  {
    for (const auto& g : m_o.exclude_patterns) {
      if (util::glob_match(g, path)) {
        return true;
      }
    }
    return false;
  }

  void apply_exclusions()
  {
    if (m_o.exclude_patterns.empty()) {
      return;
    }
    std::string excluded_dir;
    for (const auto& p : m_plan.keep.paths()) {
      if ((!excluded_dir.empty() && util::is_within(p, excluded_dir)) || (p != "/" && excluded(p))) {
        if (excluded_dir.empty() || !util::is_within(p, excluded_dir)) {
          excluded_dir = p;
        }
        m_plan.keep.remove(p);
        m_excluded.insert(p);
      }
    }
  }

  void classify_removed()
  {
    for (const auto& [path, node] : m_tree.nodes()) {
      if (m_plan.keep.contains(path)) {
        continue;
      }
      std::string reason = "not-traced";
      auto st = m_stripped.find(path);
      if (m_excluded.count(path)) {
        reason = "excluded";
      } else if (st != m_stripped.end()) {
        reason = "strip:" + st->second;
      } else if (m_o.strip) {
        std::string group = strip_group_of(m_o.rules, path);
        if (!group.empty()) {
          reason = "strip:" + group;
        }
      }
      m_plan.removed.emplace(path, reason);
    }
  }

  const rootfs::Tree& m_tree;
  const RootFiles& m_files;
  const trace::Profile& m_profile;
  const KeepOptions& m_o;
  LdResolver m_ld;
  std::string m_path_env;
  std::string m_cwd;
  KeepPlan m_plan;
  std::deque<std::string> m_work;
  std::set<std::string> m_closed;
  std::set<std::string> m_loaded;
  std::map<std::string, std::string> m_stripped;
  std::set<std::string> m_excluded;
  std::set<std::string> m_scanned; // scripts read by the script scan
};

} // namespace

KeepPlan
plan_keep_set(const rootfs::Tree& tree, const RootFiles& files, const trace::Profile& profile,
              const KeepOptions& options)
{
  return Planner(tree, files, profile, options).run();
}

} // namespace whittle::slim
