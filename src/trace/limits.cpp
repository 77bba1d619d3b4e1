#include <whittle/trace/limits.hpp>

#include <sys/resource.h>

namespace whittle::trace {

namespace {

int
set_limit(int resource, uint64_t value) noexcept
{
  if (value == 0) {
    return 0;
  }
  rlimit r = {static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  return setrlimit(resource, &r);
}

} // namespace

int
apply_app_rlimits(const AppLimits& limits, bool cgroup_enforces) noexcept
{
  if (set_limit(RLIMIT_FSIZE, limits.disk_bytes) != 0) {
    return -1;
  }
  if (cgroup_enforces) {
    return 0;
  }
  // RLIMIT_DATA, not RLIMIT_AS: it counts private writable memory (heap, anonymous maps) and not the
  // large PROT_NONE reservations of JVMs and JITs, which RLIMIT_AS would refuse at start.
  if (set_limit(RLIMIT_DATA, limits.memory_bytes) != 0) {
    return -1;
  }
  return set_limit(RLIMIT_NPROC, limits.max_tasks);
}

} // namespace whittle::trace
