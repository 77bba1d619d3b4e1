#include <whittle/trace/seccomp_filter.hpp>
#include <whittle/trace/syscalls.hpp>
#include <whittle/util/error.hpp>

#include <seccomp.h>

#include <cerrno>
#include <cstring>
#include <linux/seccomp.h>
#include <memory>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace whittle::trace {

namespace {

struct CtxDeleter
{
  void operator()(void* ctx) const { seccomp_release(static_cast<scmp_filter_ctx>(ctx)); }
};

void
check(int rc, const std::string& what)
{
  if (rc < 0) {
    throw SandboxError(errno_message("build seccomp filter: " + what, -rc));
  }
}

} // namespace

std::vector<sock_filter>
build_trace_filter(FilterAction action)
{
  const uint32_t act = action == FilterAction::trace ? SCMP_ACT_TRACE(0) : SCMP_ACT_NOTIFY;
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) {
    throw SandboxError("build seccomp filter: seccomp_init failed");
  }
  // Foreign-architecture calls (x32, i386 int 0x80) would bypass the table: kill them.
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "set bad-arch action");
  for (const SyscallInfo& s : syscall_table()) {
    if (s.shape == PathShape::none && (s.kind & k_sys_privilege) == 0) {
      continue;
    }
    std::string what = "add rule for `" + std::string(s.name) + "`";
    if (s.skip_if_flag != 0 && s.at_flags_arg >= 0) {
      // Stop only when the flag is clear.
      scmp_arg_cmp cmp = {static_cast<unsigned>(s.at_flags_arg), SCMP_CMP_MASKED_EQ, s.skip_if_flag, 0};
      check(seccomp_rule_add_array(ctx.get(), act, s.nr, 1, &cmp), what);
    } else if (s.skip_if_null_path) {
      unsigned path_arg = s.shape == PathShape::dirfd_path ? 1 : 0;
      scmp_arg_cmp cmp = {path_arg, SCMP_CMP_NE, 0, 0};
      check(seccomp_rule_add_array(ctx.get(), act, s.nr, 1, &cmp), what);
    } else {
      check(seccomp_rule_add(ctx.get(), act, s.nr, 0), what);
    }
  }
  // libseccomp 2.5 exports only to a descriptor: go through a memfd.
  int fd = memfd_create("whittle-bpf", MFD_CLOEXEC);
  if (fd < 0) {
    throw SandboxError(errno_message("build seccomp filter: memfd_create", errno));
  }
  int rc = seccomp_export_bpf(ctx.get(), fd);
  if (rc < 0) {
    ::close(fd);
    check(rc, "export");
  }
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<sock_filter> prog(static_cast<size_t>(size) / sizeof(sock_filter));
  ssize_t n = pread(fd, prog.data(), prog.size() * sizeof(sock_filter), 0);
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(prog.size() * sizeof(sock_filter)) || prog.empty()) {
    throw SandboxError(errno_message("build seccomp filter: read back", n < 0 ? err : EIO));
  }
  return prog;
}

int
install_filter(const std::vector<sock_filter>& prog) noexcept
{
  sock_fprog fprog;
  fprog.len = static_cast<unsigned short>(prog.size());
  fprog.filter = const_cast<sock_filter*>(prog.data());
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog));
}

} // namespace whittle::trace

namespace whittle::trace {

int
install_filter_with_listener(const std::vector<sock_filter>& prog) noexcept
{
  sock_fprog fprog;
  fprog.len = static_cast<unsigned short>(prog.size());
  fprog.filter = const_cast<sock_filter*>(prog.data());
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog));
}

} // namespace whittle::trace
