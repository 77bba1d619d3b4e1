#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <linux/falloc.h>
#include <linux/magic.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <whittle/trace/limits.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/number.hpp>

namespace whittle::trace {

namespace {

constexpr auto k_watch_period = std::chrono::milliseconds(25);
// Free space the watchdog keeps on the rootfs's filesystem (at most half of what was free at the start,
// so a nearly full disk still lets the app write something).
constexpr uint64_t k_free_floor = uint64_t{256} << 20;

int
set_limit(int resource, uint64_t value) noexcept
{
  if (value == 0) {
    return 0;
  }
  rlimit r = {static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  return setrlimit(resource, &r);
}

bool
exists(const std::string& path)
{
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool
write_small(const std::string& path, const std::string& text)
{
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

std::string
read_small(const std::string& path)
{
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of "key N" in a flat-keyed cgroup file (memory.events, memory.oom_control, pids.events).
std::optional<uint64_t>
keyed_value(const std::string& path, const std::string& key)
{
  std::istringstream in(read_small(path));
  std::string k;
  uint64_t v = 0;
  while (in >> k >> v) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

// whittle's own cgroup path for a v1 controller, or for v2 when controller is "" (from /proc/self/cgroup).
std::optional<std::string>
own_cgroup(const std::string& controller)
{
  std::istringstream in(read_small("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) {
      continue;
    }
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controller.empty() ? line.compare(0, a, "0") == 0 && controllers.empty()
                           : ("," + controllers + ",").find("," + controller + ",") != std::string::npos) {
      return path;
    }
  }
  return std::nullopt;
}

std::string
parent_of(const std::string& path)
{
  size_t slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Parent directories to try, in order, for a cgroup of one hierarchy mounted at `mount`: whittle's own
// cgroup and the root (v1, where a cgroup may hold both processes and children).
std::vector<std::string>
v1_parents(const std::string& mount, const std::string& controller)
{
  std::vector<std::string> out;
  auto own = own_cgroup(controller);
  if (own && *own != "/") {
    out.push_back(mount + *own);
  }
  out.push_back(mount);
  return out;
}

void
kill_procs(const std::string& dir) noexcept
{
  try {
    for (int round = 0; round < 5; ++round) {
      std::istringstream in(read_small(dir + "/cgroup.procs"));
      pid_t pid = 0;
      bool any = false;
      while (in >> pid) {
        ::kill(pid, SIGKILL);
        any = true;
      }
      if (!any) {
        return;
      }
    }
  } catch (...) {
  }
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

uint64_t
parse_size(const std::string& flag, const std::string& value)
{
  if (value == "none") {
    return 0;
  }
  if (auto n = util::parse_size(value)) {
    return *n;
  }
  // util::parse_size refuses zero (here: no cap, as "none") and overflow (a message of its own).
  std::string digits = value.substr(0, value.find_first_not_of("0123456789"));
  if (!digits.empty() && util::parse_size("1" + value.substr(digits.size()))) {
    if (digits.find_first_not_of('0') == std::string::npos) {
      return 0;
    }
    throw UsageError(flag + " `" + value + "` is too large");
  }
  throw UsageError(flag + " `" + value +
                   "` is not a size: digits with an optional k, m, g or t suffix (512m, 2g), or none");
}

uint64_t
parse_count(const std::string& flag, const std::string& value)
{
  if (value == "none") {
    return 0;
  }
  if (auto n = util::parse_uint(value)) {
    return *n;
  }
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
    throw UsageError(flag + " `" + value + "` is too large");
  }
  throw UsageError(flag + " `" + value + "` is not a number (or none)");
}

std::string
size_flag_text(uint64_t bytes)
{
  if (bytes == 0) {
    return "none";
  }
  static const std::pair<unsigned, char> k_units[] = {{40, 't'}, {30, 'g'}, {20, 'm'}, {10, 'k'}};
  for (const auto& [shift, unit] : k_units) {
    if (bytes % (uint64_t{1} << shift) == 0) {
      return std::to_string(bytes >> shift) + unit;
    }
  }
  return std::to_string(bytes);
}

std::string
human_size(uint64_t bytes)
{
  static const std::pair<unsigned, const char*> k_units[] = {
      {40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  for (const auto& [shift, unit] : k_units) {
    uint64_t one = uint64_t{1} << shift;
    if (bytes >= one) {
      if (bytes % one == 0) {
        return std::to_string(bytes >> shift) + " " + unit;
      }
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.1f %s", static_cast<double>(bytes) / static_cast<double>(one), unit);
      return buf;
    }
  }
  return std::to_string(bytes) + " bytes";
}

CgroupVersion
detect_cgroup_version(const std::string& root)
{
  struct statfs fs;
  if (::statfs(root.c_str(), &fs) != 0) {
    return CgroupVersion::none;
  }
  if (fs.f_type == CGROUP2_SUPER_MAGIC) {
    return CgroupVersion::v2;
  }
  if (exists(root + "/memory/cgroup.procs") || exists(root + "/pids/cgroup.procs")) {
    return CgroupVersion::v1;
  }
  return CgroupVersion::none;
}

ResourceGuard::ResourceGuard(const AppLimits& limits, const std::string& name, std::string rootfs,
                             const std::string& cgroup_root)
    : m_limits(limits), m_name(name), m_rootfs(std::move(rootfs))
{
  m_memory_by_cgroup = limits.memory_bytes == 0;
  m_tasks_by_cgroup = limits.max_tasks == 0;
  if (limits.memory_bytes == 0 && limits.max_tasks == 0) {
    return;
  }
  try {
    switch (detect_cgroup_version(cgroup_root)) {
    case CgroupVersion::v2:
      if (setup_v2(cgroup_root)) {
        m_version = CgroupVersion::v2;
      }
      break;
    case CgroupVersion::v1:
      if (setup_v1(cgroup_root)) {
        m_version = CgroupVersion::v1;
      }
      break;
    case CgroupVersion::none:
      break;
    }
  } catch (const std::exception&) {
    // Reading /proc or a cgroup file failed oddly: the rlimit fallback still holds.
  }
}

std::vector<std::string>
v2_parent_candidates(const std::string& root, const std::string& own, bool is_root)
{
  // As root, below the root cgroup (the only one that may hold processes and enable controllers for its
  // children at once); else next to whittle's own cgroup, which in a delegated subtree (user@UID.service)
  // belongs to the user. whittle's own cgroup itself cannot take children with controllers while whittle
  // is in it ("no internal processes").
  std::vector<std::string> parents;
  if (is_root) {
    parents.push_back(root);
  }
  if (!own.empty() && own != "/") {
    std::string up = parent_of(own);
    std::string parent = up == "/" ? root : root + up;
    if (parents.empty() || parents[0] != parent) {
      parents.push_back(parent);
    }
  }
  return parents;
}

bool
ResourceGuard::setup_v2(const std::string& root)
{
  auto own = own_cgroup("");
  std::vector<std::string> parents = v2_parent_candidates(root, own ? *own : "", ::geteuid() == 0);
  bool want_memory = m_limits.memory_bytes != 0;
  bool want_pids = m_limits.max_tasks != 0;
  for (const auto& parent : parents) {
    std::string enabled = " " + read_small(parent + "/cgroup.subtree_control");
    if (want_memory && enabled.find(" memory") == std::string::npos) {
      write_small(parent + "/cgroup.subtree_control", "+memory");
    }
    if (want_pids && enabled.find(" pids") == std::string::npos) {
      write_small(parent + "/cgroup.subtree_control", "+pids");
    }
    std::string dir = parent + "/" + m_name;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      continue;
    }
    bool memory = want_memory && write_small(dir + "/memory.max", std::to_string(m_limits.memory_bytes));
    if (memory && exists(dir + "/memory.swap.max")) {
      write_small(dir + "/memory.swap.max", "0");
    }
    bool pids = want_pids && write_small(dir + "/pids.max", std::to_string(m_limits.max_tasks));
    if (!memory && !pids) {
      ::rmdir(dir.c_str());
      continue;
    }
    m_dirs.push_back(dir);
    if (memory) {
      m_memory_dir = dir;
      m_memory_by_cgroup = true;
    }
    if (pids) {
      m_pids_dir = dir;
      m_tasks_by_cgroup = true;
    }
    return true;
  }
  return false;
}

bool
ResourceGuard::setup_v1(const std::string& root)
{
  if (m_limits.memory_bytes != 0 && exists(root + "/memory/cgroup.procs")) {
    for (const auto& parent : v1_parents(root + "/memory", "memory")) {
      std::string dir = parent + "/" + m_name;
      if (::mkdir(dir.c_str(), 0755) != 0) {
        continue;
      }
      std::string value = std::to_string(m_limits.memory_bytes);
      if (!write_small(dir + "/memory.limit_in_bytes", value)) {
        ::rmdir(dir.c_str());
        continue;
      }
      // memory+swap: without it the app could page out to swap past the cap (needs swapaccount=1).
      if (exists(dir + "/memory.memsw.limit_in_bytes")) {
        write_small(dir + "/memory.memsw.limit_in_bytes", value);
      }
      m_dirs.push_back(dir);
      m_memory_dir = dir;
      m_memory_by_cgroup = true;
      break;
    }
  }
  if (m_limits.max_tasks != 0 && exists(root + "/pids/cgroup.procs")) {
    for (const auto& parent : v1_parents(root + "/pids", "pids")) {
      std::string dir = parent + "/" + m_name;
      if (::mkdir(dir.c_str(), 0755) != 0) {
        continue;
      }
      if (!write_small(dir + "/pids.max", std::to_string(m_limits.max_tasks))) {
        ::rmdir(dir.c_str());
        continue;
      }
      m_dirs.push_back(dir);
      m_pids_dir = dir;
      m_tasks_by_cgroup = true;
      break;
    }
  }
  return !m_dirs.empty();
}

ResourceGuard::~ResourceGuard()
{
  stop_watch();
  for (auto it = m_dirs.rbegin(); it != m_dirs.rend(); ++it) {
    // A cgroup can only be removed once empty; killed tasks take a moment to leave.
    for (int i = 0; i < 100; ++i) {
      if (::rmdir(it->c_str()) == 0 || errno == ENOENT) {
        break;
      }
      kill_all();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

std::string
ResourceGuard::describe() const
{
  std::string memory =
      m_limits.memory_bytes == 0 ? "no memory cap"
      : m_memory_by_cgroup
          ? "memory cap " + size_flag_text(m_limits.memory_bytes) + " by " + m_memory_dir
          : "memory cap " + size_flag_text(m_limits.memory_bytes) + " by RLIMIT_DATA (per process)";
  std::string tasks = m_limits.max_tasks == 0 ? "no task cap"
                      : m_tasks_by_cgroup
                          ? "task cap " + std::to_string(m_limits.max_tasks) + " by " + m_pids_dir
                          : "task cap " + std::to_string(m_limits.max_tasks) + " by RLIMIT_NPROC (per user)";
  std::string disk = m_limits.disk_bytes == 0 ? "no disk cap"
                                              : "disk cap " + size_flag_text(m_limits.disk_bytes) +
                                                    " by RLIMIT_FSIZE and a watchdog";
  const char* version = m_version == CgroupVersion::v2   ? "cgroup v2"
                        : m_version == CgroupVersion::v1 ? "cgroup v1"
                                                         : "no cgroup (rlimits only)";
  return std::string("resource caps: ") + version + "; " + memory + "; " + tasks + "; " + disk;
}

bool
ResourceGuard::add(pid_t pid)
{
  bool ok = true;
  for (const auto& dir : m_dirs) {
    ok = write_small(dir + "/cgroup.procs", std::to_string(pid)) && ok;
  }
  return ok;
}

void
ResourceGuard::kill_all() noexcept
{
  for (const auto& dir : m_dirs) {
    if (m_version == CgroupVersion::v2 && write_small(dir + "/cgroup.kill", "1")) {
      continue;
    }
    kill_procs(dir);
  }
}

void
ResourceGuard::watch_disk(std::function<void()> on_breach)
{
  if (m_limits.disk_bytes == 0 || m_watch.joinable()) {
    return;
  }
  struct statvfs fs;
  if (::statvfs(m_rootfs.c_str(), &fs) != 0) {
    return;
  }
  uint64_t used0 = (fs.f_blocks - fs.f_bfree) * fs.f_frsize;
  uint64_t avail0 = fs.f_bavail * fs.f_frsize;
  uint64_t floor = std::min(k_free_floor, avail0 / 2);
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = false;
  }
  m_used0.store(used0);
  m_floor.store(floor);
  m_budget_known.store(true, std::memory_order_release);
  m_watch = std::thread([this, used0, floor, cb = std::move(on_breach)] {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(m_mutex);
        if (m_cv.wait_for(lock, k_watch_period, [this] { return m_stop; })) {
          return;
        }
      }
      struct statvfs now;
      if (::statvfs(m_rootfs.c_str(), &now) != 0) {
        continue;
      }
      uint64_t used = (now.f_blocks - now.f_bfree) * now.f_frsize;
      uint64_t avail = now.f_bavail * now.f_frsize;
      uint64_t added = used > used0 ? used - used0 : 0;
      std::string flag = "(--disk " + size_flag_text(m_limits.disk_bytes) + ")";
      if (added > m_limits.disk_bytes) {
        m_disk_message =
            "the app wrote more than " + human_size(m_limits.disk_bytes) + " below the rootfs " + flag;
      } else if (avail < floor && added > 0) {
        m_disk_message = "the app filled the filesystem of the rootfs `" + m_rootfs + "` to under " +
                         human_size(floor) + " free after writing " + human_size(added) + " " + flag;
      } else {
        continue;
      }
      m_disk_breached.store(true, std::memory_order_release);
      cb();
      return;
    }
  });
}

int
ResourceGuard::allocation_error(uint64_t mode, uint64_t len) const
{
  if (!m_budget_known.load(std::memory_order_acquire) ||
      (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE)) != 0) {
    return 0;
  }
  struct statvfs now;
  if (::statvfs(m_rootfs.c_str(), &now) != 0) {
    return 0; // the watchdog cannot sample either; it ends the run if the filesystem comes back full
  }
  uint64_t used = (now.f_blocks - now.f_bfree) * now.f_frsize;
  uint64_t avail = now.f_bavail * now.f_frsize;
  uint64_t used0 = m_used0.load();
  uint64_t added = used > used0 ? used - used0 : 0;
  uint64_t budget = added < m_limits.disk_bytes ? m_limits.disk_bytes - added : 0;
  uint64_t floor = m_floor.load();
  uint64_t room = avail > floor ? avail - floor : 0;
  return len > std::min(budget, room) ? ENOSPC : 0;
}

void
ResourceGuard::stop_watch()
{
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_cv.notify_all();
  if (m_watch.joinable()) {
    m_watch.join();
  }
}

uint64_t
ResourceGuard::oom_kills() const
{
  if (m_memory_dir.empty()) {
    return 0;
  }
  if (m_version == CgroupVersion::v2) {
    return keyed_value(m_memory_dir + "/memory.events", "oom_kill").value_or(0);
  }
  if (auto n = keyed_value(m_memory_dir + "/memory.oom_control", "oom_kill")) {
    return *n;
  }
  // Kernels before 4.13 have no oom_kill count: whether the cap was ever hit stands in.
  std::string failcnt = read_small(m_memory_dir + "/memory.failcnt");
  return !failcnt.empty() && failcnt != "0\n" ? 1 : 0;
}

std::optional<std::string>
ResourceGuard::breach() const
{
  if (m_disk_breached.load(std::memory_order_acquire)) {
    return m_disk_message;
  }
  if (uint64_t n = oom_kills(); n > 0) {
    return "the app reached the memory cap (--memory " + size_flag_text(m_limits.memory_bytes) +
           "): the kernel killed " + std::to_string(n) + " of its processes";
  }
  return std::nullopt;
}

std::optional<std::string>
ResourceGuard::tasks_note() const
{
  if (m_pids_dir.empty()) {
    return std::nullopt;
  }
  uint64_t refused = keyed_value(m_pids_dir + "/pids.events", "max").value_or(0);
  if (refused == 0) {
    return std::nullopt;
  }
  return "the app reached the task cap (--pids " + std::to_string(m_limits.max_tasks) +
         "): " + std::to_string(refused) + " fork(s) refused";
}

} // namespace whittle::trace
