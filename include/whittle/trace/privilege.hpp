#pragma once
// Needs-root detection: the calls that show the traced app relies on running as root, so
// that `whittle slim` keeps root and says why instead of switching the image to a non-root user. The tracer
// stops on the k_sys_privilege rows of the syscall table (set*id, setgroups, the chown family, bind) and
// asks needs_root_reason() whether this call, made by a caller with these ids, needs root:
//   - setuid/setreuid/setresuid to a uid other than the caller's, or setgid/setregid/setresgid to another
//     gid, or setgroups to another list, while the caller's effective uid is 0;
//   - chown/fchown/lchown/fchownat to an owner other than the caller's (file system) uid, or to a group
//     the caller is not in;
//   - chmod/fchmod/fchmodat/fchmodat2 of a file owned by another uid, while the caller's effective uid is 0
//     (CAP_FOWNER: an entrypoint's `chmod 700 "$DATA"` after its chown to the service user);
//   - bind() of an AF_INET/AF_INET6 socket to a port from 1 to 1023. The runtime's
//     net.ipv4.ip_unprivileged_port_start cannot be known from the image; the kernel default (1024) is
//     assumed, and a user who sets the sysctl overrides with `--user`.
// Only the app's own calls count: the sandbox's setgroups/setgid/setuid before the exec are not the app's
// (the tracer drops calls of an init child that has not exec'd yet).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>
#include <whittle/trace/syscalls.hpp>

namespace whittle::trace {

// The caller's ids, from /proc/PID/status.
struct CallerIds
{
  uint32_t euid = 0;
  uint32_t egid = 0;
  uint32_t fsuid = 0;
  uint32_t fsgid = 0;
  std::vector<uint32_t> groups; // supplementary groups
  uint64_t cap_eff = 0;         // effective capabilities (1 << CAP_*)
};

// What needs_root_reason() may read from the caller: memory (false when unreadable), and the tracee path
// a (dirfd, path address) pair names (with an empty path: the descriptor itself; "" when unknown).
struct TraceeAccess
{
  std::function<bool(uint64_t addr, void* buf, size_t len)> read;
  std::function<std::string(int dirfd, uint64_t path_addr)> path;
  // The owner (uid in the caller's namespace) of the file a (dirfd, path address) pair names, as `path`;
  // nullopt when unknown (absent, special, unreadable).
  std::function<std::optional<uint32_t>(int dirfd, uint64_t path_addr)> owner;
};

// Interface.

// Parses the Uid:, Gid:, Groups: and CapEff: lines of a /proc/PID/status text. Returns nullopt if they are
// missing.
std::optional<CallerIds> parse_caller_ids(const std::string& status);

// Reads /proc/PID/status; nullopt when the process is gone.
std::optional<CallerIds> read_caller_ids(pid_t pid);

// Returns why the call `s` with `args` made by a caller with `ids` needs root ("setuid 33", "bind port 80",
// "chown /var/x to 33:33", "setgroups 33,44"), or nullopt when it does not (or is no privilege call, or its
// arguments cannot be read). Never throws.
std::optional<std::string> needs_root_reason(const SyscallInfo& s, const uint64_t args[6],
                                             const CallerIds& ids, const TraceeAccess& access);

// The capability (name without CAP_) a call that needs_root_reason() flagged uses: CHOWN for the chown
// family, FOWNER for the chmod family, SETUID for set*uid, SETGID for set*gid and setgroups,
// NET_BIND_SERVICE for bind; nullptr for any other call.
const char* capability_of(const SyscallInfo& s);

// The non-root identity a root caller (effective uid 0) switches to with this call, "uid:gid" (the
// effective uid the call sets, the caller's current effective gid: set*gid comes first in every
// privilege drop), or nullopt (no uid switch, a switch to root, or a non-root caller).
std::optional<std::string> switched_user(const SyscallInfo& s, const uint64_t args[6], const CallerIds& ids);

// The non-root group a set*gid call makes effective when its caller may change groups (effective uid 0, or
// CAP_SETGID kept across its own uid switch, as `setpriv --reuid U --regid G` does: uid first), or nullopt.
// Completes a switched_user recorded before the group changed ("100:0" then setresgid 101: "100:101").
std::optional<uint32_t> switched_group(const SyscallInfo& s, const uint64_t args[6], const CallerIds& ids);

} // namespace whittle::trace
