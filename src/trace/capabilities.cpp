#include <whittle/trace/capabilities.hpp>

#include <cerrno>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace whittle::trace {

uint64_t
docker_default_caps() noexcept
{
  const int caps[] = {CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,  CAP_FOWNER, CAP_MKNOD,
                      CAP_NET_RAW, CAP_SETGID,      CAP_SETUID,  CAP_SETFCAP, CAP_SETPCAP,
                      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE};
  uint64_t mask = 0;
  for (int c : caps) {
    mask |= uint64_t{1} << c;
  }
  return mask;
}

int
restrict_capabilities(uint64_t keep) noexcept
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

} // namespace whittle::trace
