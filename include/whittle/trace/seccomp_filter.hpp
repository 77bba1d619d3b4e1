#pragma once
// The seccomp-bpf program installed in the traced app, generated with libseccomp from two tables: the
// baseline policy (syscall_policy.hpp: calls refused, counted in the profile) and the syscall table
// (syscalls.hpp: calls that name a path or may show the app needs root, k_sys_privilege). Everything
// else is SECCOMP_RET_ALLOW, which the kernel caches per syscall, so the common calls never run the BPF.
//
// Path calls stop the app (SECCOMP_RET_TRACE with data 0, or a user notification). Refused calls stop it
// too (SECCOMP_RET_TRACE with data k_policy_trace_tag | errno, or a notification), and the tracer fails
// them with the rule's errno after counting them; they are rare, so those stops cost nothing measurable.
// The untraced baseline (FilterAction::deny) refuses the same calls with SECCOMP_RET_ERRNO and stops
// nothing.
//
// Calls with AT_EMPTY_PATH (the fstat-like forms, SyscallInfo::skip_if_flag) pass without a stop only when
// their path pointer is NULL. glibc's fstat() passes "" instead, so it stops, and the tracer returns at
// once on an empty path; a call that sets AT_EMPTY_PATH *and* names a path is recorded like any lookup.
#include <linux/filter.h>
#include <set>
#include <string>
#include <vector>

namespace whittle::trace {

// Interface.

// What the filter does with a path syscall: a ptrace seccomp-stop (SECCOMP_RET_TRACE), a user
// notification to a listener (SECCOMP_RET_USER_NOTIF), which the tracer answers, or nothing (deny: the
// untraced baseline, which only refuses what the policy refuses).
enum class FilterAction
{
  trace,
  notify,
  deny
};

// Returns the BPF instructions of the filter for the host architecture (calls of another architecture
// kill the process). record (trace and notify only): every call outside trace::seccomp_baseline()
// (syscall_baseline.hpp) stops too, in every form, so the tracer sees the name of each call the app makes
// beyond the baseline (syscall recording; a baseline call that is also a path call still stops as one).
// Throws SandboxError if libseccomp fails.
std::vector<sock_filter> build_trace_filter(FilterAction action = FilterAction::trace, bool record = false);

// The allow list of a verify run (RunConstraints::seccomp_allow), as runc builds seccomp.json's: the named
// calls are allowed, every other fails with ENOSYS; names the host's libseccomp does not know are ignored.
// Installed after the trace filter, so the kernel takes the stricter answer (an ENOSYS beats a stop: a
// refused call never reaches the tracer). Throws SandboxError if libseccomp fails.
std::vector<sock_filter> build_allow_filter(const std::set<std::string>& names);

// Installs prog on the calling thread with seccomp(2) (SECCOMP_FILTER_FLAG_TSYNC not used: call before
// any thread exists). Requires no_new_privs or CAP_SYS_ADMIN. Async-signal-safe, allocates nothing:
// usable between fork and exec. Returns 0, or -1 with errno set.
int install_filter(const std::vector<sock_filter>& prog) noexcept;

// Installs prog with SECCOMP_FILTER_FLAG_NEW_LISTENER; returns the listener descriptor, or -1 (errno).
// Same rules as install_filter.
int install_filter_with_listener(const std::vector<sock_filter>& prog) noexcept;

} // namespace whittle::trace
