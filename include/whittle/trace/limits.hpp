#pragma once
// What the app may use of the host: memory, tasks and disk. The caps are plain data in the SandboxPlan;
// the app child applies the rlimit part just before exec (apply_app_rlimits), and the session holds the
// cgroup and the disk watchdog around the run (ResourceGuard, trace/limits.cpp).
#include <cstdint>

namespace whittle::trace {

struct AppLimits
{
  uint64_t memory_bytes = uint64_t{2} << 30; // 0 = no cap
  uint64_t disk_bytes = uint64_t{4} << 30;   // bytes the app may add below the rootfs; 0 = no cap
  uint64_t max_tasks = 1024;                 // processes and threads; 0 = no cap
};

// Interface.

// Child side, after fork and before exec: sets the rlimits that back the caps where no cgroup does
// (RLIMIT_FSIZE = disk_bytes always; RLIMIT_DATA and RLIMIT_NPROC when `cgroup_enforces` is false).
// Allocates nothing. Returns 0, or -1 with errno set.
int apply_app_rlimits(const AppLimits& limits, bool cgroup_enforces) noexcept;

} // namespace whittle::trace
