#include <whittle/trace/namespaces.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <net/if.h>
#include <sched.h>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

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

namespace {

bool
write_small(const std::string& path, const std::string& text)
{
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

} // namespace

PidsCgroup::PidsCgroup(const std::string& name, int max_tasks)
{
  for (const char* base : {"/sys/fs/cgroup/pids", "/sys/fs/cgroup"}) {
    std::string probe = std::string(base) + "/pids.max";
    std::string root_procs = std::string(base) + "/cgroup.procs";
    struct stat st;
    if (stat(root_procs.c_str(), &st) != 0) {
      continue;
    }
    // v2 root has no pids.max; it needs the controller enabled in subtree_control.
    if (std::string(base) == "/sys/fs/cgroup" && stat((std::string(base) + "/cgroup.controllers").c_str(), &st) != 0) {
      continue;
    }
    std::string dir = std::string(base) + "/" + name;
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      continue;
    }
    if (!write_small(dir + "/pids.max", std::to_string(max_tasks))) {
      rmdir(dir.c_str());
      continue;
    }
    (void)probe;
    m_dir = dir;
    return;
  }
}

PidsCgroup::~PidsCgroup()
{
  if (m_dir.empty()) {
    return;
  }
  for (int i = 0; i < 50; ++i) {
    if (rmdir(m_dir.c_str()) == 0 || errno == ENOENT) {
      return;
    }
    kill_all();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool
PidsCgroup::add(pid_t pid)
{
  return !m_dir.empty() && write_small(m_dir + "/cgroup.procs", std::to_string(pid));
}

void
PidsCgroup::kill_all()
{
  if (m_dir.empty()) {
    return;
  }
  std::ifstream in(m_dir + "/cgroup.procs");
  pid_t pid;
  while (in >> pid) {
    ::kill(pid, SIGKILL);
  }
}

} // namespace whittle::trace
