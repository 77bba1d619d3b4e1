#pragma once
// Namespaces and limits around the sandbox: the clone flags, the loopback interface of a fresh network
// namespace, entering the sandbox's network namespace from a probe thread, and a pids cgroup that bounds
// fork bombs.
#include <string>
#include <sys/types.h>

namespace whittle::trace {

// Interface.

// The clone flags of the sandbox init: new user, mount, pid, ipc and uts namespaces, and a network
// namespace unless the host network is shared.
unsigned long sandbox_clone_flags(bool host_network) noexcept;

// Brings "lo" up in the calling process's network namespace. Allocates nothing. Returns 0 or -1 (errno).
int bring_up_loopback() noexcept;

// Moves the calling thread into the network namespace of pid. Throws SandboxError.
void enter_network_namespace(pid_t pid);

// A pids cgroup (v1 "pids" hierarchy or v2) limiting how many tasks the sandbox may hold. Best effort:
// when no pids controller is writable, ok() is false and the caller warns (the timeout still ends a
// fork bomb). Removed by the destructor once empty.
class PidsCgroup
{
public:
  PidsCgroup(const std::string& name, int max_tasks);
  PidsCgroup(const PidsCgroup&) = delete;
  PidsCgroup& operator=(const PidsCgroup&) = delete;
  ~PidsCgroup();

  bool ok() const { return !m_dir.empty(); }
  // Moves pid (and its future children) into the cgroup. Returns false on failure.
  bool add(pid_t pid);
  // Kills every task left in the cgroup (SIGKILL), for cleanup after the pid namespace died.
  void kill_all();
  const std::string& path() const { return m_dir; }

private:
  std::string m_dir;
};

} // namespace whittle::trace
