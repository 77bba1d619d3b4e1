#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <memory>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <whittle/rootfs/extract.hpp>
#include <whittle/util/dir_entries.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/openat2.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/remove_tree.hpp>

namespace whittle::rootfs {

namespace {

constexpr uint64_t k_resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

int
openat2_in_root(int root, const std::string& canonical, uint64_t flags)
{
  std::string rel = canonical == "/" ? std::string(".") : canonical.substr(1);
  return util::openat2(root, rel.c_str(), flags, k_resolve);
}

// An error from a lookup below the root: a symlink or a non-directory on the way is the image's fault.
[[noreturn]] void
throw_lookup(const std::string& verb, const std::string& path, const std::string& root, int err)
{
  if (err == ELOOP || err == EXDEV) {
    throw BadInput(verb + " `" + path + "` below `" + root +
                   "`: a symlink is on the way (entries are never written through symlinks)");
  }
  if (err == ENOTDIR) {
    throw BadInput(verb + " `" + path + "` below `" + root + "`: a parent is not a directory");
  }
  throw Error(errno_message(verb + " `" + path + "` below `" + root + "`", err));
}

bool
unsupported(int err)
{
  return err == ENOTSUP || err == EOPNOTSUPP || err == EPERM || err == EACCES || err == EINVAL;
}

struct timespec
time_of(int64_t seconds)
{
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = 0;
  return ts;
}

} // namespace

Extractor::Extractor(const std::string& dir, Owners owners, util::IdShift shift)
    : m_dir(dir), m_chown(owners == Owners::preserve && ::geteuid() == 0), m_shift(shift)
{
  m_root = util::Fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!m_root) {
    throw_errno("open extraction directory `" + dir + "`");
  }
}

uid_t
Extractor::owner_uid(const Node& meta)
{
  note_overflow(meta.uid, "uid");
  return m_shift.to_outer(meta.uid);
}

gid_t
Extractor::owner_gid(const Node& meta)
{
  note_overflow(meta.gid, "gid");
  return m_shift.to_outer(meta.gid);
}

void
Extractor::note_overflow(uint32_t id, const char* kind)
{
  if (!m_shift.active() || m_shift.holds(id)) {
    return;
  }
  if (m_overflowed_ids++ == 0) {
    util::warn(std::string(kind) + " " + std::to_string(id) + " (and any others above " +
               std::to_string(m_shift.count - 1) + ") is outside the sandbox's " +
               std::to_string(m_shift.count) + " ids: such files are owned by id " +
               std::to_string(m_shift.overflow_id()) +
               " inside the sandbox (the output image keeps the real owners)");
  }
}

int
Extractor::open_dir(const std::string& path, bool create)
{
  if (path == "/") {
    return m_root.get();
  }
  if (m_cached && m_cached_path == path) {
    return m_cached.get();
  }
  m_cached.close();
  m_cached_path.clear();
  int fd = openat2_in_root(m_root.get(), path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT && create) {
    // Create the missing components one at a time, each opened without following anything.
    util::Fd cur(::dup(m_root.get()));
    std::string shown;
    for (const auto& c : util::split_components(path)) {
      shown += "/" + c;
      if (::mkdirat(cur.get(), c.c_str(), 0700) != 0 && errno != EEXIST) {
        throw_lookup("create directory", shown, m_dir, errno);
      }
      util::Fd next(::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next) {
        throw_lookup("open directory", shown, m_dir, errno);
      }
      cur = std::move(next);
    }
    fd = cur.release();
  }
  if (fd < 0) {
    throw_lookup("open directory", path, m_dir, errno);
  }
  m_cached = util::Fd(fd);
  m_cached_path = path;
  return fd;
}

void
Extractor::set_xattrs(int fd, const std::string& path, const Node& meta)
{
  for (const auto& [name, value] : meta.xattrs) {
    // overlayfs reads trusted.overlay.* as its own metadata: an image must not smuggle it into a tree
    // that may later serve as a lower directory.
    if (name.rfind("trusted.overlay.", 0) == 0) {
      ++m_skipped_xattrs;
      continue;
    }
    int rc;
    if (fd >= 0) {
      rc = ::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0);
    } else {
      // A symlink cannot be opened for fsetxattr: name it through its (already in-root) parent's
      // descriptor; lsetxattr does not follow the last component.
      int parent = open_dir(util::parent_path(path), false);
      std::string via = "/proc/self/fd/" + std::to_string(parent) + "/" + util::base_name(path);
      rc = ::lsetxattr(via.c_str(), name.c_str(), value.data(), value.size(), 0);
    }
    if (rc != 0) {
      if (!unsupported(errno)) {
        throw_errno("set xattr `" + name + "` on `" + path + "` below `" + m_dir + "`");
      }
      if (m_skipped_xattrs++ == 0) {
        util::warn(errno_message("set xattr `" + name + "` on `" + path + "`", errno) +
                   " (skipping xattrs the filesystem or privileges refuse)");
      }
    }
  }
}

void
Extractor::apply_owner_mode_times_at(int dirfd, const std::string& name, const std::string& path,
                                     const Node& meta, bool chmod)
{
  if (m_chown &&
      ::fchownat(dirfd, name.c_str(), owner_uid(meta), owner_gid(meta), AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("chown `" + path + "` below `" + m_dir + "`");
  }
  if (chmod && ::fchmodat(dirfd, name.c_str(), meta.mode & 07777, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("chmod `" + path + "` below `" + m_dir + "`");
  }
  struct timespec ts[2] = {time_of(meta.mtime), time_of(meta.mtime)};
  if (::utimensat(dirfd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("set times of `" + path + "` below `" + m_dir + "`");
  }
}

void
Extractor::make_directory(const std::string& path)
{
  if (path == "/") {
    return;
  }
  int parent = open_dir(util::parent_path(path), true);
  std::string name = util::base_name(path);
  if (::mkdirat(parent, name.c_str(), 0700) == 0) {
    return;
  }
  int err = errno;
  struct stat st;
  if (err == EEXIST && ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISDIR(st.st_mode)) {
    return;
  }
  throw_lookup("create directory", path, m_dir, err);
}

void
Extractor::write_file(const std::string& path, const Node& meta, util::ByteSource& content)
{
  int parent = open_dir(util::parent_path(path), true);
  std::string name = util::base_name(path);
  util::Fd fd(::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    throw_lookup("create file", path, m_dir, errno);
  }
  util::FdSink sink(fd.get(), path, true);
  uint64_t n = util::copy_stream(content, sink);
  sink.finish();
  if (n != meta.size) {
    throw Error("write `" + path + "` below `" + m_dir + "`: got " + std::to_string(n) + " bytes, expected " +
                std::to_string(meta.size));
  }
  if (m_chown && ::fchown(fd.get(), owner_uid(meta), owner_gid(meta)) != 0) {
    throw_errno("chown `" + path + "` below `" + m_dir + "`");
  }
  set_xattrs(fd.get(), path, meta);
  // After chown, which clears setuid/setgid bits.
  if (::fchmod(fd.get(), meta.mode & 07777) != 0) {
    throw_errno("chmod `" + path + "` below `" + m_dir + "`");
  }
  struct timespec ts[2] = {time_of(meta.mtime), time_of(meta.mtime)};
  if (::futimens(fd.get(), ts) != 0) {
    throw_errno("set times of `" + path + "` below `" + m_dir + "`");
  }
  if (!fd.close()) {
    throw_errno("close `" + path + "` below `" + m_dir + "`");
  }
}

void
Extractor::make_symlink(const std::string& path, const Node& meta)
{
  int parent = open_dir(util::parent_path(path), true);
  std::string name = util::base_name(path);
  if (::symlinkat(meta.link_target.c_str(), parent, name.c_str()) != 0) {
    throw_lookup("create symlink", path, m_dir, errno);
  }
  apply_owner_mode_times_at(parent, name, path, meta, false);
  if (!meta.xattrs.empty()) {
    set_xattrs(-1, path, meta);
  }
}

void
Extractor::make_hardlink(const std::string& path, const std::string& target)
{
  // Two directories are needed at once: keep the target's parent in an owned descriptor.
  std::string target_parent = util::parent_path(target);
  util::Fd old_dir;
  if (target_parent != "/") {
    old_dir = util::Fd(openat2_in_root(m_root.get(), target_parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    if (!old_dir) {
      throw_lookup("open link target directory", target_parent, m_dir, errno);
    }
  }
  int old_fd = target_parent == "/" ? m_root.get() : old_dir.get();
  int parent = open_dir(util::parent_path(path), true);
  // flags 0: linkat never follows a symlink named as the target.
  if (::linkat(old_fd, util::base_name(target).c_str(), parent, util::base_name(path).c_str(), 0) != 0) {
    throw_lookup("link `" + path + "` to", target, m_dir, errno);
  }
}

void
Extractor::make_special(const std::string& path, const Node& meta)
{
  bool device = meta.type == NodeType::char_device || meta.type == NodeType::block_device;
  int parent = open_dir(util::parent_path(path), true);
  std::string name = util::base_name(path);
  if (device) {
    // Never a device node on the host: an image could ship one for the host's disk. The placeholder, an
    // empty file with mode 0, keeps the path's place; the Tree keeps the device for the output.
    util::Fd fd(::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0));
    if (!fd) {
      throw_lookup("create device placeholder", path, m_dir, errno);
    }
    ++m_device_placeholders;
    Node placeholder = meta;
    placeholder.mode = 0;
    apply_owner_mode_times_at(parent, name, path, placeholder, true);
    return;
  }
  if (::mknodat(parent, name.c_str(), S_IFIFO | 0600, 0) != 0) {
    throw_lookup("create node", path, m_dir, errno);
  }
  apply_owner_mode_times_at(parent, name, path, meta, true);
}

void
Extractor::remove(const std::string& path)
{
  m_cached.close();
  m_cached_path.clear();
  if (path == "/") {
    throw Error("remove `/` below `" + m_dir + "`: the root cannot be removed");
  }
  std::string parent_path = util::parent_path(path);
  util::Fd parent_owned;
  int parent = m_root.get();
  if (parent_path != "/") {
    parent_owned = util::Fd(openat2_in_root(m_root.get(), parent_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    if (!parent_owned) {
      if (errno == ENOENT) {
        return;
      }
      throw_lookup("open directory", parent_path, m_dir, errno);
    }
    parent = parent_owned.get();
  }
  util::remove_all_at(parent, util::base_name(path), path);
}

void
Extractor::finish(const Tree& tree)
{
  m_cached.close();
  m_cached_path.clear();
  const auto& nodes = tree.nodes();
  // Reverse order visits every child before its parent.
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const auto& [path, node] = *it;
    if (node.type != NodeType::directory) {
      continue;
    }
    if (path == "/" && node.implicit) {
      // The root directory belongs to the sandbox's root, as runtimes give it.
      if (m_chown && m_shift.active() &&
          ::fchown(m_root.get(), m_shift.to_outer(0), m_shift.to_outer(0)) != 0) {
        throw_errno("chown `/` below `" + m_dir + "`");
      }
      continue;
    }
    util::Fd fd(openat2_in_root(m_root.get(), path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    if (!fd) {
      throw_lookup("open directory", path, m_dir, errno);
    }
    if (m_chown && ::fchown(fd.get(), owner_uid(node), owner_gid(node)) != 0) {
      throw_errno("chown `" + path + "` below `" + m_dir + "`");
    }
    set_xattrs(fd.get(), path, node);
    if (::fchmod(fd.get(), node.mode & 07777) != 0) {
      throw_errno("chmod `" + path + "` below `" + m_dir + "`");
    }
    if (!node.implicit) {
      struct timespec ts[2] = {time_of(node.mtime), time_of(node.mtime)};
      if (::futimens(fd.get(), ts) != 0) {
        throw_errno("set times of `" + path + "` below `" + m_dir + "`");
      }
    }
  }
}

} // namespace whittle::rootfs
