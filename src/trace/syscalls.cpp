#include <cstdlib>
#include <fcntl.h>
#include <seccomp.h>
#include <unordered_map>
#include <whittle/trace/profile.hpp>
#include <whittle/trace/syscalls.hpp>

namespace whittle::trace {

namespace {

const std::unordered_map<int, const SyscallInfo*>&
by_number()
{
  static const std::unordered_map<int, const SyscallInfo*> k_index = [] {
    std::unordered_map<int, const SyscallInfo*> m;
    for (const auto& s : syscall_table()) {
      m.emplace(s.nr, &s);
    }
    return m;
  }();
  return k_index;
}

constexpr uint16_t
bit(Access a)
{
  return static_cast<uint16_t>(a);
}

} // namespace

PathAccess
open_access(uint64_t flags)
{
  PathAccess a;
  if ((flags & O_PATH) != 0) {
    a.bits = bit(Access::stat);
  } else {
    switch (flags & O_ACCMODE) {
    case O_RDONLY:
      a.bits = bit(Access::read);
      break;
    case O_WRONLY:
      a.bits = bit(Access::write);
      break;
    default:
      a.bits = bit(Access::read) | bit(Access::write);
      break;
    }
  }
  if ((flags & O_TRUNC) != 0) {
    a.bits |= bit(Access::write);
  }
  if ((flags & O_DIRECTORY) != 0) {
    a.bits |= bit(Access::dir);
  }
  a.creates = (flags & O_CREAT) != 0 && (flags & O_TMPFILE) != O_TMPFILE;
  bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
  a.follow = (flags & O_NOFOLLOW) != 0 || excl ? Follow::no : Follow::yes;
  return a;
}

PathAccess
path_access(const SyscallInfo& s, uint64_t at_flags, uint64_t open_flags)
{
  if ((s.kind & k_sys_open) != 0) {
    return open_access((s.kind & k_sys_creat) != 0 ? uint64_t{O_CREAT | O_WRONLY | O_TRUNC} : open_flags);
  }
  PathAccess a;
  a.bits = s.access;
  bool nofollow = (s.kind & k_sys_nofollow) != 0 || (at_flags & AT_SYMLINK_NOFOLLOW) != 0;
  if ((s.kind & k_sys_link) != 0) {
    nofollow = (at_flags & AT_SYMLINK_FOLLOW) == 0; // linkat follows the old path only when asked to
  }
  a.follow = nofollow ? Follow::no : Follow::yes;
  a.creates = (s.kind & (k_sys_mkdir | k_sys_symlink)) != 0;
  a.removes = (s.kind & (k_sys_unlink | k_sys_rename)) != 0;
  return a;
}

PathAccess
second_path_access(const SyscallInfo& s, uint64_t at_flags)
{
  PathAccess a;
  if ((s.kind & (k_sys_rename | k_sys_link)) != 0) {
    a.bits = (s.kind & k_sys_rename) != 0 ? bit(Access::write) : 0;
    a.follow = Follow::no;
    a.creates = true;
    return a;
  }
  a = path_access(s, at_flags, 0);
  a.creates = false;
  a.removes = false;
  return a;
}

const SyscallInfo*
find_syscall(int nr)
{
  const auto& m = by_number();
  auto it = m.find(nr);
  return it == m.end() ? nullptr : it->second;
}

std::string
syscall_name(int nr)
{
  if (const SyscallInfo* s = find_syscall(nr)) {
    return s->name;
  }
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  if (name == nullptr) {
    return "syscall_" + std::to_string(nr);
  }
  std::string out = name;
  std::free(name);
  return out;
}

} // namespace whittle::trace
