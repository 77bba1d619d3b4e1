#pragma once
// Executing a SandboxPlan's filesystem part. Every target inside the rootfs is opened with
// openat2(RESOLVE_IN_ROOT) and mounted on through /proc/self/fd/N, so a hostile symlink in the image
// (/proc -> /, /etc/hosts -> /etc/shadow) can never place a mount outside the rootfs.
#include <whittle/trace/sandbox_plan.hpp>

namespace whittle::trace {

// Interface.

// Parent side, before the sandbox starts: creates the mount targets the image lacks (/proc, /sys,
// /etc/hosts, --mount targets) inside the rootfs. Throws SandboxError naming the target.
void prepare_mount_targets(const SandboxPlan& plan);

// Sandbox init side (after unshare of the mount namespace, in the new pid namespace): makes the mount
// tree private, binds the rootfs onto itself, runs every op of plan, then pivot_root into it. Allocates
// nothing and throws nothing. Returns true; on failure reports {errno, step} on sync_fd and returns false.
bool setup_root(const SandboxPlan& plan, int sync_fd) noexcept;

} // namespace whittle::trace
