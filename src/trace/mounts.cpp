#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <whittle/trace/child_sync.hpp>
#include <whittle/trace/mounts.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/path.hpp>

namespace whittle::trace {

namespace {

int
open_in_root(int root_fd, const char* rel, int flags) noexcept
{
  open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, root_fd, rel, &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);
  return fd;
}

// "/proc/self/fd/N" into buf without allocating.
const char*
fd_path(char* buf, size_t cap, int fd) noexcept
{
  const char prefix[] = "/proc/self/fd/";
  size_t pos = 0;
  for (const char* p = prefix; *p != '\0' && pos + 1 < cap; ++p) {
    buf[pos++] = *p;
  }
  char digits[16];
  int n = 0;
  unsigned v = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 15);
  while (n > 0 && pos + 1 < cap) {
    buf[pos++] = digits[--n];
  }
  buf[pos] = '\0';
  return buf;
}

// Splits rel into parent dir fd (opened in root) and the base name pointer. Writes the parent part into
// buf. Returns the parent fd or -1.
int
open_parent(int root_fd, const char* rel, char* buf, size_t cap, const char** base) noexcept
{
  size_t len = 0;
  size_t slash = static_cast<size_t>(-1);
  while (rel[len] != '\0' && len + 1 < cap) {
    buf[len] = rel[len];
    if (rel[len] == '/') {
      slash = len;
    }
    ++len;
  }
  buf[len] = '\0';
  if (slash == static_cast<size_t>(-1)) {
    *base = rel;
    return open_in_root(root_fd, ".", O_PATH | O_DIRECTORY);
  }
  buf[slash] = '\0';
  *base = rel + slash + 1;
  return open_in_root(root_fd, buf, O_PATH | O_DIRECTORY);
}

bool
fail(int sync_fd, const char* what, const char* object) noexcept
{
  report_child_error(sync_fd, errno, what, object);
  return false;
}

// MS_* flags as MOUNT_ATTR_* bits.
uint64_t
attr_of(unsigned long flags) noexcept
{
  uint64_t a = 0;
  a |= (flags & MS_RDONLY) != 0 ? MOUNT_ATTR_RDONLY : 0;
  a |= (flags & MS_NOSUID) != 0 ? MOUNT_ATTR_NOSUID : 0;
  a |= (flags & MS_NODEV) != 0 ? MOUNT_ATTR_NODEV : 0;
  a |= (flags & MS_NOEXEC) != 0 ? MOUNT_ATTR_NOEXEC : 0;
  return a;
}

// Sets attr on the mount at fd and on every mount below it. A bind's own flags (MS_REMOUNT) would only
// reach the top mount: a host submount below a read-only --mount would stay writable.
int
set_recursive(int fd, uint64_t attr) noexcept
{
  if (attr == 0) {
    return 0;
  }
  struct mount_attr a = {};
  a.attr_set = attr;
  return mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a);
}

bool
run_op(const SetupOp& op, int root_fd, int source_fd, int sync_fd) noexcept
{
  char path_buf[64];
  char src_buf[64];
  char parent_buf[4096];
  const char* t = op.target.c_str();
  switch (op.kind) {
  case OpKind::make_dir:
  case OpKind::make_file:
  case OpKind::symlink: {
    const char* base = nullptr;
    int dir = open_parent(root_fd, t, parent_buf, sizeof parent_buf, &base);
    if (dir < 0) {
      return fail(sync_fd, "open parent of", t);
    }
    // O_PATH descriptors cannot be used for *at creation in all kernels: reopen as a directory.
    char dbuf[64];
    int real = open(fd_path(dbuf, sizeof dbuf, dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dir);
    if (real < 0) {
      return fail(sync_fd, "open parent of", t);
    }
    int rc = 0;
    if (op.kind == OpKind::make_dir) {
      rc = mkdirat(real, base, 0755);
    } else if (op.kind == OpKind::symlink) {
      rc = symlinkat(op.source.c_str(), real, base);
    } else {
      int fd = openat(real, base, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      rc = fd < 0 ? -1 : close(fd);
    }
    int err = errno;
    close(real);
    if (rc != 0 && err != EEXIST) {
      errno = err;
      return fail(sync_fd, "create", t);
    }
    return true;
  }
  case OpKind::mount_fs:
  case OpKind::bind:
  case OpKind::readonly:
  case OpKind::mask: {
    int fd = open_in_root(
        root_fd, t,
        O_PATH |
            (op.target_is_dir && op.kind != OpKind::readonly && op.kind != OpKind::mask ? O_DIRECTORY : 0));
    if (fd < 0) {
      if (op.optional && errno == ENOENT) {
        return true;
      }
      return fail(sync_fd, "open mount target", t);
    }
    const char* at = fd_path(path_buf, sizeof path_buf, fd);
    int rc = 0;
    const char* verb = "mount onto";
    if (op.kind == OpKind::mount_fs) {
      rc = mount(op.source.c_str(), at, op.source.c_str(), op.flags,
                 op.data.empty() ? nullptr : op.data.c_str());
    } else if (op.kind == OpKind::bind) {
      verb = "bind-mount onto";
      rc = mount(fd_path(src_buf, sizeof src_buf, source_fd), at, nullptr, MS_BIND | MS_REC, nullptr);
    } else if (op.kind == OpKind::readonly) {
      verb = "bind read-only";
      rc = mount(at, at, nullptr, MS_BIND | MS_REC, nullptr);
    } else {
      verb = "mask";
      struct stat st;
      rc = fstat(fd, &st);
      if (rc == 0 && S_ISDIR(st.st_mode)) {
        rc = mount("tmpfs", at, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=555");
      } else if (rc == 0) {
        rc = mount("/dev/null", at, nullptr, MS_BIND, nullptr);
      }
    }
    int err = errno;
    close(fd);
    if (rc != 0) {
      errno = err;
      return fail(sync_fd, verb, t);
    }
    uint64_t attr = op.kind == OpKind::bind       ? attr_of(op.flags)
                    : op.kind == OpKind::readonly ? MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                    : op.kind == OpKind::mask     ? MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC
                                                  : 0;
    if (attr != 0) {
      // Reopened: the descriptor taken before the mount names the directory underneath it.
      fd = open_in_root(root_fd, t, O_PATH);
      if (fd < 0 || set_recursive(fd, attr) != 0) {
        err = errno;
        if (fd >= 0) {
          close(fd);
        }
        errno = err;
        return fail(sync_fd, "set mount flags (ro, nosuid, nodev) of", t);
      }
      close(fd);
    }
    return true;
  }
  }
  return true;
}

void
ensure_target(int root_fd, const SetupOp& op, const std::string& rootfs, const util::IdShift& shift,
              bool idmapped)
{
  int fd = open_in_root(root_fd, op.target.c_str(), O_PATH);
  if (fd >= 0) {
    close(fd);
    return;
  }
  if (errno != ENOENT) {
    throw SandboxError(errno_message("prepare mount target `/" + op.target + "` in `" + rootfs + "`", errno));
  }
  // Create the missing components one by one, each inside the root.
  auto comps = util::split_components(op.target);
  std::string prefix;
  for (size_t i = 0; i < comps.size(); ++i) {
    std::string parent = prefix.empty() ? "." : prefix;
    prefix += (prefix.empty() ? "" : "/") + comps[i];
    int probe = open_in_root(root_fd, prefix.c_str(), O_PATH);
    if (probe >= 0) {
      close(probe);
      continue;
    }
    util::Fd dir(open_in_root(root_fd, parent.c_str(), O_RDONLY | O_DIRECTORY));
    if (!dir) {
      throw SandboxError(
          errno_message("prepare mount target `/" + op.target + "`: open `/" + parent + "`", errno));
    }
    bool last = i + 1 == comps.size();
    int rc = 0;
    if (last && !op.target_is_dir) {
      int f = openat(dir.get(), comps[i].c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      rc = f < 0 ? -1 : close(f);
    } else {
      rc = mkdirat(dir.get(), comps[i].c_str(), 0755);
    }
    if (rc != 0) {
      // EEXIST here means a dangling symlink: refuse rather than follow it.
      throw SandboxError(errno_message("prepare mount target `/" + prefix + "`", errno));
    }
    // Owned by the sandbox's root, like the image's own directories (an idmapped rootfs shows 0 as that).
    if (shift.active() && !idmapped && ::geteuid() == 0 &&
        fchownat(dir.get(), comps[i].c_str(), shift.to_outer(0), shift.to_outer(0), AT_SYMLINK_NOFOLLOW) !=
            0) {
      throw SandboxError(errno_message("chown mount target `/" + prefix + "`", errno));
    }
  }
}

// A detached copy of the mount tree at rootfs (whittle's own view of the path) whose owners appear
// through the sandbox's user namespace: on-disk id X is X inside. Only root of the filesystem's namespace
// may do it (the kernel checks CAP_SYS_ADMIN over the superblock), and only filesystems that support it.
util::Fd
open_idmapped_tree(const std::string& rootfs, pid_t init)
{
  std::string ns_path = "/proc/" + std::to_string(init) + "/ns/user";
  util::Fd ns(open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) {
    throw SandboxError(errno_message("open the sandbox's user namespace `" + ns_path + "`", errno));
  }
  util::Fd tree(open_tree(AT_FDCWD, rootfs.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree) {
    throw SandboxError(errno_message("clone the mount of rootfs `" + rootfs + "`", errno));
  }
  struct mount_attr a = {};
  a.attr_set = MOUNT_ATTR_IDMAP;
  a.userns_fd = static_cast<uint64_t>(ns.get());
  if (mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) != 0) {
    int err = errno;
    std::string why = err == EINVAL  ? "; its filesystem (or one mounted below it) does not support idmapped "
                                       "mounts (ext4, xfs, btrfs and tmpfs on Linux 6.3+ do)"
                      : err == EPERM ? "; only root may idmap a mount of the host's filesystems"
                                     : "";
    throw SandboxError(errno_message("mount rootfs `" + rootfs + "` idmapped for the sandbox", err) + why +
                       ": let whittle extract the image (omit --rootfs), or copy the directory to such a "
                       "filesystem (whittle never changes the owners of a --rootfs directory)");
  }
  return tree;
}

} // namespace

void
prepare_mount_targets(const SandboxPlan& plan)
{
  util::Fd root(open(plan.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    throw SandboxError(errno_message("open rootfs `" + plan.rootfs + "`", errno));
  }
  for (const auto& op : plan.ops) {
    if (op.must_exist_in_image) {
      ensure_target(root.get(), op, plan.rootfs, plan.id_shift, plan.idmap_rootfs);
    }
  }
}

size_t
mount_source_count(const SandboxPlan& plan)
{
  size_t n = plan.idmap_rootfs ? 2 : 1;
  for (const auto& op : plan.ops) {
    n += op.kind == OpKind::bind ? 1 : 0;
  }
  return n;
}

std::vector<util::Fd>
open_mount_sources(const SandboxPlan& plan, pid_t init)
{
  std::string via = "/proc/" + std::to_string(init) + "/root";
  std::vector<util::Fd> out;
  auto open_one = [&](const std::string& path, const std::string& what) {
    std::string abs = path.empty() || path[0] != '/' ? "/" + path : path;
    util::Fd fd(open((via + abs).c_str(), O_PATH | O_CLOEXEC));
    if (!fd) {
      throw SandboxError(errno_message("open " + what + " `" + path + "` for the sandbox", errno));
    }
    out.push_back(std::move(fd));
  };
  char cwd_buf[4096];
  std::string rootfs = plan.rootfs;
  if (rootfs.empty() || rootfs[0] != '/') {
    if (getcwd(cwd_buf, sizeof cwd_buf) == nullptr) {
      throw_errno("get the working directory");
    }
    rootfs = std::string(cwd_buf) + "/" + rootfs;
  }
  open_one(rootfs, "rootfs");
  if (plan.idmap_rootfs) {
    out.push_back(open_idmapped_tree(rootfs, init));
  }
  for (const auto& op : plan.ops) {
    if (op.kind == OpKind::bind) {
      std::string src = op.source;
      if (src.empty() || src[0] != '/') {
        src = std::string(getcwd(cwd_buf, sizeof cwd_buf) ? cwd_buf : "") + "/" + src;
      }
      open_one(src, "mount source");
    }
  }
  return out;
}

bool
setup_root(const SandboxPlan& plan, const int* sources, int sync_fd) noexcept
{
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail(sync_fd, "make mounts private", "/");
  }
  const char* rootfs = plan.rootfs.c_str();
  // A copy of the rootfs's mount, taken through the descriptor whittle opened (the sandbox's root may not
  // traverse whittle's private work directory), attached over the rootfs directory; nosuid and nodev.
  // An idmapped rootfs is the detached copy whittle made (sources[1]).
  int root_fd =
      plan.idmap_rootfs
          ? sources[1]
          : open_tree(sources[0], "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
  if (root_fd < 0) {
    return fail(sync_fd, "bind-mount rootfs", rootfs);
  }
  if (set_recursive(root_fd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) != 0) {
    return fail(sync_fd, "make nosuid,nodev the rootfs", rootfs);
  }
  if (move_mount(root_fd, "", sources[0], "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return fail(sync_fd, "attach the rootfs mount", rootfs);
  }
  size_t next = plan.idmap_rootfs ? 2 : 1;
  for (const auto& op : plan.ops) {
    int source = op.kind == OpKind::bind ? sources[next++] : -1;
    if (!run_op(op, root_fd, source, sync_fd)) {
      return false;
    }
  }
  if (fchdir(root_fd) != 0) {
    return fail(sync_fd, "chdir into rootfs", rootfs);
  }
  // sources[1] (idmapped) is closed with the other sources by the caller.
  if (!plan.idmap_rootfs) {
    close(root_fd);
  }
  if (syscall(SYS_pivot_root, ".", ".") != 0) {
    return fail(sync_fd, "pivot_root into", rootfs);
  }
  // The old root now sits on top of the new one: detach it, so no host path stays reachable.
  if (umount2(".", MNT_DETACH) != 0) {
    return fail(sync_fd, "detach old root of", rootfs);
  }
  if (chdir("/") != 0) {
    return fail(sync_fd, "chdir", "/");
  }
  return true;
}

} // namespace whittle::trace
