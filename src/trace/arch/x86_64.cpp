// The x86_64 syscall table. Numbers come from the kernel headers (SYS_*), never typed by hand.
#include <whittle/trace/profile.hpp>
#include <whittle/trace/syscalls.hpp>

#if defined(__x86_64__)

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

namespace whittle::trace {

namespace {

using S = PathShape;

constexpr uint32_t k_nofollow = k_sys_nofollow;
constexpr uint32_t k_priv = k_sys_privilege;

// The Access bits (profile.hpp) of the access column.
constexpr uint16_t k_read = static_cast<uint16_t>(Access::read);
constexpr uint16_t k_write = static_cast<uint16_t>(Access::write);
constexpr uint16_t k_exec = static_cast<uint16_t>(Access::exec) | k_read; // the kernel reads what it runs
constexpr uint16_t k_stat = static_cast<uint16_t>(Access::stat);
constexpr uint16_t k_readlink = static_cast<uint16_t>(Access::readlink);
constexpr uint16_t k_dir = static_cast<uint16_t>(Access::dir);

} // namespace

const std::vector<SyscallInfo>&
syscall_table()
{
  // {nr, name, shape, access, kind, at_flags_arg, open_flags_arg, skip_if_flag, skip_if_null_path}
  static const std::vector<SyscallInfo> k_table = {
      {SYS_open, "open", S::path, 0, k_sys_open, -1, 1},
      {SYS_stat, "stat", S::path, k_stat},
      {SYS_lstat, "lstat", S::path, k_stat, k_nofollow},
      {SYS_access, "access", S::path, k_stat},
      {SYS_execve, "execve", S::path, k_exec},
      {SYS_truncate, "truncate", S::path, k_write},
      {SYS_chdir, "chdir", S::path, k_dir},
      {SYS_rename, "rename", S::path_path, 0, k_sys_rename | k_nofollow},
      {SYS_mkdir, "mkdir", S::path, k_dir | k_stat, k_sys_mkdir | k_nofollow},
      {SYS_rmdir, "rmdir", S::path, 0, k_sys_unlink | k_nofollow},
      {SYS_creat, "creat", S::path, 0, k_sys_open | k_sys_creat},
      {SYS_link, "link", S::path_path, k_read, k_sys_link | k_nofollow},
      {SYS_unlink, "unlink", S::path, 0, k_sys_unlink | k_nofollow},
      {SYS_symlink, "symlink", S::string_path, 0, k_sys_symlink | k_nofollow},
      {SYS_readlink, "readlink", S::path, k_readlink, k_nofollow},
      {SYS_chmod, "chmod", S::path, k_write, k_priv},
      {SYS_chown, "chown", S::path, k_write, k_priv},
      {SYS_lchown, "lchown", S::path, k_write, k_nofollow | k_priv},
      {SYS_utime, "utime", S::path, k_write},
      {SYS_mknod, "mknod", S::path, k_stat, k_sys_mkdir | k_nofollow},
      {SYS_uselib, "uselib", S::path, k_stat},
      {SYS_statfs, "statfs", S::path, k_stat},
      {SYS_pivot_root, "pivot_root", S::path_path, k_stat, k_nofollow},
      {SYS_chroot, "chroot", S::path, k_dir},
      {SYS_acct, "acct", S::path, k_stat},
      {SYS_mount, "mount", S::other_path, k_stat},
      {SYS_umount2, "umount2", S::path, k_stat},
      {SYS_swapon, "swapon", S::path, k_stat},
      {SYS_swapoff, "swapoff", S::path, k_stat},
      {SYS_setxattr, "setxattr", S::path, k_write},
      {SYS_lsetxattr, "lsetxattr", S::path, k_write, k_nofollow},
      {SYS_getxattr, "getxattr", S::path, k_stat},
      {SYS_lgetxattr, "lgetxattr", S::path, k_stat, k_nofollow},
      {SYS_listxattr, "listxattr", S::path, k_stat},
      {SYS_llistxattr, "llistxattr", S::path, k_stat, k_nofollow},
      {SYS_removexattr, "removexattr", S::path, k_write},
      {SYS_lremovexattr, "lremovexattr", S::path, k_write, k_nofollow},
      {SYS_utimes, "utimes", S::path, k_write},
      {SYS_inotify_add_watch, "inotify_add_watch", S::other_path, k_stat},
      {SYS_openat, "openat", S::dirfd_path, 0, k_sys_open, -1, 2},
      {SYS_mkdirat, "mkdirat", S::dirfd_path, k_dir | k_stat, k_sys_mkdir | k_nofollow},
      {SYS_mknodat, "mknodat", S::dirfd_path, k_stat, k_sys_mkdir | k_nofollow},
      {SYS_fchownat, "fchownat", S::dirfd_path, k_write, k_priv, 4},
      {SYS_futimesat, "futimesat", S::dirfd_path, k_write, 0, -1, -1, 0, true},
      {SYS_newfstatat, "newfstatat", S::dirfd_path, k_stat, 0, 3, -1, AT_EMPTY_PATH},
      {SYS_unlinkat, "unlinkat", S::dirfd_path, 0, k_sys_unlink | k_nofollow},
      {SYS_renameat, "renameat", S::dirfd_path_dirfd_path, 0, k_sys_rename | k_nofollow},
      {SYS_linkat, "linkat", S::dirfd_path_dirfd_path, k_read, k_sys_link | k_nofollow, 4},
      {SYS_symlinkat, "symlinkat", S::string_dirfd_path, 0, k_sys_symlink | k_nofollow},
      {SYS_readlinkat, "readlinkat", S::dirfd_path, k_readlink, k_nofollow},
      {SYS_fchmodat, "fchmodat", S::dirfd_path, k_write, k_priv},
      {SYS_faccessat, "faccessat", S::dirfd_path, k_stat},
      {SYS_utimensat, "utimensat", S::dirfd_path, k_write, 0, 3, -1, 0, true},
      {SYS_name_to_handle_at, "name_to_handle_at", S::dirfd_path, k_stat, 0, 4, -1, AT_EMPTY_PATH},
      {SYS_renameat2, "renameat2", S::dirfd_path_dirfd_path, 0, k_sys_rename | k_nofollow},
      {SYS_execveat, "execveat", S::dirfd_path, k_exec, 0, 4},
      {SYS_statx, "statx", S::dirfd_path, k_stat, 0, 2, -1, AT_EMPTY_PATH},
      {SYS_open_tree, "open_tree", S::dirfd_path, k_stat, 0, 2, -1, AT_EMPTY_PATH},
      {SYS_openat2, "openat2", S::dirfd_path, 0, k_sys_open | k_sys_openat2},
      {SYS_faccessat2, "faccessat2", S::dirfd_path, k_stat, 0, 3, -1, AT_EMPTY_PATH},
      // Privilege calls: no path to record (chown's rows above are privilege calls too).
      {SYS_bind, "bind", S::none, 0, k_priv},
      {SYS_fchown, "fchown", S::none, 0, k_priv},
      {SYS_fchmod, "fchmod", S::none, 0, k_priv},
      {SYS_setuid, "setuid", S::none, 0, k_priv},
      {SYS_setgid, "setgid", S::none, 0, k_priv},
      {SYS_setreuid, "setreuid", S::none, 0, k_priv},
      {SYS_setregid, "setregid", S::none, 0, k_priv},
      {SYS_setgroups, "setgroups", S::none, 0, k_priv},
      {SYS_setresuid, "setresuid", S::none, 0, k_priv},
      {SYS_setresgid, "setresgid", S::none, 0, k_priv},
#ifdef SYS_fchmodat2
      {SYS_fchmodat2, "fchmodat2", S::dirfd_path, k_write, k_priv, 3, -1, AT_EMPTY_PATH},
#else
      {452, "fchmodat2", S::dirfd_path, k_write, k_priv, 3, -1, AT_EMPTY_PATH},
#endif
  };
  return k_table;
}

uint32_t
audit_arch()
{
  return AUDIT_ARCH_X86_64;
}

bool
skip_syscall(pid_t pid, int error)
{
  // At a seccomp stop, a syscall number of -1 makes the kernel skip the call and return rax as it is.
  user_regs_struct regs;
  if (syscall(SYS_ptrace, PTRACE_GETREGS, pid, 0, &regs) != 0) {
    return false;
  }
  regs.orig_rax = static_cast<unsigned long long>(-1);
  regs.rax = static_cast<unsigned long long>(-static_cast<long long>(error));
  return syscall(SYS_ptrace, PTRACE_SETREGS, pid, 0, &regs) == 0;
}

} // namespace whittle::trace

#endif
