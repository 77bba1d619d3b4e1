#include <cerrno>
#include <dirent.h>
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
#include <whittle/util/openat2.hpp>
#include <whittle/util/path.hpp>

namespace whittle::trace {

namespace {

int
open_in_root(int root_fd, const char* rel, int flags) noexcept
{
  return util::openat2(root_fd, rel, static_cast<uint64_t>(flags), RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
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

// File bytes on their way into a tmpfs (the init is single-threaded; not on its stack).
char g_copy_buf[65536];

bool
copy_bytes(int in, int out) noexcept
{
  for (;;) {
    ssize_t r = read(in, g_copy_buf, sizeof g_copy_buf);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return r == 0;
    }
    for (ssize_t w = 0; w < r;) {
      ssize_t k = write(out, g_copy_buf + w, static_cast<size_t>(r - w));
      if (k < 0 && errno == EINTR) {
        continue;
      }
      if (k <= 0) {
        return false;
      }
      w += k;
    }
  }
}

// Copies the directory `from` into `to` (both open directories): subdirectories, regular files, symlinks
// and FIFOs, with owners (best effort: an id the sandbox does not map is left to the sandbox root), modes
// and times, as runc's tmpcopyup does. Devices and sockets are skipped, a hard link becomes a copy,
// extended attributes are not copied. Allocates nothing (fixed buffers, depth at most 64).
bool
copy_tree(int from, int to, int depth, int sync_fd) noexcept
{
  if (depth > 64) {
    errno = ELOOP;
    return fail(sync_fd, "copy into a tmpfs: directories nested deeper than 64 in", "a tmpfs path");
  }
  alignas(8) char dents[2048];
  for (;;) {
    long n = syscall(SYS_getdents64, from, dents, sizeof dents);
    if (n < 0) {
      return fail(sync_fd, "copy into a tmpfs: read a directory of", "a tmpfs path");
    }
    if (n == 0) {
      return true;
    }
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<dirent64*>(dents + off);
      off += d->d_reclen;
      const char* name = d->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) {
        continue;
      }
      struct stat st;
      if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return fail(sync_fd, "copy into a tmpfs: stat", name);
      }
      mode_t perm = st.st_mode & 07777;
      timespec times[2] = {st.st_atim, st.st_mtim};
      if (S_ISDIR(st.st_mode)) {
        if (mkdirat(to, name, 0700) != 0) {
          return fail(sync_fd, "copy into a tmpfs: mkdir", name);
        }
        int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub_from < 0 || sub_to < 0) {
          int err = errno;
          close(sub_from);
          close(sub_to);
          errno = err;
          return fail(sync_fd, "copy into a tmpfs: open directory", name);
        }
        bool ok = copy_tree(sub_from, sub_to, depth + 1, sync_fd);
        close(sub_from);
        // The owner first: a chown clears set-id bits that the chmod then restores.
        (void)fchown(sub_to, st.st_uid, st.st_gid);
        (void)fchmod(sub_to, perm);
        (void)futimens(sub_to, times);
        close(sub_to);
        if (!ok) {
          return false; // reported below
        }
      } else if (S_ISREG(st.st_mode)) {
        int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        bool ok = in >= 0 && out >= 0 && copy_bytes(in, out);
        int err = errno;
        if (out >= 0) {
          (void)fchown(out, st.st_uid, st.st_gid);
          (void)fchmod(out, perm);
          (void)futimens(out, times);
          close(out);
        }
        if (in >= 0) {
          close(in);
        }
        if (!ok) {
          errno = err;
          return fail(sync_fd, "copy into a tmpfs: copy file", name);
        }
      } else if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t len = readlinkat(from, name, target, sizeof target - 1);
        if (len < 0) {
          return fail(sync_fd, "copy into a tmpfs: readlink", name);
        }
        target[len] = '\0';
        if (symlinkat(target, to, name) != 0) {
          return fail(sync_fd, "copy into a tmpfs: symlink", name);
        }
        (void)fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        (void)utimensat(to, name, times, AT_SYMLINK_NOFOLLOW);
      } else if (S_ISFIFO(st.st_mode)) {
        if (mkfifoat(to, name, 0600) != 0) {
          return fail(sync_fd, "copy into a tmpfs: mkfifo", name);
        }
        (void)fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        (void)fchmodat(to, name, perm, 0);
        (void)utimensat(to, name, times, AT_SYMLINK_NOFOLLOW);
      }
    }
  }
}

// "mode" for fsconfig: 4 octal digits of m into buf.
const char*
octal_mode(char* buf, mode_t m) noexcept
{
  buf[0] = static_cast<char>('0' + ((m >> 9) & 7));
  buf[1] = static_cast<char>('0' + ((m >> 6) & 7));
  buf[2] = static_cast<char>('0' + ((m >> 3) & 7));
  buf[3] = static_cast<char>('0' + (m & 7));
  buf[4] = '\0';
  return buf;
}

// "size" for fsconfig: bytes in decimal into buf.
const char*
decimal(char* buf, size_t cap, uint64_t v) noexcept
{
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 23);
  size_t pos = 0;
  while (n > 0 && pos + 1 < cap) {
    buf[pos++] = digits[--n];
  }
  buf[pos] = '\0';
  return buf;
}

// OpKind::tmpfs: a detached tmpfs (fsopen/fsmount) filled from the image directory at target, then moved
// over it, so the copy reads the image's directory and the app never sees it half-filled.
bool
mount_tmpfs(const SetupOp& op, int root_fd, uint64_t size_cap, int sync_fd) noexcept
{
  const char* t = op.target.c_str();
  char path_buf[64];
  int target = open_in_root(root_fd, t, O_PATH | O_DIRECTORY);
  if (target < 0) {
    return fail(sync_fd, "open tmpfs target", t);
  }
  int src = open(fd_path(path_buf, sizeof path_buf, target), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (src < 0 || fstat(src, &st) != 0) {
    int err = errno;
    close(target);
    errno = err;
    return fail(sync_fd, "open the image directory under tmpfs path", t);
  }
  char mode[8];
  // Plan data "mode=1777": the image had no such directory (the runtime's mkdir, the kernel's mode).
  const char* mode_text =
      op.data.rfind("mode=", 0) == 0 ? op.data.c_str() + 5 : octal_mode(mode, st.st_mode & 07777);
  char size[32];
  int fs = static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
  bool ok = fs >= 0 && syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", mode_text, 0) == 0 &&
            (size_cap == 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size",
                                      decimal(size, sizeof size, size_cap), 0) == 0) &&
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0;
  int mnt = ok ? static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                                          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_RELATIME))
               : -1;
  int err = errno;
  if (fs >= 0) {
    close(fs);
  }
  if (mnt < 0) {
    close(src);
    close(target);
    errno = err;
    return fail(sync_fd, "create the tmpfs for", t);
  }
  int dst = open(fd_path(path_buf, sizeof path_buf, mnt), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ok = dst >= 0 && copy_tree(src, dst, 0, sync_fd);
  err = errno;
  close(src);
  if (dst >= 0) {
    close(dst);
  }
  if (!ok) {
    close(mnt);
    close(target);
    errno = err;
    return dst >= 0 ? false : fail(sync_fd, "open the tmpfs for", t);
  }
  int rc = move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  err = errno;
  close(mnt);
  close(target);
  if (rc != 0) {
    errno = err;
    return fail(sync_fd, "mount a tmpfs onto", t);
  }
  return true;
}

bool
run_op(const SetupOp& op, int root_fd, int source_fd, uint64_t tmpfs_cap, int sync_fd) noexcept
{
  char path_buf[64];
  char src_buf[64];
  char parent_buf[4096];
  const char* t = op.target.c_str();
  switch (op.kind) {
  case OpKind::tmpfs:
    return mount_tmpfs(op, root_fd, tmpfs_cap, sync_fd);
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
  // Verify's read-only root (podman --read-only): the whole image, submounts included; whittle's own
  // mounts and the tmpfs paths go on top of it below.
  bool read_only = plan.constraints && plan.constraints->read_only_root;
  if (set_recursive(root_fd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0)) !=
      0) {
    return fail(sync_fd, "make nosuid,nodev (and read-only) the rootfs", rootfs);
  }
  if (move_mount(root_fd, "", sources[0], "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return fail(sync_fd, "attach the rootfs mount", rootfs);
  }
  size_t next = plan.idmap_rootfs ? 2 : 1;
  for (const auto& op : plan.ops) {
    int source = op.kind == OpKind::bind ? sources[next++] : -1;
    // A tmpfs holds no more than the disk cap lets the app write below its root (podman sets no size).
    if (!run_op(op, root_fd, source, plan.limits.disk_bytes, sync_fd)) {
      close(root_fd);
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
