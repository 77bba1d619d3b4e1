#pragma once
// Syscall knowledge as data (strace's tables): for each syscall of an architecture, its name, what kind of
// file access it makes and where its path arguments sit. The seccomp filter (seccomp_filter.hpp) and the
// tracer's decoder are both generated from this one table, so they cannot disagree.
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace whittle::trace {

// Where a syscall's path arguments sit (strace pathtrace.c's shapes).
enum class PathShape : uint8_t
{
  none,                  // no path: not traced by the filter
  path,                  // a0 = path
  dirfd_path,            // a0 = dirfd, a1 = path
  path_path,             // a0 = old path, a1 = new path
  dirfd_path_dirfd_path, // a0/a1 = old dirfd/path, a2/a3 = new dirfd/path
  string_dirfd_path,     // symlinkat: a0 = link contents (not a lookup), a1/a2 = new dirfd/path
  string_path,           // symlink: a0 = link contents, a1 = new path
  other_path,            // a0 is no path (inotify fd, mount source), a1 = path
  // Calls on a descriptor only (fchdir, fchmod, fstat...) have no shape: what they touch was named
  // when the descriptor was opened, so they are never stopped.
};

// What the call does to its (first) path. Bit flags.
enum SyscallKind : uint32_t
{
  k_sys_open = 1 << 0, // open family: access decided by the flags argument
  k_sys_stat = 1 << 1, // stat, access, statfs, xattr reads, inotify
  k_sys_exec = 1 << 2, // execve family
  k_sys_readlink = 1 << 3,
  k_sys_chdir = 1 << 4,     // chdir, chroot
  k_sys_mkdir = 1 << 5,     // creates a directory (or node) at the path
  k_sys_unlink = 1 << 6,    // removes the path
  k_sys_rename = 1 << 7,    // removes the old path, creates the new one
  k_sys_link = 1 << 8,      // reads the old path, creates the new one
  k_sys_symlink = 1 << 9,   // creates the (new) path
  k_sys_modify = 1 << 10,   // chmod, chown, truncate, utime, xattr writes
  k_sys_nofollow = 1 << 11, // never follows a final symlink (lstat, lchown, unlink...)
  k_sys_creat = 1 << 12,    // creat(2): open with O_CREAT|O_WRONLY|O_TRUNC
  k_sys_openat2 = 1 << 13,  // flags live in struct open_how at a2
  // A call that may show the app needs root (set*id, setgroups, chown family, bind). Traced even without a
  // path shape; they are rare, so their stops cost nothing measurable.
  k_sys_privilege = 1 << 14,
};

struct SyscallInfo
{
  int nr = -1;
  const char* name = "";
  PathShape shape = PathShape::none;
  uint32_t kind = 0;
  // Index of the AT_* flags argument (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH), or -1.
  int at_flags_arg = -1;
  // Index of the open flags argument (O_CREAT, O_NOFOLLOW...), or -1.
  int open_flags_arg = -1;
  // The BPF filter lets the call through without a stop when this AT_ flag is set (AT_EMPTY_PATH for the
  // fstat-like forms); 0 = always stop.
  uint32_t skip_if_flag = 0;
  // The BPF filter lets the call through when the path argument is NULL (utimensat(fd, NULL, ...)).
  bool skip_if_null_path = false;
};

// Interface.

// The table of the host architecture: every syscall that names a path or starts a program, and the
// privilege calls (k_sys_privilege). Never fails.
const std::vector<SyscallInfo>& syscall_table();

// Returns the entry for nr, or nullptr when nr is in no table row.
const SyscallInfo* find_syscall(int nr);

// Returns the name for nr (from the table, else libseccomp's), or "syscall_<nr>" when unknown.
std::string syscall_name(int nr);

// The AUDIT_ARCH_* value of the host architecture (for the BPF arch check).
uint32_t audit_arch();

// Makes a tracee stopped at a seccomp stop skip its syscall, which then returns -error to it (the
// registers that hold the syscall number and result are per architecture: trace/arch/<arch>.cpp).
// Returns false when its registers cannot be read or written (the tracee was killed meanwhile).
bool skip_syscall(pid_t pid, int error);

} // namespace whittle::trace
