#pragma once
// Syscall knowledge as data (strace's tables): for each syscall of an architecture, its name, what kind of
// file access it makes and where its path arguments sit. The seccomp filter (seccomp_filter.hpp) and the
// tracer's decoder are both generated from this one table, so they cannot disagree.
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>
#include <whittle/trace/path_resolver.hpp>

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

// What else a call does besides the access it makes on its path (SyscallInfo::access). Bit flags.
enum SyscallKind : uint32_t
{
  k_sys_open = 1 << 0,     // open family: the access is decided by the flags (open_access)
  k_sys_mkdir = 1 << 1,    // makes a directory or node at the path (mkdir, mknod)
  k_sys_unlink = 1 << 2,   // removes the path
  k_sys_rename = 1 << 3,   // removes the old path, creates the new one
  k_sys_link = 1 << 4,     // reads the old path, creates the new one
  k_sys_symlink = 1 << 5,  // creates the (new) path
  k_sys_nofollow = 1 << 6, // never follows a final symlink (lstat, lchown, unlink...)
  k_sys_creat = 1 << 7,    // creat(2): open with O_CREAT|O_WRONLY|O_TRUNC
  k_sys_openat2 = 1 << 8,  // flags live in struct open_how at a2
  // A call that may show the app needs root (set*id, setgroups, chown family, bind). Traced even without a
  // path shape; they are rare, so their stops cost nothing measurable.
  k_sys_privilege = 1 << 9,
};

struct SyscallInfo
{
  int nr = -1;
  const char* name = "";
  PathShape shape = PathShape::none;
  // The Access bits (profile.hpp) the call makes on its (first) path: stat for stat, access, statfs and
  // xattr reads, exec|read for the execve family, readlink, dir for chdir and mkdir, write for chmod,
  // truncate, utime and xattr writes. 0 for the open family (its flags decide) and for calls that only
  // remove or create the path (unlink, rename, symlink: their kind says which).
  uint16_t access = 0;
  uint32_t kind = 0; // SyscallKind bits
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

// How a call touches one of its paths, decoded from its table row and flags.
struct PathAccess
{
  uint16_t bits = 0;           // Access bits (profile.hpp) recorded on the path when it exists
  Follow follow = Follow::yes; // whether a final symlink is followed
  bool creates = false;        // a missing path is recorded as created, not as missing
  bool removes = false;        // an existing path is recorded as removed
};

// Interface.

// The table of the host architecture: every syscall that names a path or starts a program, and the
// privilege calls (k_sys_privilege). Never fails.
const std::vector<SyscallInfo>& syscall_table();

// Returns the entry for nr, or nullptr when nr is in no table row.
const SyscallInfo* find_syscall(int nr);

// Returns how the call of row s touches its first path (for symlink, the new path: its first argument
// is no lookup), given the call's AT_* flags word (0 when the row has no at_flags_arg) and, for the open
// family, its open flags (creat's are implied). Never fails.
PathAccess path_access(const SyscallInfo& s, uint64_t at_flags, uint64_t open_flags);

// Returns how a call with two paths (rename, link, pivot_root) touches its second, new path, given its
// AT_* flags word. Never fails.
PathAccess second_path_access(const SyscallInfo& s, uint64_t at_flags);

// Returns how an open with these flags (O_ACCMODE, O_PATH, O_TRUNC, O_DIRECTORY, O_CREAT, O_EXCL,
// O_NOFOLLOW, O_TMPFILE) touches its path. Never fails.
PathAccess open_access(uint64_t flags);

// Returns the name for nr (from the table, else libseccomp's), or "syscall_<nr>" when unknown.
std::string syscall_name(int nr);

// The AUDIT_ARCH_* value of the host architecture (for the BPF arch check).
uint32_t audit_arch();

// Makes a tracee stopped at a seccomp stop skip its syscall, which then returns -error to it (the
// registers that hold the syscall number and result are per architecture: trace/arch/<arch>.cpp).
// Returns false when its registers cannot be read or written (the tracee was killed meanwhile).
bool skip_syscall(pid_t pid, int error);

} // namespace whittle::trace
