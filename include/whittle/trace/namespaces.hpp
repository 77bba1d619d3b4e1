#pragma once
// Namespaces around the sandbox: the clone flags, the loopback interface of a fresh network namespace, and
// entering the sandbox's network namespace from a probe thread. (The cgroups are in trace/limits.)
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

} // namespace whittle::trace
