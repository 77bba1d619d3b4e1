#include <cstdlib>
#include <seccomp.h>
#include <unordered_map>
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

} // namespace

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
