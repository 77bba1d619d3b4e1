#include <cerrno>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <whittle/trace/capabilities.hpp>
#include <whittle/util/error.hpp>

namespace whittle::trace {

uint64_t
docker_default_caps() noexcept
{
  const int caps[] = {CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
                      CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
                      CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
                      CAP_KILL,    CAP_AUDIT_WRITE};
  uint64_t mask = 0;
  for (int c : caps) {
    mask |= uint64_t{1} << c;
  }
  return mask;
}

namespace {

const char* const k_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};
constexpr int k_known = static_cast<int>(sizeof k_names / sizeof k_names[0]);

} // namespace

int
drop_bounding(uint64_t keep) noexcept
{
  for (int cap = 0; cap < 64; ++cap) {
    if ((keep & (uint64_t{1} << cap)) != 0) {
      continue;
    }
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) {
        break; // past the kernel's last capability
      }
      return -1;
    }
  }
  return 0;
}

int
restrict_capabilities(uint64_t keep) noexcept
{
  if (drop_bounding(keep) != 0) {
    return -1;
  }
  // Ambient capabilities would survive exec: clear them.
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    auto word = static_cast<uint32_t>(keep >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = 0;
  }
  return static_cast<int>(syscall(SYS_capset, &header, data));
}

int
apply_capabilities(uint64_t keep, bool ambient) noexcept
{
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    auto word = static_cast<uint32_t>(keep >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = ambient ? word : 0;
  }
  if (syscall(SYS_capset, &header, data) != 0) {
    return -1;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return -1;
  }
  for (int cap = 0; ambient && cap < 64; ++cap) {
    if ((keep & (uint64_t{1} << cap)) != 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      return -1;
    }
  }
  return 0;
}

uint64_t
capability_mask(const std::vector<std::string>& names)
{
  uint64_t mask = 0;
  for (const auto& name : names) {
    std::string n = name.rfind("CAP_", 0) == 0 ? name.substr(4) : name;
    int found = -1;
    for (int i = 0; i < k_known && found < 0; ++i) {
      found = n == k_names[i] ? i : -1;
    }
    if (found < 0) {
      throw UsageError("unknown capability `" + name + "`");
    }
    mask |= uint64_t{1} << found;
  }
  return mask;
}

std::vector<std::string>
names_of_capabilities(uint64_t mask)
{
  std::vector<std::string> out;
  for (int i = 0; i < 64; ++i) {
    if ((mask & (uint64_t{1} << i)) != 0) {
      out.push_back(i < k_known ? k_names[i] : "CAP_" + std::to_string(i));
    }
  }
  return out;
}

} // namespace whittle::trace
