#pragma once
// Executing a SandboxPlan's filesystem part. Every target inside the rootfs is opened with
// openat2(RESOLVE_IN_ROOT) and mounted on through /proc/self/fd/N, so a hostile symlink in the image
// (/proc -> /, /etc/hosts -> /etc/shadow) can never place a mount outside the rootfs.
#include <sys/types.h>
#include <vector>
#include <whittle/trace/sandbox_plan.hpp>
#include <whittle/util/fd.hpp>

namespace whittle::trace {

// Interface.

// Parent side, before the sandbox starts: creates the mount targets the image lacks (/proc, /sys,
// /etc/hosts, --mount targets) inside the rootfs, owned by the sandbox's root. Throws SandboxError naming
// the target.
void prepare_mount_targets(const SandboxPlan& plan);

// How many descriptors open_mount_sources() returns for plan: the rootfs, its idmapped copy when
// plan.idmap_rootfs, then one per bind op.
size_t mount_source_count(const SandboxPlan& plan);

// Parent side, after the init was cloned: opens (O_PATH) the rootfs and every bind source through
// /proc/INIT/root, so that they name mounts of the sandbox's mount namespace and need no search
// permission of the sandbox's root on the way (whittle's work directory is private). In the order of
// mount_source_count. Throws SandboxError naming the path.
std::vector<util::Fd> open_mount_sources(const SandboxPlan& plan, pid_t init);

// Sandbox init side (after unshare of the mount namespace, in the new pid namespace): makes the mount
// tree private, mounts a nosuid,nodev copy of the rootfs over it, runs every op of plan, then pivot_root
// into it. sources are the descriptors of open_mount_sources. Allocates nothing and throws nothing.
// Returns true; on failure reports {errno, step} on sync_fd and returns false.
bool setup_root(const SandboxPlan& plan, const int* sources, int sync_fd) noexcept;

} // namespace whittle::trace
