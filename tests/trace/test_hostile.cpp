// Hostile apps: each is ended by whittle's limits, and the host is untouched (a canary file outside the
// rootfs keeps its content).
#include "trace_fixture.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <glob.h>
#include <sys/stat.h>
#include <whittle/trace/profile.hpp>

using namespace whittle;

namespace {

bool
sandbox_available()
{
  if (!test::have_root_sandbox()) {
    test::skip("hostile-app tests need root, namespaces and ptrace");
    return false;
  }
  return true;
}

struct Canary
{
  std::string path;
  explicit Canary(const test::TestDir& dir) : path(dir / "canary") { test::write_file(path, "untouched\n"); }
  bool intact() const { return test::read_file(path) == "untouched\n"; }
};

} // namespace

TEST_CASE("hostile: an app that never exits is ended by the timeout", "[ptrace][hostile]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  auto start = std::chrono::steady_clock::now();
  auto out = test::trace_tracee(dir, {"spin"},
                                [](trace::TraceOptions& o) { o.timeout = std::chrono::milliseconds(800); });
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(out.timed_out);
  CHECK(out.profile.runs.at(0).signal == SIGTERM);
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("hostile: an app that ignores SIGTERM is killed after the grace period", "[ptrace][hostile]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  auto start = std::chrono::steady_clock::now();
  auto out = test::trace_tracee(dir, {"ignore-term"}, [](trace::TraceOptions& o) {
    o.timeout = std::chrono::milliseconds(500);
    o.grace = std::chrono::milliseconds(700);
  });
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(out.timed_out);
  CHECK(out.profile.runs.at(0).signal == SIGKILL);
  CHECK(took >= std::chrono::milliseconds(1100));
  CHECK(took < std::chrono::seconds(6));
}

TEST_CASE("hostile: a fork bomb is bounded and ended", "[ptrace][hostile]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  Canary canary(dir);
  auto out = test::trace_tracee(dir, {"forkbomb"}, [](trace::TraceOptions& o) {
    o.timeout = std::chrono::milliseconds(2000);
    o.grace = std::chrono::milliseconds(500);
    o.limits.max_tasks = 64;
  });
  CHECK(out.timed_out);
  CHECK(canary.intact());
  // Nothing of the sandbox survives: the pids cgroup could be removed, so it held no process.
  glob_t left;
  CHECK(glob(("/sys/fs/cgroup/pids/whittle-" + std::to_string(getpid()) + "-*").c_str(), 0, nullptr, &left) ==
        GLOB_NOMATCH);
  globfree(&left);
}

TEST_CASE("hostile: host paths stay out of reach", "[ptrace][hostile]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  Canary canary(dir);
  SECTION("absolute host path")
  {
    auto out = test::trace_tracee(dir, {"write", canary.path, "pwned"});
    CHECK(out.profile.runs.at(0).exit_code == 1);
  }
  SECTION("/../.. climbing")
  {
    auto out = test::trace_tracee(dir, {"write", "/../../.." + canary.path, "pwned"});
    CHECK(out.profile.runs.at(0).exit_code == 1);
  }
  SECTION("/proc/1/root")
  {
    auto out = test::trace_tracee(dir, {"write", "/proc/1/root" + canary.path, "pwned"});
    CHECK(out.profile.runs.at(0).exit_code == 1);
    CHECK(out.profile.special.count("/proc/1/root" + canary.path) == 1);
  }
  SECTION("/proc/self/exe overwrite")
  {
    std::string before = test::read_file(WHITTLE_TRACEE);
    auto out = test::trace_tracee(dir, {"write", "/proc/self/exe", "pwned"});
    CHECK(out.profile.runs.at(0).exit_code == 1); // ETXTBSY
    CHECK(test::read_file(WHITTLE_TRACEE) == before);
  }
  CHECK(canary.intact());
}

TEST_CASE("hostile: ptrace and mount are refused", "[ptrace][hostile]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("ptrace")
  {
    auto out = test::trace_tracee(dir, {"ptrace"});
    CHECK(out.profile.runs.at(0).exit_code == 1);
  }
  SECTION("mount")
  {
    auto out = test::trace_tracee(dir, {"mount"});
    CHECK(out.profile.runs.at(0).exit_code == 1);
  }
}
