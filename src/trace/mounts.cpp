#include <whittle/trace/child_sync.hpp>
#include <whittle/trace/mounts.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/path.hpp>

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

bool
run_op(const SetupOp& op, int root_fd, int sync_fd) noexcept
{
  char path_buf[64];
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
  case OpKind::remount_ro: {
    int fd = open_in_root(root_fd, t, O_PATH | (op.target_is_dir ? O_DIRECTORY : 0));
    if (fd < 0) {
      return fail(sync_fd, "open mount target", t);
    }
    const char* at = fd_path(path_buf, sizeof path_buf, fd);
    int rc = 0;
    if (op.kind == OpKind::mount_fs) {
      rc = mount(op.source.c_str(), at, op.source.c_str(), op.flags,
                 op.data.empty() ? nullptr : op.data.c_str());
    } else if (op.kind == OpKind::bind) {
      rc = mount(op.source.c_str(), at, nullptr, MS_BIND | MS_REC | op.flags, nullptr);
    } else {
      rc = mount(nullptr, at, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr);
    }
    int err = errno;
    close(fd);
    if (rc != 0) {
      errno = err;
      return fail(sync_fd, op.kind == OpKind::bind ? "bind-mount onto" : "mount onto", t);
    }
    return true;
  }
  }
  return true;
}

void
ensure_target(int root_fd, const SetupOp& op, const std::string& rootfs)
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
      throw SandboxError(errno_message("prepare mount target `/" + op.target + "`: open `/" + parent + "`", errno));
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
  }
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
      ensure_target(root.get(), op, plan.rootfs);
    }
  }
}

bool
setup_root(const SandboxPlan& plan, int sync_fd) noexcept
{
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail(sync_fd, "make mounts private", "/");
  }
  const char* rootfs = plan.rootfs.c_str();
  if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return fail(sync_fd, "bind-mount rootfs", rootfs);
  }
  int root_fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    return fail(sync_fd, "open rootfs", rootfs);
  }
  for (const auto& op : plan.ops) {
    if (!run_op(op, root_fd, sync_fd)) {
      close(root_fd);
      return false;
    }
  }
  if (fchdir(root_fd) != 0) {
    return fail(sync_fd, "chdir into rootfs", rootfs);
  }
  close(root_fd);
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
