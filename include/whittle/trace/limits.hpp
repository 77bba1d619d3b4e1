#pragma once
// What the app may use of the host: memory, tasks and disk. The caps are plain data in the SandboxPlan;
// the app child applies the rlimit part just before exec (apply_app_rlimits), and the session holds a
// ResourceGuard around the run: the cgroup(s) that enforce the memory and task caps, and the disk watchdog.
//
// Where the caps are enforced, best first:
//  - cgroup v2, when /sys/fs/cgroup is a cgroup2 mount and a writable place exists: as root a child of the
//    root cgroup; otherwise a sibling of whittle's own cgroup (a delegated subtree, e.g. below
//    user@UID.service, where the parent is the user's). memory.max, memory.swap.max = 0, pids.max.
//  - cgroup v1 (hybrid hosts): a child of whittle's own cgroup (else of the root) in the "memory" and
//    "pids" hierarchies: memory.limit_in_bytes, memory.memsw.limit_in_bytes (when swap accounting is on),
//    pids.max.
//  - rlimits only (rootless without delegation): RLIMIT_DATA for memory (private writable memory per
//    process, so several processes can together use more), RLIMIT_NPROC for tasks (counted per user).
// Disk: RLIMIT_FSIZE bounds one file, and a watchdog thread samples the used bytes of the filesystem that
// holds the rootfs every 25 ms: once the app has added more than the cap (or free space falls under a
// floor) it kills the sandbox. Between two samples the app can write what the page cache takes in 25 ms.
// fallocate reserves any size at once (with FALLOC_FL_KEEP_SIZE past RLIMIT_FSIZE too, and over many
// files), so the traced app's fallocate calls stop at the tracer, which refuses with ENOSPC one that would
// go past the remaining budget (allocation_error); the untraced baseline keeps only the watchdog.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace whittle::trace {

struct AppLimits
{
  uint64_t memory_bytes = uint64_t{2} << 30; // 0 = no cap
  uint64_t disk_bytes = uint64_t{4} << 30;   // bytes the app may add below the rootfs; 0 = no cap
  uint64_t max_tasks = 1024;                 // processes and threads; 0 = no cap
};

enum class CgroupVersion
{
  none,
  v1,
  v2
};

// Interface.

// Child side, after fork and before exec: sets the rlimits that back the caps where no cgroup does
// (RLIMIT_FSIZE = disk_bytes always; RLIMIT_DATA and RLIMIT_NPROC when `cgroup_enforces` is false).
// Allocates nothing. Returns 0, or -1 with errno set.
int apply_app_rlimits(const AppLimits& limits, bool cgroup_enforces) noexcept;

// Parses a size flag value: util::parse_size (digits with an optional k, m, g or t suffix, either case,
// or KiB.. TiB; powers of 1024), or "none"; "0" and "none" mean no cap (0). No sign, no spaces, no
// fractions. Throws UsageError naming `flag` and the value (also on overflow).
uint64_t parse_size(const std::string& flag, const std::string& value);

// Parses a count flag value (digits, or "none" = 0). Throws UsageError naming `flag` and the value.
uint64_t parse_count(const std::string& flag, const std::string& value);

// The shortest flag spelling of bytes: "2g", "64m", "1536k", "100"; "none" for 0.
std::string size_flag_text(uint64_t bytes);

// "4 GiB", "32 MiB", "1.5 GiB", "100 bytes": for messages.
std::string human_size(uint64_t bytes);

// The cgroup version /sys/fs/cgroup (or `root`) offers: v2 for a cgroup2 mount, v1 when per-controller
// hierarchies are mounted below it (a memory or pids directory holding cgroup.procs), else none.
CgroupVersion detect_cgroup_version(const std::string& root = "/sys/fs/cgroup");

// Where a cgroup v2 for the app may be made, best first (pure, for tests): `root` where cgroup2 is
// mounted, `own` whittle's own cgroup ("0::PATH" of /proc/self/cgroup, "" when absent). As root, the root
// cgroup; then the parent of whittle's own cgroup (a sibling of it: in a delegated subtree such as
// user@UID.service, the user's to write). Empty (rlimits only) for a user whose cgroup is the root.
std::vector<std::string> v2_parent_candidates(const std::string& root, const std::string& own, bool is_root);

// The app's caps around one run. Contract: construct before the sandbox starts (its choice of mechanism
// goes into SandboxPlan::limits_by_cgroup), add() the sandbox init before it forks anything, watch_disk()
// once the app is about to start, stop_watch() before whatever the callback touches is destroyed. The
// destructor stops the watchdog, kills every task left in the cgroups and removes them. Never throws
// after construction; the constructor throws nothing either (a cgroup it cannot set up is skipped).
class ResourceGuard
{
public:
  // `name` names the cgroups (e.g. "whittle-PID-N"); `rootfs` is the directory whose filesystem the disk
  // watchdog samples; `cgroup_root` is where the cgroup filesystems are mounted.
  ResourceGuard(const AppLimits& limits, const std::string& name, std::string rootfs,
                const std::string& cgroup_root = "/sys/fs/cgroup");
  ResourceGuard(const ResourceGuard&) = delete;
  ResourceGuard& operator=(const ResourceGuard&) = delete;
  ~ResourceGuard();

  CgroupVersion version() const { return m_version; }
  // Whether a cgroup enforces the memory cap, and the task cap (a cap of 0 counts as enforced).
  bool memory_by_cgroup() const { return m_memory_by_cgroup; }
  bool tasks_by_cgroup() const { return m_tasks_by_cgroup; }
  // Both: the app child then needs no RLIMIT_DATA / RLIMIT_NPROC (SandboxPlan::limits_by_cgroup).
  bool enforces() const { return m_memory_by_cgroup && m_tasks_by_cgroup; }
  // One line for --verbose: which mechanism holds each cap, and the cgroup paths.
  std::string describe() const;
  // The cgroup directories made (for tests and --debug).
  const std::vector<std::string>& cgroup_dirs() const { return m_dirs; }

  // Moves pid into every cgroup (its later children follow). Returns false when a move failed (the caps
  // of that cgroup then do not hold; the caller warns).
  bool add(pid_t pid);
  // Starts the disk watchdog: on a breach it calls on_breach once (from its own thread), which should
  // kill the sandbox. Does nothing when the disk cap is 0 or the filesystem cannot be sampled.
  void watch_disk(std::function<void()> on_breach);
  // Stops and joins the watchdog. Idempotent.
  void stop_watch();
  // SIGKILLs every task in the cgroups (cgroup.kill on v2 when present), a few rounds for racing forks.
  void kill_all() noexcept;
  // For the tracer, at a stopped fallocate(fd, mode, offset, len): ENOSPC when reserving len bytes would
  // take what the app added below the rootfs (sampled now) past the disk cap, or the filesystem under the
  // watchdog's free-space floor; else 0. Also 0 before watch_disk() ran, without a cap, and for modes that
  // free space (punch hole, collapse range). len may overcount (a range already allocated): a refusal
  // then comes a little early, never late. Thread-safe.
  int allocation_error(uint64_t mode, uint64_t len) const;

  // After the run: why it must fail, or nullopt. The disk breach ("the app wrote more than 4 GiB below the
  // rootfs (--disk 4g)"), else an OOM kill in the memory cgroup ("the app reached the memory cap
  // (--memory 2g): the kernel killed N process(es) of it").
  std::optional<std::string> breach() const;
  // After the run: a warning when the task cap refused forks, else nullopt.
  std::optional<std::string> tasks_note() const;

private:
  bool setup_v2(const std::string& root);
  bool setup_v1(const std::string& root);
  void watch_loop(std::function<void()> on_breach);
  uint64_t oom_kills() const;

  AppLimits m_limits;
  std::string m_name;
  std::string m_rootfs;
  CgroupVersion m_version = CgroupVersion::none;
  bool m_memory_by_cgroup = false;
  bool m_tasks_by_cgroup = false;
  std::vector<std::string> m_dirs; // cgroups made (v2: one; v1: memory and/or pids)
  std::string m_memory_dir;        // the one holding the memory files, or ""
  std::string m_pids_dir;          // the one holding pids.*, or ""

  std::thread m_watch;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stop = false;
  std::atomic<bool> m_disk_breached{false};
  std::atomic<bool> m_budget_known{false}; // m_used0 and m_floor hold the watchdog's start
  std::atomic<uint64_t> m_used0{0};        // used bytes of the rootfs's filesystem when the app started
  std::atomic<uint64_t> m_floor{0};        // free bytes the watchdog keeps
  std::string m_disk_message;
};

} // namespace whittle::trace
