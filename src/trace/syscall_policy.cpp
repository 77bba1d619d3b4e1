#include <cerrno>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <unordered_map>
#include <whittle/trace/syscall_policy.hpp>

namespace whittle::trace {

namespace {

constexpr uint64_t k_u32 = 0xffffffffu;
constexpr uint64_t k_tiocsti = 0x5412;   // asm-generic/ioctls.h, the same number on every architecture
constexpr uint64_t k_tioclinux = 0x541C; // whittle uses neither itself
constexpr uint64_t k_af_vsock = 40;

constexpr ArgTest
flag_set(int arg, uint64_t flag)
{
  return {arg, ArgOp::masked_eq, flag, flag};
}

constexpr ArgTest
equals32(int arg, uint64_t value)
{
  return {arg, ArgOp::masked_eq, k_u32, value};
}

Refusal
always(const char* name, int error = EPERM)
{
  Refusal r;
  r.name = name;
  r.label = name;
  r.error = error;
  return r;
}

Refusal
when(const char* name, const char* label, int error, ArgTest a, ArgTest b = {})
{
  Refusal r;
  r.name = name;
  r.label = label;
  r.error = error;
  r.when[0] = a;
  r.when[1] = b;
  return r;
}

bool
holds(const ArgTest& t, const uint64_t args[6])
{
  switch (t.op) {
  case ArgOp::none:
    return true;
  case ArgOp::masked_eq:
    return (args[t.arg] & t.mask) == t.value;
  case ArgOp::gt:
    return args[t.arg] > t.value;
  }
  return false;
}

const std::unordered_map<int, std::vector<const Refusal*>>&
by_number()
{
  static const std::unordered_map<int, std::vector<const Refusal*>> k_index = [] {
    std::unordered_map<int, std::vector<const Refusal*>> m;
    for (const ResolvedRefusal& r : host_refusals()) {
      m[r.nr].push_back(r.rule);
    }
    return m;
  }();
  return k_index;
}

} // namespace

const std::vector<Refusal>&
refusal_table()
{
  static const std::vector<Refusal> k_table = {
      // Kernel modules, kexec, reboot: the host kernel itself (CAP_SYS_MODULE, CAP_SYS_BOOT).
      always("init_module"),
      always("finit_module"),
      always("delete_module"),
      always("create_module"),
      always("get_kernel_syms"),
      always("query_module"),
      always("kexec_load"),
      always("kexec_file_load"),
      always("reboot"),
      // Kernel-wide tracing and programs, and their old side doors (CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON).
      always("bpf"),
      always("perf_event_open"),
      always("lookup_dcookie"),
      always("fanotify_init"),
      // userfaultfd stalls kernel code at will: the usual helper of use-after-free exploits.
      always("userfaultfd"),
      // Keyrings are not namespaced: the app would read and add keys of the host user's keyring.
      always("keyctl"),
      always("add_key"),
      always("request_key"),
      // open_by_handle_at opens any inode of a mounted filesystem by number, past the mount root ("shocker").
      always("open_by_handle_at"),
      // Raw I/O ports, swap, process accounting, the clock, quotas, the kernel log, terminal hangup.
      always("iopl"),
      always("ioperm"),
      always("swapon"),
      always("swapoff"),
      always("acct"),
      always("settimeofday"),
      always("clock_settime"),
      always("stime"),
      always("quotactl"),
      always("quotactl_fd"),
      always("syslog"),
      always("vhangup"),
      // Obsolete calls no container needs.
      always("nfsservctl"),
      always("uselib"),
      always("ustat"),
      always("sysfs"),
      always("_sysctl"),
      always("vm86"),
      always("vm86old"),
      // Mounts and namespaces (CAP_SYS_ADMIN): the sandbox is set up before the filter is installed, and the
      // app may not rearrange it, build a mount from an fd of another tree, or enter or create namespaces (a
      // nested user namespace would hand it every capability again).
      always("mount"),
      always("umount"),
      always("umount2"),
      always("pivot_root"),
      always("mount_setattr"),
      always("fsopen"),
      always("fsconfig"),
      always("fsmount"),
      always("fspick"),
      always("move_mount"),
      always("open_tree"),
      always("unshare"),
      always("setns"),
      always("sethostname"),
      always("setdomainname"),
      when("clone", "clone(CLONE_NEWNS)", EPERM, flag_set(0, CLONE_NEWNS)),
      when("clone", "clone(CLONE_NEWCGROUP)", EPERM, flag_set(0, CLONE_NEWCGROUP)),
      when("clone", "clone(CLONE_NEWUTS)", EPERM, flag_set(0, CLONE_NEWUTS)),
      when("clone", "clone(CLONE_NEWIPC)", EPERM, flag_set(0, CLONE_NEWIPC)),
      when("clone", "clone(CLONE_NEWUSER)", EPERM, flag_set(0, CLONE_NEWUSER)),
      when("clone", "clone(CLONE_NEWPID)", EPERM, flag_set(0, CLONE_NEWPID)),
      when("clone", "clone(CLONE_NEWNET)", EPERM, flag_set(0, CLONE_NEWNET)),
      // Other processes' descriptors and memory policy (CAP_SYS_PTRACE, CAP_SYS_NICE in Docker's profile).
      always("kcmp"),
      always("pidfd_getfd"),
      always("process_madvise"),
      always("mbind"),
      always("set_mempolicy"),
      always("get_mempolicy"),
      always("migrate_pages"),
      always("move_pages"),
      always("set_mempolicy_home_node"),
      // Sockets to the hypervisor.
      when("socket", "socket(AF_VSOCK)", EPERM, equals32(0, k_af_vsock)),
      // Execution domains other than Linux's (and UNAME26, 32-bit) change the address-space layout (no ASLR,
      // readable implies executable). 0xffffffff only queries: allowed by the tracer, refused untraced.
      [] {
        Refusal r = when("personality", "personality", EPERM, {0, ArgOp::gt, 0, 0x20008});
        r.except_arg = 0;
        r.except_value = k_u32;
        return r;
      }(),
      // Typing into the terminal's input queue (TIOCSTI) and the console's selection paste (TIOCLINUX) would
      // run commands in the shell that started whittle.
      when("ioctl", "ioctl(TIOCSTI)", EPERM, equals32(1, k_tiocsti)),
      when("ioctl", "ioctl(TIOCLINUX)", EPERM, equals32(1, k_tioclinux)),
      // No hiding from the tracer. io_uring opens and reads files with no syscall to stop; clone3's flags
      // lie in memory the filter cannot read, so it could set CLONE_UNTRACED: both answer ENOSYS, and
      // programs (glibc's pthread_create and posix_spawn among them) fall back to the plain calls.
      always("io_uring_setup", ENOSYS),
      always("io_uring_enter", ENOSYS),
      always("io_uring_register", ENOSYS),
      always("clone3", ENOSYS),
      // A child the tracer never sees.
      when("clone", "clone(CLONE_UNTRACED)", EPERM, flag_set(0, CLONE_UNTRACED)),
      // A user-notification filter of the app's own takes precedence over the tracer's stop, and its
      // supervisor could then open files for the app unseen.
      when("seccomp", "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)", EPERM,
           equals32(0, SECCOMP_SET_MODE_FILTER), flag_set(1, SECCOMP_FILTER_FLAG_NEW_LISTENER)),
  };
  return k_table;
}

const std::vector<ResolvedRefusal>&
host_refusals()
{
  static const std::vector<ResolvedRefusal> k_resolved = [] {
    std::vector<ResolvedRefusal> out;
    for (const Refusal& r : refusal_table()) {
      int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, r.name);
      if (nr >= 0) {
        out.push_back({nr, &r});
      }
    }
    return out;
  }();
  return k_resolved;
}

const Refusal*
refusal_for(int nr, const uint64_t args[6])
{
  const auto& m = by_number();
  auto it = m.find(nr);
  if (it == m.end()) {
    return nullptr;
  }
  for (const Refusal* r : it->second) {
    if (holds(r->when[0], args) && holds(r->when[1], args) &&
        !(r->except_arg >= 0 && args[r->except_arg] == r->except_value)) {
      return r;
    }
  }
  return nullptr;
}

bool
always_refused(int nr)
{
  const auto& m = by_number();
  auto it = m.find(nr);
  if (it == m.end()) {
    return false;
  }
  for (const Refusal* r : it->second) {
    if (r->when[0].op == ArgOp::none && r->except_arg < 0) {
      return true;
    }
  }
  return false;
}

} // namespace whittle::trace
