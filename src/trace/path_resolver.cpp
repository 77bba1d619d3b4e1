#include <deque>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/trace/path_resolver.hpp>
#include <whittle/util/in_root.hpp>
#include <whittle/util/path.hpp>

namespace whittle::trace {

namespace {

constexpr int k_max_links = 40;

std::string
child_of(const std::string& dir, const std::string& name)
{
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// Joins the remaining components onto dir lexically (used once the walk cannot go on in the rootfs).
std::string
join_rest(const std::string& dir, const std::deque<std::string>& rest)
{
  std::string rel;
  for (const auto& c : rest) {
    rel += rel.empty() ? c : "/" + c;
  }
  return util::join_in_root(dir, rel);
}

} // namespace

std::string
absolute_in_tracee(std::string_view path, std::string_view base)
{
  if (!path.empty() && path[0] == '/') {
    return std::string(path);
  }
  std::string out(base);
  if (out.empty()) {
    out.assign(1, '/'); // not `= "/"`: GCC 12 warns falsely there (-Wrestrict, PR 105329)
  }
  if (path.empty()) {
    return out;
  }
  if (out.back() != '/') {
    out += '/';
  }
  out += path;
  return out;
}

std::string
proc_link_to_tracee(std::string_view link, std::string_view host_root)
{
  if (link.empty() || link[0] != '/') {
    return "";
  }
  constexpr std::string_view k_deleted = " (deleted)";
  if (link.size() > k_deleted.size() && link.substr(link.size() - k_deleted.size()) == k_deleted) {
    link.remove_suffix(k_deleted.size());
  }
  if (!host_root.empty() && host_root != "/" && link.substr(0, host_root.size()) == host_root &&
      (link.size() == host_root.size() || link[host_root.size()] == '/')) {
    link.remove_prefix(host_root.size());
    return link.empty() ? "/" : std::string(link);
  }
  return std::string(link);
}

RootResolver::RootResolver(std::string host_root, std::vector<std::string> special)
    : m_host_root(std::move(host_root)), m_special(std::move(special))
{
  while (m_host_root.size() > 1 && m_host_root.back() == '/') {
    m_host_root.pop_back();
  }
  // Without a root (it vanished) every lookup fails: nothing exists.
  m_root_fd = util::Fd(::open(m_host_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

util::Fd
RootResolver::open_regular(const std::string& path) const
{
  return util::open_regular_in_root(m_root_fd.get(), path);
}

std::string
RootResolver::read_link(const std::string& path) const
{
  auto st = util::lstat_in_root(m_root_fd.get(), path);
  return st ? st->link_target : "";
}

std::vector<std::string>
RootResolver::default_special()
{
  return {"/proc", "/sys", "/dev", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"};
}

bool
RootResolver::is_special(std::string_view canonical) const
{
  for (const auto& s : m_special) {
    if (util::is_within(canonical, s)) {
      return true;
    }
  }
  return false;
}

std::optional<RootResolver::Node>
RootResolver::lookup(const std::string& path, bool /*last*/) const
{
  auto it = m_cache.find(path);
  if (it != m_cache.end()) {
    return it->second;
  }
  // Below the root fd, never through a symlink: the app may have swapped a directory of `path` for a
  // link to "/" since it was cached, and the host's files must stay out of the profile.
  auto st = util::lstat_in_root(m_root_fd.get(), path);
  if (!st) {
    return std::nullopt;
  }
  Node n;
  n.is_dir = S_ISDIR(st->st.st_mode);
  n.is_symlink = S_ISLNK(st->st.st_mode);
  n.target = std::move(st->link_target);
  // Plain files are never cached: the last component is always looked up anew.
  if (n.is_dir || n.is_symlink) {
    if (m_cache.size() > 200000) {
      m_cache.clear();
    }
    m_cache.emplace(path, n);
  }
  return n;
}

Resolved
RootResolver::resolve(std::string_view absolute, Follow follow, std::string_view floor) const
{
  Resolved r;
  std::deque<std::string> rest;
  for (auto& c : util::split_components(absolute)) {
    rest.push_back(std::move(c));
  }
  const std::string top(floor.empty() ? "/" : floor);
  std::string cur = top;
  int links = 0;
  bool cur_is_dir = true;
  while (!rest.empty()) {
    std::string name = std::move(rest.front());
    rest.pop_front();
    if (name == ".") {
      continue;
    }
    if (name == "..") {
      if (cur != top) {
        cur = util::parent_path(cur);
      }
      continue;
    }
    std::string next = child_of(cur, name);
    if (is_special(next)) {
      r.special = true;
      r.path = join_rest(next, rest);
      return r;
    }
    bool last = rest.empty();
    std::optional<Node> node = lookup(next, last);
    if (!node) {
      r.path = join_rest(next, rest);
      return r;
    }
    if (node->is_symlink && (!last || follow == Follow::yes)) {
      if (++links > k_max_links) {
        r.path = join_rest(next, rest);
        return r;
      }
      const std::string& target = node->target;
      r.links.emplace_back(next, target);
      std::deque<std::string> comps;
      for (auto& c : util::split_components(target)) {
        comps.push_back(std::move(c));
      }
      rest.insert(rest.begin(), comps.begin(), comps.end());
      if (!target.empty() && target[0] == '/') {
        cur = top;
      }
      if (rest.empty()) {
        // A link to "/" (or to ".").
        r.path = cur;
        r.exists = true;
        r.is_dir = true;
        return r;
      }
      continue;
    }
    if (last) {
      r.path = next;
      r.exists = true;
      r.is_dir = node->is_dir;
      r.is_symlink = node->is_symlink;
      return r;
    }
    if (!node->is_dir) {
      // ENOTDIR: the walk ends here; the path named does not exist.
      r.path = join_rest(next, rest);
      return r;
    }
    cur = std::move(next);
    cur_is_dir = true;
  }
  r.path = cur;
  r.exists = cur_is_dir;
  r.is_dir = true;
  return r;
}

} // namespace whittle::trace
