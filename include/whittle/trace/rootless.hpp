#pragma once
// Rootless mode, podman-style: an unprivileged whittle first enters a user namespace of its own where it
// is root, so that extraction can set owners, cleanup can remove them, and the sandbox can nest its own
// user namespace inside. Ids: whittle's uid becomes 0 and, when /etc/subuid and /etc/subgid give the user
// a subordinate range and newuidmap/newgidmap (package uidmap) are installed, that range becomes ids
// 1..count (`0 UID 1 1 START COUNT`); otherwise only the single id 0 is mapped (single-id mode, see
// trace/idmap for its limits).
#include <optional>
#include <string>
#include <sys/types.h>

namespace whittle::trace {

enum class RootlessMode
{
  none,        // whittle was root already: nothing entered
  subordinate, // a subordinate range through newuidmap/newgidmap
  single_id,   // the user's own id only
};

// One "name:start:count" or "uid:start:count" entry of /etc/subuid or /etc/subgid.
struct SubordinateRange
{
  uint32_t start = 0;
  uint32_t count = 0;
};

// Interface.

// The first range of the file's text for the user (by name or by uid); nullopt when none. Pure.
std::optional<SubordinateRange> find_subordinate_range(const std::string& text, const std::string& user,
                                                       uid_t uid);

// When the effective uid is not 0: enters a new user namespace as described above. Must be called while
// the process is single-threaded (before any thread starts). Returns the mode entered (none when already
// root; a second call returns the first call's mode and does nothing). Throws SandboxError naming the cause
// and the sysctl to check when user namespaces are unavailable.
RootlessMode enter_rootless();

// The mode entered by enter_rootless() in this process (none when it was not called or whittle is root).
RootlessMode rootless_mode();

// A sentence for SandboxError messages: why creating a user namespace may have failed (the sysctls
// user.max_user_namespaces, kernel.unprivileged_userns_clone and, on Ubuntu, AppArmor's
// kernel.apparmor_restrict_unprivileged_userns), bubblewrap-style.
std::string userns_hint(int err);

} // namespace whittle::trace
