#pragma once
// Turning the paths a traced process names into image paths. The tracee runs in the extracted rootfs
// after pivot_root, so its absolute paths are image paths; relative ones are joined with the directory
// of the dirfd or the cwd (read from /proc/PID/fd/N and /proc/PID/cwd). The result is then resolved in
// the rootfs directory the way the kernel would in a chroot (util/in_root_resolve.hpp), one component at
// a time, so every symlink met on the way is recorded with its target, ".." at the root stays at the
// root, and nothing is ever looked up outside the rootfs. Paths under /proc, /sys, /dev, the files whittle
// supplies (/etc/hosts, /etc/resolv.conf, /etc/hostname) and explicit --mount targets are "special": recorded
// apart.
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>
#include <whittle/util/fd.hpp>
#include <whittle/util/in_root_resolve.hpp>

namespace whittle::trace {

using Follow = util::Follow;

struct Resolved
{
  std::string path;     // canonical image path reached (after the links that were followed)
  bool special = false; // under a special prefix: path is then the lexical path, not resolved further
  bool exists = false;  // the final path exists in the rootfs (never set for special paths)
  bool is_dir = false;
  bool is_symlink = false; // the final component is a symlink that was not followed
  // Symlinks met on the way, in order: (image path of the link, its target as stored).
  std::vector<std::pair<std::string, std::string>> links;
};

// Interface.

// Returns the tracee-absolute form of path: itself when absolute, else base + "/" + path. Neither is
// cleaned (".." must be applied after symlinks). Never fails.
std::string absolute_in_tracee(std::string_view path, std::string_view base);

// Maps the target of a /proc/PID/cwd or /proc/PID/fd/N link, as the tracer reads it, to the tracee's
// view: strips host_root when the link shows the rootfs as a host path, drops a " (deleted)" suffix.
// Returns "" when the link is not a path (socket:[...], pipe:[...], anon_inode:...).
std::string proc_link_to_tracee(std::string_view link, std::string_view host_root);

class RootResolver
{
public:
  // host_root: the extracted rootfs as the tracer sees it. special: canonical prefixes kept apart.
  RootResolver(std::string host_root, std::vector<std::string> special);

  // The default special prefixes: /proc, /sys, /dev, /etc/hosts, /etc/resolv.conf, /etc/hostname.
  static std::vector<std::string> default_special();

  // Resolves a tracee-absolute path. follow says whether a final symlink is followed. A missing
  // component ends the walk: the rest is joined lexically and exists is false. Loops stop after 40 links
  // (exists false). Never fails; never throws on filesystem errors.
  // `floor` is the directory the walk cannot leave ("/" but for openat2's RESOLVE_IN_ROOT, where it is the
  // dirfd's directory): ".." there stays there, and an absolute path or link target starts there.
  Resolved resolve(std::string_view absolute, Follow follow, std::string_view floor = "/") const;

  // True when a canonical image path lies under a special prefix.
  bool is_special(std::string_view canonical) const;

  const std::string& host_root() const { return m_host_root; }

  // A read-only descriptor of the regular file at canonical image path `path` (as resolve() returned it),
  // opened without leaving the root or following a link (util/in_root.hpp); invalid for anything else.
  util::Fd open_regular(const std::string& path) const;
  // The stored target of the symlink at canonical image path `path`; "" if it is not one (any more).
  std::string read_link(const std::string& path) const;

  // Forgets the cached directories and symlinks. The tracer calls it at every call that creates, removes
  // or renames: only those change what a path resolves to (the last component is always looked up anew).
  void invalidate() const { m_cache.clear(); }

private:
  // What the walk sees at a canonical image path: opaque under a special prefix, else lstat (and
  // readlink) below the root, cached for directories and symlinks.
  util::PathEntry lookup(const std::string& path) const;

  std::string m_host_root;
  util::Fd m_root_fd; // O_PATH of m_host_root: every lookup is made below it (util/in_root.hpp)
  std::vector<std::string> m_special;
  mutable std::unordered_map<std::string, util::PathEntry> m_cache;
};

} // namespace whittle::trace
