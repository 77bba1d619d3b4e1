#include <algorithm>
#include <linux/capability.h>
#include <whittle/slim/artifacts.hpp>
#include <whittle/slim/hardening.hpp>
#include <whittle/slim/report.hpp>
#include <whittle/slim/rewrite.hpp>

namespace whittle::slim {

namespace {

// The kernel's capability names (linux/capability.h), as podman's --cap-add and Kubernetes spell them.
struct CapName
{
  const char* name;
  int number;
};

constexpr CapName k_caps[] = {
    {"CHOWN", CAP_CHOWN},
    {"DAC_OVERRIDE", CAP_DAC_OVERRIDE},
    {"DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
    {"FOWNER", CAP_FOWNER},
    {"FSETID", CAP_FSETID},
    {"KILL", CAP_KILL},
    {"SETGID", CAP_SETGID},
    {"SETUID", CAP_SETUID},
    {"SETPCAP", CAP_SETPCAP},
    {"LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE},
    {"NET_BIND_SERVICE", CAP_NET_BIND_SERVICE},
    {"NET_BROADCAST", CAP_NET_BROADCAST},
    {"NET_ADMIN", CAP_NET_ADMIN},
    {"NET_RAW", CAP_NET_RAW},
    {"IPC_LOCK", CAP_IPC_LOCK},
    {"IPC_OWNER", CAP_IPC_OWNER},
    {"SYS_MODULE", CAP_SYS_MODULE},
    {"SYS_RAWIO", CAP_SYS_RAWIO},
    {"SYS_CHROOT", CAP_SYS_CHROOT},
    {"SYS_PTRACE", CAP_SYS_PTRACE},
    {"SYS_PACCT", CAP_SYS_PACCT},
    {"SYS_ADMIN", CAP_SYS_ADMIN},
    {"SYS_BOOT", CAP_SYS_BOOT},
    {"SYS_NICE", CAP_SYS_NICE},
    {"SYS_RESOURCE", CAP_SYS_RESOURCE},
    {"SYS_TIME", CAP_SYS_TIME},
    {"SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
    {"MKNOD", CAP_MKNOD},
    {"LEASE", CAP_LEASE},
    {"AUDIT_WRITE", CAP_AUDIT_WRITE},
    {"AUDIT_CONTROL", CAP_AUDIT_CONTROL},
    {"SETFCAP", CAP_SETFCAP},
    {"MAC_OVERRIDE", CAP_MAC_OVERRIDE},
    {"MAC_ADMIN", CAP_MAC_ADMIN},
    {"SYSLOG", CAP_SYSLOG},
    {"WAKE_ALARM", CAP_WAKE_ALARM},
    {"BLOCK_SUSPEND", CAP_BLOCK_SUSPEND},
    {"AUDIT_READ", CAP_AUDIT_READ},
    {"PERFMON", 38},
    {"BPF", 39},
    {"CHECKPOINT_RESTORE", 40},
};

} // namespace

std::optional<int>
capability_number(const std::string& name)
{
  for (const auto& c : k_caps) {
    if (name == c.name) {
      return c.number;
    }
  }
  return std::nullopt;
}

std::vector<std::string>
traced_capabilities(const trace::Profile& profile)
{
  std::set<std::string> all;
  for (const auto& run : profile.runs) {
    all.insert(run.capabilities.begin(), run.capabilities.end());
  }
  return {all.begin(), all.end()};
}

Hardening
make_hardening(const UserPlan& user, const WriteHints& hints, const std::vector<std::string>& capabilities,
               const std::optional<std::set<std::string>>& syscalls)
{
  Hardening h;
  h.user = user.user.empty() ? "0:0" : user.user;
  h.non_root = user.non_root;
  h.user_note = user.note;
  h.read_only_root = hints.read_only_rootfs;
  if (h.read_only_root) {
    h.tmpfs_paths = hints.writable_paths;
  } else {
    h.why_not_read_only = hints.why_not;
  }
  if (!user.non_root) {
    std::set<std::string> known;
    for (const auto& c : capabilities) {
      if (capability_number(c)) {
        known.insert(c);
      }
    }
    h.capabilities.assign(known.begin(), known.end());
  }
  if (syscalls) {
    std::set<std::string> allow = *syscalls;
    allow.insert(seccomp_baseline().begin(), seccomp_baseline().end());
    h.seccomp_allow = std::move(allow);
  }
  return h;
}

trace::RunConstraints
run_constraints(const Hardening& h)
{
  trace::RunConstraints c;
  c.read_only_root = h.read_only_root;
  c.tmpfs_paths = h.tmpfs_paths;
  for (const auto& name : h.capabilities) {
    if (auto n = capability_number(name)) {
      c.capabilities |= uint64_t{1} << *n;
    }
  }
  c.seccomp_allow = h.seccomp_allow;
  return c;
}

} // namespace whittle::slim
