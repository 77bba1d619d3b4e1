#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <linux/seccomp.h>
#include <memory>
#include <seccomp.h>
#include <set>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <whittle/trace/seccomp_filter.hpp>
#include <whittle/trace/syscall_baseline.hpp>
#include <whittle/trace/syscall_policy.hpp>
#include <whittle/trace/syscalls.hpp>
#include <whittle/util/error.hpp>

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

std::vector<sock_filter>
export_bpf(scmp_filter_ctx ctx)
{
  // libseccomp 2.5 exports only to a descriptor: go through a memfd.
  int fd = memfd_create("whittle-bpf", MFD_CLOEXEC);
  if (fd < 0) {
    throw SandboxError(errno_message("build seccomp filter: memfd_create", errno));
  }
  int rc = seccomp_export_bpf(ctx, fd);
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

// Every host syscall a recording filter stops on: all the host's libseccomp knows, less the baseline
// (always allowed, so seeing them adds nothing) and the calls the policy always refuses (they never run).
std::set<int>
recorded_numbers()
{
  std::set<int> baseline;
  for (const auto& name : seccomp_baseline()) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr >= 0) {
      baseline.insert(nr);
    }
  }
  std::set<int> out;
  for (int nr = 0; nr < 1024; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (name == nullptr) {
      continue;
    }
    std::free(name);
    if (baseline.count(nr) == 0 && !always_refused(nr)) {
      out.insert(nr);
    }
  }
  return out;
}

} // namespace

std::vector<sock_filter>
build_trace_filter(FilterAction action, bool record)
{
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) {
    throw SandboxError("build seccomp filter: seccomp_init failed");
  }
  // Foreign-architecture calls (x32, i386 int 0x80) would bypass the table: kill them.
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "set bad-arch action");
  // Recording: a call outside the baseline stops on every form (one unconditional rule), so a syscall
  // the policy refuses only with some arguments, or a path call that passes without a stop in some forms,
  // is still seen; the tracer's tables then decide what the stop is (refusal, path, or only a name).
  const std::set<int> recorded =
      record && action != FilterAction::deny ? recorded_numbers() : std::set<int>{};
  // The policy first: a call it refuses unconditionally gets no path rule (it never runs, so it names
  // nothing), and libseccomp allows one action per syscall and argument test.
  for (const ResolvedRefusal& r : host_refusals()) {
    const Refusal& rule = *r.rule;
    if (recorded.count(r.nr) != 0 && !always_refused(r.nr)) {
      continue;
    }
    uint32_t act = action == FilterAction::deny     ? SCMP_ACT_ERRNO(static_cast<uint16_t>(rule.error))
                   : action == FilterAction::notify ? SCMP_ACT_NOTIFY
                                                    : SCMP_ACT_TRACE(k_policy_trace_tag | rule.error);
    std::vector<scmp_arg_cmp> cmps;
    for (const ArgTest& t : rule.when) {
      if (t.op == ArgOp::masked_eq) {
        cmps.push_back({static_cast<unsigned>(t.arg), SCMP_CMP_MASKED_EQ, t.mask, t.value});
      } else if (t.op == ArgOp::gt) {
        cmps.push_back({static_cast<unsigned>(t.arg), SCMP_CMP_GT, t.value, 0});
      }
    }
    check(seccomp_rule_add_array(ctx.get(), act, r.nr, static_cast<unsigned>(cmps.size()), cmps.data()),
          "add rule for `" + std::string(rule.label) + "`");
  }
  if (action == FilterAction::deny) {
    return export_bpf(ctx.get());
  }
  const uint32_t act = action == FilterAction::trace ? SCMP_ACT_TRACE(0) : SCMP_ACT_NOTIFY;
  for (int nr : recorded) {
    check(seccomp_rule_add(ctx.get(), act, nr, 0), "add recording rule for syscall " + std::to_string(nr));
  }
  // fallocate reserves any size at once: the tracer holds it to the --disk budget (TracerOptions).
  if (recorded.count(SCMP_SYS(fallocate)) == 0) {
    check(seccomp_rule_add(ctx.get(), act, SCMP_SYS(fallocate), 0), "add rule for `fallocate`");
  }
  for (const SyscallInfo& s : syscall_table()) {
    if (s.shape == PathShape::none && (s.kind & k_sys_privilege) == 0) {
      continue;
    }
    if (always_refused(s.nr) || recorded.count(s.nr) != 0) {
      continue;
    }
    std::string what = "add rule for `" + std::string(s.name) + "`";
    unsigned path_arg = s.shape == PathShape::dirfd_path ? 1 : 0;
    if (s.skip_if_flag != 0 && s.at_flags_arg >= 0) {
      // Stop unless the call names no path at all: flag set and a NULL path (two rules, either stops).
      // With the flag and a non-NULL path the tracer looks at the first byte: "" is fstat, anything else
      // a lookup that must be recorded.
      scmp_arg_cmp clear = {static_cast<unsigned>(s.at_flags_arg), SCMP_CMP_MASKED_EQ, s.skip_if_flag, 0};
      check(seccomp_rule_add_array(ctx.get(), act, s.nr, 1, &clear), what);
      scmp_arg_cmp named = {path_arg, SCMP_CMP_NE, 0, 0};
      check(seccomp_rule_add_array(ctx.get(), act, s.nr, 1, &named), what);
    } else if (s.skip_if_null_path) {
      scmp_arg_cmp cmp = {path_arg, SCMP_CMP_NE, 0, 0};
      check(seccomp_rule_add_array(ctx.get(), act, s.nr, 1, &cmp), what);
    } else {
      check(seccomp_rule_add(ctx.get(), act, s.nr, 0), what);
    }
  }
  return export_bpf(ctx.get());
}

std::vector<sock_filter>
build_allow_filter(const std::set<std::string>& names)
{
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ERRNO(ENOSYS)));
  if (!ctx) {
    throw SandboxError("build seccomp allow list: seccomp_init failed");
  }
  for (const auto& name : names) {
    // runc skips names its libseccomp does not know (a newer kernel's call, another architecture's).
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr < 0) {
      continue;
    }
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0), "allow `" + name + "`");
  }
  return export_bpf(ctx.get());
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
  return static_cast<int>(
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog));
}

} // namespace whittle::trace
