#pragma once
// The seccomp-bpf program installed in the traced app: SECCOMP_RET_TRACE for the syscalls of the syscall
// table (syscalls.hpp) that name a path or may show the app needs root (k_sys_privilege, privilege.hpp),
// SECCOMP_RET_ALLOW for everything else. Descriptor-only forms the filter can recognise from registers
// (AT_EMPTY_PATH in the flags argument, a NULL path) pass without a stop: glibc's fstat() is
// newfstatat(fd, "", AT_EMPTY_PATH), ~17% of all path calls. A call that sets AT_EMPTY_PATH *and* names a
// non-empty path is then not seen either; no common program does that. fchownat always stops (its
// AT_EMPTY_PATH form is fchown, a privilege call).
#include <linux/filter.h>

#include <vector>

namespace whittle::trace {

// Interface.

// What the filter does with a path syscall: a ptrace seccomp-stop (SECCOMP_RET_TRACE) or a user
// notification to a listener (SECCOMP_RET_USER_NOTIF), which the tracer answers with "continue".
enum class FilterAction { trace, notify };

// Returns the BPF instructions of the filter for the host architecture (generated with libseccomp from
// the syscall table; calls of another architecture are killed). Throws SandboxError if libseccomp fails.
std::vector<sock_filter> build_trace_filter(FilterAction action = FilterAction::trace);

// Installs prog on the calling thread with seccomp(2) (SECCOMP_FILTER_FLAG_TSYNC not used: call before
// any thread exists). Requires no_new_privs or CAP_SYS_ADMIN. Async-signal-safe, allocates nothing:
// usable between fork and exec. Returns 0, or -1 with errno set.
int install_filter(const std::vector<sock_filter>& prog) noexcept;

// Installs prog with SECCOMP_FILTER_FLAG_NEW_LISTENER; returns the listener descriptor, or -1 (errno).
// Same rules as install_filter.
int install_filter_with_listener(const std::vector<sock_filter>& prog) noexcept;

} // namespace whittle::trace
