#include <algorithm>
#include <deque>
#include <sstream>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/ld_resolver.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/path.hpp>

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

std::string
env_value(const std::vector<std::string>& env, const std::string& name, const std::string& fallback)
{
  std::string prefix = name + "=";
  std::optional<std::string> v;
  for (const auto& e : env) {
    if (e.compare(0, prefix.size(), prefix) == 0) {
      v = e.substr(prefix.size());
    }
  }
  return v ? *v : fallback;
}

constexpr const char* k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

} // namespace

void
check_includes(const rootfs::Tree& tree, const KeepOptions& o)
{
  std::string path_env = env_value(o.env, "PATH", k_default_path);
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
        m_path_env(env_value(o.env, "PATH", k_default_path)), m_cwd(o.workdir.empty() ? "/" : o.workdir)
  {
  }

  KeepPlan run()
  {
    seed_profile();
    seed_healthcheck();
    seed_entrypoint();
    seed_includes();
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
    m_plan.warnings = m_ld.warnings();
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
    auto sb = parse_shebang(m_files.head(path, 256));
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
};

} // namespace

KeepPlan
plan_keep_set(const rootfs::Tree& tree, const RootFiles& files, const trace::Profile& profile,
              const KeepOptions& options)
{
  return Planner(tree, files, profile, options).run();
}

} // namespace whittle::slim
