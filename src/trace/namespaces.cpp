#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <whittle/trace/namespaces.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>

namespace whittle::trace {

unsigned long
sandbox_clone_flags(bool host_network) noexcept
{
  // The user namespace comes first (the kernel creates it before the others, which it then owns), so
  // the app's capabilities reach only what the sandbox owns.
  unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
  if (!host_network) {
    flags |= CLONE_NEWNET;
  }
  return flags;
}

int
bring_up_loopback() noexcept
{
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    return -1;
  }
  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, "lo", 3);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int err = errno;
  close(s);
  errno = err;
  return rc;
}

void
enter_network_namespace(pid_t pid)
{
  std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  util::Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw SandboxError(errno_message("open `" + path + "`", errno));
  }
  if (setns(fd.get(), CLONE_NEWNET) != 0) {
    throw SandboxError(errno_message("enter network namespace `" + path + "`", errno));
  }
}

} // namespace whittle::trace
