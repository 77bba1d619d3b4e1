#pragma once
// openat2(2), the one call whittle makes it through: every descriptor it opens below an untrusted
// directory (an extracted rootfs, an OCI layout) uses its RESOLVE_* flags to keep the walk inside.
#include <cstdint>

namespace whittle::util {

// Interface.

// openat2(dirfd, path, {flags | O_CLOEXEC, mode 0, resolve}), retried while the kernel answers EINTR or
// EAGAIN (a rename or mount raced a RESOLVE_IN_ROOT or RESOLVE_BENEATH walk). Returns the descriptor, or
// -1 with errno set (ENOSYS before Linux 5.6). Neither allocates nor throws: callable in a child after
// clone, before exec.
int openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) noexcept;

} // namespace whittle::util
