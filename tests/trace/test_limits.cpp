// The app's caps (trace/limits): size flags, the cgroup version chosen, the ResourceGuard's cgroups and
// disk watchdog, and traced apps that try to exhaust memory, tasks and disk.
#include "trace_fixture.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <optional>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <whittle/trace/limits.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using trace::AppLimits;
using trace::CgroupVersion;
using trace::ResourceGuard;

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;

std::string
usage_error_of(const std::string& value)
{
  try {
    trace::parse_size("--memory", value);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

// The cgroup version told independently of the code under test: the type of the mount at /sys/fs/cgroup.
CgroupVersion
expected_version()
{
  std::string type;
  test::run_command("stat -f -c %T /sys/fs/cgroup", &type, false);
  if (type.rfind("cgroup2", 0) == 0) {
    return CgroupVersion::v2;
  }
  return test::path_exists("/sys/fs/cgroup/memory/cgroup.procs") ||
                 test::path_exists("/sys/fs/cgroup/pids/cgroup.procs")
             ? CgroupVersion::v1
             : CgroupVersion::none;
}

std::string
trimmed(const std::string& s)
{
  size_t end = s.find_last_not_of(" \n");
  return end == std::string::npos ? "" : s.substr(0, end + 1);
}

uint64_t g_tree_bytes = 0;

int
add_blocks(const char*, const struct stat* st, int, FTW*)
{
  g_tree_bytes += static_cast<uint64_t>(st->st_blocks) * 512;
  return 0;
}

// Bytes allocated below dir (what the app wrote, independent of other writers on the filesystem).
uint64_t
tree_bytes(const std::string& dir)
{
  g_tree_bytes = 0;
  nftw(dir.c_str(), add_blocks, 16, FTW_PHYS);
  return g_tree_bytes;
}

// Cgroups named after this test process that are still there (there must be none after a run).
size_t
leftover_cgroups()
{
  size_t n = 0;
  std::string pid = std::to_string(getpid());
  for (const char* pattern :
       {"/sys/fs/cgroup/*/whittle-", "/sys/fs/cgroup/*/*/*/whittle-", "/sys/fs/cgroup/whittle-"}) {
    glob_t g;
    if (glob((pattern + pid + "-*").c_str(), 0, nullptr, &g) == 0) {
      n += g.gl_pathc;
    }
    globfree(&g);
  }
  return n;
}

// A tmpfs of its own under the rootfs, so that the watchdog sees only what the app writes (other
// processes write to /tmp too) and a failed cap cannot fill the host.
struct PrivateFs
{
  std::string path;
  explicit PrivateFs(const test::TestDir& dir) : path(dir / "rootfs")
  {
    ::mkdir(path.c_str(), 0755);
    REQUIRE(::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1g,mode=0755") == 0);
  }
  ~PrivateFs() { ::umount2(path.c_str(), MNT_DETACH); }
};

bool
root_sandbox()
{
  if (!test::have_root_sandbox()) {
    test::skip("cap tests need root, namespaces and ptrace");
    return false;
  }
  return true;
}

std::string
trace_error(const test::TestDir& dir, const std::vector<std::string>& args,
            const std::function<void(trace::TraceOptions&)>& tweak, trace::TraceOutcome* out = nullptr)
{
  try {
    auto o = test::trace_tracee(dir, args, tweak);
    if (out != nullptr) {
      *out = std::move(o);
    }
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("trace::parse_size reads sizes strictly", "[trace][limits]")
{
  CHECK(trace::parse_size("--memory", "512m") == 512 * k_mib);
  CHECK(trace::parse_size("--memory", "2g") == 2048 * k_mib);
  CHECK(trace::parse_size("--memory", "2G") == 2048 * k_mib);
  CHECK(trace::parse_size("--memory", "1024k") == k_mib);
  CHECK(trace::parse_size("--memory", "1t") == uint64_t{1} << 40);
  CHECK(trace::parse_size("--memory", "4096") == 4096);
  CHECK(trace::parse_size("--memory", "0") == 0);
  CHECK(trace::parse_size("--memory", "none") == 0);
  CHECK(trace::parse_size("--memory", "16777215t") == (uint64_t{16777215} << 40));
  for (const char* bad :
       {"", "-1", "+1", "1.5g", "1gb", "1g ", " 1g", "g", "1 g", "0x10", "1e9", "None", "2gg"}) {
    INFO("value `" << bad << "`");
    std::string err = usage_error_of(bad);
    CHECK(err.find("--memory `" + std::string(bad) + "`") != std::string::npos);
    CHECK(err.find("is not a size") != std::string::npos);
  }
  // Overflow of the digits and of the suffix.
  CHECK(usage_error_of("18446744073709551616").find("too large") != std::string::npos);
  CHECK(usage_error_of("16777216t").find("too large") != std::string::npos);
  CHECK(trace::parse_size("--disk", "18446744073709551615") == UINT64_MAX);

  CHECK(trace::parse_count("--pids", "64") == 64);
  CHECK(trace::parse_count("--pids", "none") == 0);
  CHECK_THROWS_WITH(trace::parse_count("--pids", "-5"), Catch::Contains("--pids `-5`"));
  CHECK_THROWS_WITH(trace::parse_count("--pids", "5k"), Catch::Contains("--pids `5k`"));
  CHECK_THROWS_WITH(trace::parse_count("--pids", "99999999999999999999"), Catch::Contains("too large"));

  CHECK(trace::size_flag_text(2048 * k_mib) == "2g");
  CHECK(trace::size_flag_text(64 * k_mib) == "64m");
  CHECK(trace::size_flag_text(1536 * 1024) == "1536k");
  CHECK(trace::size_flag_text(100) == "100");
  CHECK(trace::size_flag_text(0) == "none");
  CHECK(trace::human_size(uint64_t{4} << 30) == "4 GiB");
  CHECK(trace::human_size(32 * k_mib) == "32 MiB");
  CHECK(trace::human_size(1536 * k_mib) == "1.5 GiB");
}

// The search of a place for the app's cgroup v2, on paths only: this host's memory and pids controllers
// are bound to cgroup v1 (one hierarchy per controller, live cgroups in it), so a real cgroup2 mount here
// has neither (the case above), and the v2 caps themselves are tested where the host is v2.
TEST_CASE("trace::v2_parent_candidates: root cgroup as root, else a sibling of whittle's own (delegation)",
          "[trace][limits]")
{
  const std::string r = "/sys/fs/cgroup";
  using V = std::vector<std::string>;
  CHECK(trace::v2_parent_candidates(r, "/", true) == V{r});
  CHECK(trace::v2_parent_candidates(r, "", true) == V{r});
  CHECK(trace::v2_parent_candidates(r, "/system.slice/ci.service", true) == V{r, r + "/system.slice"});
  CHECK(trace::v2_parent_candidates(r, "/init.scope", true) == V{r});
  // An ordinary user under systemd: a delegated user@UID.service subtree, the user's own.
  CHECK(trace::v2_parent_candidates(r, "/user.slice/user-1000.slice/user@1000.service/app.slice/run-1.scope",
                                    false) ==
        V{r + "/user.slice/user-1000.slice/user@1000.service/app.slice"});
  // A user whose cgroup is the root (a container without delegation): nowhere, rlimits stand in.
  CHECK(trace::v2_parent_candidates(r, "/", false).empty());
  CHECK(trace::v2_parent_candidates(r, "", false).empty());
}

TEST_CASE("trace::ResourceGuard picks the cgroup version of this host, or rlimits", "[trace][limits]")
{
  CHECK(trace::detect_cgroup_version() == expected_version());
  test::TestDir dir;
  AppLimits limits;
  limits.memory_bytes = 64 * k_mib;
  limits.max_tasks = 32;

  SECTION("no cgroup filesystem: the rlimit fallback")
  {
    CHECK(trace::detect_cgroup_version(dir.path()) == CgroupVersion::none);
    ResourceGuard guard(limits, "whittle-test", dir.path(), dir.path());
    CHECK(guard.version() == CgroupVersion::none);
    CHECK_FALSE(guard.enforces());
    CHECK(guard.cgroup_dirs().empty());
    CHECK_THAT(guard.describe(), Catch::Contains("RLIMIT_DATA") && Catch::Contains("RLIMIT_NPROC"));
    CHECK_FALSE(guard.breach());
  }
  SECTION("a cgroup2 mount without the memory and pids controllers: the rlimit fallback, nothing left")
  {
    // Hybrid hosts mount an empty v2 hierarchy beside the v1 controllers.
    std::string unified = "/sys/fs/cgroup/unified";
    std::string type, controllers;
    test::run_command("stat -f -c %T " + unified + " 2>/dev/null", &type, false);
    test::run_command("cat " + unified + "/cgroup.controllers 2>/dev/null", &controllers, false);
    if (geteuid() != 0 || type.rfind("cgroup2", 0) != 0 || controllers.find("memory") != std::string::npos ||
        controllers.find("pids") != std::string::npos) {
      return; // only hybrid hosts (cgroup v1 controllers beside an empty v2 mount) have this case
    }
    CHECK(trace::detect_cgroup_version(unified) == CgroupVersion::v2);
    std::string name = "whittle-" + std::to_string(getpid()) + "-unifiedtest";
    ResourceGuard guard(limits, name, dir.path(), unified);
    CHECK(guard.version() == CgroupVersion::none);
    CHECK_FALSE(guard.enforces());
    CHECK_FALSE(test::path_exists(unified + "/" + name));
  }
  SECTION("no caps: nothing to enforce")
  {
    ResourceGuard guard(AppLimits{0, 0, 0}, "whittle-test", dir.path());
    CHECK(guard.enforces());
    CHECK(guard.cgroup_dirs().empty());
  }
  SECTION("the host's cgroups, as root")
  {
    if (geteuid() != 0 || expected_version() == CgroupVersion::none) {
      test::skip("cgroup setup needs root and a cgroup filesystem");
      return;
    }
    std::string name = "whittle-" + std::to_string(getpid()) + "-guardtest";
    std::vector<std::string> dirs;
    {
      ResourceGuard guard(limits, name, dir.path());
      CHECK(guard.version() == expected_version());
      CHECK(guard.enforces());
      dirs = guard.cgroup_dirs();
      REQUIRE_FALSE(dirs.empty());
      std::string memory_file = guard.version() == CgroupVersion::v2 ? "memory.max" : "memory.limit_in_bytes";
      bool memory_seen = false, pids_seen = false;
      for (const auto& d : dirs) {
        if (test::path_exists(d + "/" + memory_file)) {
          memory_seen = true;
          CHECK(trimmed(test::read_file(d + "/" + memory_file)) == std::to_string(64 * k_mib));
        }
        if (test::path_exists(d + "/pids.max")) {
          pids_seen = true;
          CHECK(trimmed(test::read_file(d + "/pids.max")) == "32");
        }
      }
      CHECK(memory_seen);
      CHECK(pids_seen);
      CHECK_THAT(guard.describe(),
                 Catch::Contains(guard.version() == CgroupVersion::v2 ? "cgroup v2" : "cgroup v1"));

      // A process added is in every cgroup, and kill_all ends it.
      pid_t child = fork();
      if (child == 0) {
        pause();
        _exit(0);
      }
      REQUIRE(guard.add(child));
      for (const auto& d : dirs) {
        CHECK(test::read_file(d + "/cgroup.procs").find(std::to_string(child)) != std::string::npos);
      }
      guard.kill_all();
      int status = 0;
      REQUIRE(waitpid(child, &status, 0) == child);
      CHECK(WIFSIGNALED(status));
      CHECK(WTERMSIG(status) == SIGKILL);
      CHECK_FALSE(guard.breach());
    }
    for (const auto& d : dirs) {
      CHECK_FALSE(test::path_exists(d));
    }
  }
}

TEST_CASE("trace::ResourceGuard's disk watchdog fires once the cap is passed", "[trace][limits]")
{
  test::TestDir dir;
  // The watchdog samples the whole filesystem: on the shared /tmp another process freeing space (a
  // parallel build, CI's image builds) hides the test's writes, so as root it gets a tmpfs of its own.
  std::optional<PrivateFs> own_fs;
  if (::geteuid() == 0) {
    own_fs.emplace(dir);
  }
  const std::string root = own_fs ? own_fs->path : dir.path();
  AppLimits limits{0, 8 * k_mib, 0};
  ResourceGuard guard(limits, "whittle-test", root, dir.path());
  std::atomic<int> fired{0};
  guard.watch_disk([&] { ++fired; });
  // Below the cap: nothing.
  test::write_file(root + "/small", std::string(2 * k_mib, 's'));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(fired.load() == 0);
  // Past it (fsync so every filesystem counts the blocks at once).
  int fd = ::open((root + "/big").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  std::string chunk(k_mib, 'b');
  for (int i = 0; i < 24; ++i) {
    REQUIRE(::write(fd, chunk.data(), chunk.size()) == static_cast<ssize_t>(chunk.size()));
  }
  ::fsync(fd);
  ::close(fd);
  for (int i = 0; i < 500 && fired.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  guard.stop_watch();
  CHECK(fired.load() == 1);
  REQUIRE(guard.breach());
  CHECK(*guard.breach() == "the app wrote more than 8 MiB below the rootfs (--disk 8m)");
}

TEST_CASE("caps: an app allocating 3 GiB is stopped at --memory", "[ptrace][limits]")
{
  if (!root_sandbox()) {
    return;
  }
  test::TestDir dir;
  auto cap = [](trace::TraceOptions& o) {
    o.limits.memory_bytes = 64 * k_mib;
    o.timeout = std::chrono::milliseconds(20000);
  };
  SECTION("by the host's memory cgroup: an OOM kill, and the run fails naming the cap")
  {
    if (expected_version() == CgroupVersion::none) {
      test::skip("no cgroup filesystem");
      return;
    }
    auto start = std::chrono::steady_clock::now();
    std::string err = trace_error(dir, {"alloc", "3072"}, cap);
    CHECK(err.find("the app reached the memory cap (--memory 64m)") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
  }
  SECTION("by RLIMIT_DATA where no cgroup is writable: the allocation fails")
  {
    trace::TraceOutcome out;
    std::string err = trace_error(
        dir, {"alloc", "3072"},
        [&](trace::TraceOptions& o) {
          cap(o);
          o.cgroup_root = dir / "no-cgroups";
        },
        &out);
    CHECK(err.empty());
    REQUIRE(out.profile.runs.size() == 1);
    CHECK(out.profile.runs[0].exit_code == 3);
  }
  CHECK(leftover_cgroups() == 0);
}

TEST_CASE("caps: --pids bounds the tasks of the app", "[ptrace][limits]")
{
  if (!root_sandbox()) {
    return;
  }
  test::TestDir dir;
  trace::TraceOutcome out;
  std::string err = trace_error(
      dir, {"forks", "200"}, [](trace::TraceOptions& o) { o.limits.max_tasks = 16; }, &out);
  REQUIRE(err.empty());
  REQUIRE(out.profile.runs.size() == 1);
  // The init and the app count too: fewer than 16 forks succeed, but some do.
  CHECK(out.profile.runs[0].exit_code > 0);
  CHECK(out.profile.runs[0].exit_code < 16);

  // Unbounded, the same app makes all of them.
  test::TestDir dir2;
  err = trace_error(
      dir2, {"forks", "200"}, [](trace::TraceOptions& o) { o.limits.max_tasks = 0; }, &out);
  REQUIRE(err.empty());
  CHECK(out.profile.runs[0].exit_code == 200);
  CHECK(leftover_cgroups() == 0);
}

TEST_CASE("caps: --disk stops an app filling the host's disk", "[ptrace][limits]")
{
  if (!root_sandbox()) {
    return;
  }
  test::TestDir dir;
  const uint64_t cap = 32 * k_mib;
  // What the page cache can take between two samples of the watchdog, and the kill: generous.
  const uint64_t slack = 256 * k_mib;
  auto with_cap = [&](trace::TraceOptions& o) {
    o.limits.disk_bytes = cap;
    o.timeout = std::chrono::milliseconds(30000);
  };
  trace::TraceOutcome out;
  SECTION("one 2 GiB file: RLIMIT_FSIZE ends it at the cap")
  {
    PrivateFs fs(dir);
    std::string err = trace_error(dir, {"fill", "/tmp/big", "2048"}, with_cap, &out);
    CHECK(tree_bytes(dir / "rootfs/tmp") <= cap + slack);
    if (err.empty()) {
      REQUIRE(out.profile.runs.size() == 1);
      CHECK(out.profile.runs[0].signal == SIGXFSZ);
    } else {
      CHECK(err.find("(--disk 32m)") != std::string::npos);
    }
  }
  // fallocate stops at the tracer, which refuses a reservation past the budget with ENOSPC before it is
  // made (before RLIMIT_FSIZE's SIGXFSZ too): the app sees a full disk and goes on.
  SECTION("fallocate of 2 GiB: refused with ENOSPC by the budget")
  {
    PrivateFs fs(dir);
    std::string err = trace_error(dir, {"fallocate", "/tmp/big", "2048"}, with_cap, &out);
    CHECK(err.empty());
    CHECK(tree_bytes(dir / "rootfs/tmp") <= cap);
    REQUIRE(out.profile.runs.size() == 1);
    CHECK(out.profile.runs[0].signal == 0);
    CHECK(out.profile.runs[0].exit_code == 1);
    CHECK(out.profile.runs[0].refused["fallocate(past --disk)"] == 1);
  }
  SECTION("fallocate(KEEP_SIZE) of 2 GiB: not bounded by RLIMIT_FSIZE, refused with ENOSPC by the budget")
  {
    // On a 1 GiB tmpfs of its own: were the budget not applied, the tmpfs (not the host) would refuse it,
    // with no `fallocate(past --disk)` counted.
    PrivateFs fs(dir);
    std::string err = trace_error(dir, {"fallocate-keep", "/tmp/big", "2048"}, with_cap, &out);
    CHECK(err.empty());
    REQUIRE(out.profile.runs.size() == 1);
    CHECK(out.profile.runs[0].signal == 0);
    CHECK(out.profile.runs[0].exit_code == 1);
    CHECK(out.profile.runs[0].refused["fallocate(past --disk)"] == 1);
  }
  SECTION("fallocate(KEEP_SIZE) within the budget runs")
  {
    PrivateFs fs(dir);
    std::string err = trace_error(dir, {"fallocate-keep", "/tmp/big", "8"}, with_cap, &out);
    CHECK(err.empty());
    REQUIRE(out.profile.runs.size() == 1);
    CHECK(out.profile.runs[0].exit_code == 0);
    CHECK(out.profile.runs[0].refused.count("fallocate(past --disk)") == 0);
  }
  SECTION("many files of 1 MiB: the watchdog kills the app and the run fails naming --disk")
  {
    PrivateFs fs(dir);
    auto start = std::chrono::steady_clock::now();
    std::string err = trace_error(dir, {"many-files", "/tmp", "2048", "1024"}, with_cap, &out);
    CHECK(err == "the app wrote more than 32 MiB below the rootfs (--disk 32m)");
    CHECK(tree_bytes(dir / "rootfs/tmp") <= cap + slack);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  }
  SECTION("many small files: the watchdog counts them together")
  {
    PrivateFs fs(dir);
    std::string err = trace_error(dir, {"many-files", "/tmp", "20000", "16"}, with_cap, &out);
    CHECK(err == "the app wrote more than 32 MiB below the rootfs (--disk 32m)");
    CHECK(tree_bytes(dir / "rootfs/tmp") <= cap + slack);
  }
  SECTION("under the cap the run succeeds")
  {
    PrivateFs fs(dir);
    std::string err = trace_error(dir, {"many-files", "/tmp", "8", "1024"}, with_cap, &out);
    CHECK(err.empty());
    REQUIRE(out.profile.runs.size() == 1);
    CHECK(out.profile.runs[0].exit_code == 0);
  }
  CHECK(leftover_cgroups() == 0);
}
