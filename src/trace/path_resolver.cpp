#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/trace/path_resolver.hpp>
#include <whittle/util/in_root.hpp>
#include <whittle/util/path.hpp>

namespace whittle::trace {

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

util::PathEntry
RootResolver::lookup(const std::string& path) const
{
  if (is_special(path)) {
    return {util::PathKind::opaque, {}};
  }
  auto it = m_cache.find(path);
  if (it != m_cache.end()) {
    return it->second;
  }
  // Below the root fd, never through a symlink: the app may have swapped a directory of `path` for a
  // link to "/" since it was cached, and the host's files must stay out of the profile.
  auto st = util::lstat_in_root(m_root_fd.get(), path);
  if (!st) {
    return {};
  }
  util::PathEntry e;
  if (S_ISDIR(st->st.st_mode)) {
    e.kind = util::PathKind::directory;
  } else if (S_ISLNK(st->st.st_mode)) {
    e.kind = util::PathKind::symlink;
    e.link_target = std::move(st->link_target);
  } else if (S_ISREG(st->st.st_mode)) {
    e.kind = util::PathKind::regular;
  } else {
    e.kind = util::PathKind::other;
  }
  // Plain files are never cached: the last component is always looked up anew.
  if (e.kind == util::PathKind::directory || e.kind == util::PathKind::symlink) {
    if (m_cache.size() > 200000) {
      m_cache.clear();
    }
    m_cache.emplace(path, e);
  }
  return e;
}

Resolved
RootResolver::resolve(std::string_view absolute, Follow follow, std::string_view floor) const
{
  std::string_view top = floor.empty() ? std::string_view("/") : floor;
  util::InRootPath walked = util::resolve_in_root(
      absolute, [this](const std::string& path) { return lookup(path); }, follow, top, top);
  Resolved r;
  r.path = std::move(walked.path);
  r.special = walked.kind == util::PathKind::opaque;
  r.exists = walked.exists();
  r.is_dir = walked.kind == util::PathKind::directory;
  r.is_symlink = walked.kind == util::PathKind::symlink;
  r.links = std::move(walked.links);
  return r;
}

} // namespace whittle::trace
