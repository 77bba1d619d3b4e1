#pragma once
// The capability set the app keeps: Docker's default (CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW,
// SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE). Everything else
// (SYS_ADMIN, SYS_PTRACE, SYS_MODULE...) leaves the bounding set, so no exec can regain it.
#include <cstdint>

namespace whittle::trace {

// Interface.

// Returns the bit mask (1 << CAP_*) of Docker's default set.
uint64_t docker_default_caps() noexcept;

// Drops every capability outside keep from the bounding set, and sets effective, permitted and
// inheritable to keep (a root app keeps these; setuid to another user then clears them as usual).
// Allocates nothing. Returns 0, or -1 with errno set.
int restrict_capabilities(uint64_t keep) noexcept;

} // namespace whittle::trace
