#pragma once
// The capability set the app keeps: Docker's default (CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW,
// SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE). Everything else
// (SYS_ADMIN, SYS_PTRACE, SYS_MODULE...) leaves the bounding set, so no exec can regain it.
#include <cstdint>
#include <string>
#include <vector>

namespace whittle::trace {

// Interface.

// Returns the bit mask (1 << CAP_*) of Docker's default set.
uint64_t docker_default_caps() noexcept;

// Drops every capability outside keep from the bounding set (needs SETPCAP effective). Allocates nothing.
// Returns 0, or -1 with errno set.
int drop_bounding(uint64_t keep) noexcept;

// Drops every capability outside keep from the bounding set, and sets effective, permitted and
// inheritable to keep (a root app keeps these; setuid to another user then clears them as usual).
// Allocates nothing. Returns 0, or -1 with errno set.
int restrict_capabilities(uint64_t keep) noexcept;

// As podman applies `--cap-drop=ALL --cap-add ...` (RunConstraints::capabilities), called after
// drop_bounding(keep) and the switch to the app's user (with PR_SET_KEEPCAPS for a non-root one):
// effective and permitted become keep; for a non-root user (ambient) inheritable and ambient too, so keep
// survives its execve; for root inheritable and ambient are empty. Allocates nothing. Returns 0, or -1 with
// errno set.
int apply_capabilities(uint64_t keep, bool ambient) noexcept;

// Capability names without CAP_ ("CHOWN", "NET_BIND_SERVICE") to a mask and back; an unknown name throws
// UsageError. names_of_capabilities lists the bits of mask in capability order.
uint64_t capability_mask(const std::vector<std::string>& names);
std::vector<std::string> names_of_capabilities(uint64_t mask);

} // namespace whittle::trace
