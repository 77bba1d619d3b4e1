// whittle killed with SIGKILL at random points of `convert` and `slim`: the destination is either absent or
// complete and valid, no process or mount of the run is left, and the next run removes the stale work and
// temp entries the killed one left (once they are old enough: their mtime is moved back here).
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace whittle;

namespace {

// Starts whittle with args (no shell), stdout/stderr to files under dir; returns the pid.
pid_t
spawn(const std::string& dir, const std::vector<std::string>& args)
{
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int out = ::open((dir + "/spawn.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open((dir + "/spawn.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(WHITTLE_BINARY)};
    for (const auto& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    ::setenv("TMPDIR", (dir + "/tmp").c_str(), 1);
    ::execv(WHITTLE_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}

// Runs to the end; returns the exit status and the duration in milliseconds.
int
run_to_end(const std::string& dir, const std::vector<std::string>& args, long* ms)
{
  auto start = std::chrono::steady_clock::now();
  pid_t pid = spawn(dir, args);
  int status = 0;
  ::waitpid(pid, &status, 0);
  *ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Kills after delay_ms; returns true if the process was still running when killed.
bool
run_and_kill(const std::string& dir, const std::vector<std::string>& args, long delay_ms)
{
  pid_t pid = spawn(dir, args);
  ::usleep(static_cast<useconds_t>(delay_ms * 1000));
  int status = 0;
  bool killed = ::waitpid(pid, &status, WNOHANG) == 0;
  if (killed) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  return killed;
}

std::string
sh(const std::string& cmd)
{
  std::string out;
  test::run_command(cmd, &out, false);
  return out;
}

// Layers of incompressible-ish data, so that encoding takes a while.
test::FixtureImage
big_image(const std::string& app)
{
  std::mt19937 rng(42);
  test::FixtureImage fx;
  fx.entrypoint = {"/bin/app"};
  fx.cmd = {"open", "/etc/os-release"};
  fx.layers.push_back({test::dir("bin/"), test::file("bin/app", app, 0755), test::dir("etc/"),
                       test::file("etc/os-release", "ID=big\n"), test::dir("tmp/", 01777)});
  for (int l = 0; l < 3; ++l) {
    std::vector<test::FixtureEntry> layer{test::dir("data" + std::to_string(l) + "/")};
    for (int f = 0; f < 8; ++f) {
      std::string content(1 << 20, '\0');
      for (auto& ch : content) {
        ch = static_cast<char>(rng() % 64);
      }
      layer.push_back(test::file("data" + std::to_string(l) + "/f" + std::to_string(f), content));
    }
    fx.layers.push_back(layer);
  }
  return fx;
}

} // namespace

TEST_CASE("interrupted: convert killed at random points leaves no partial output; the next run cleans up",
          "[hostile][interrupted]")
{
  test::TestDir t;
  ::mkdir((t / "tmp").c_str(), 0755);
  ::mkdir((t / "out").c_str(), 0755);
  test::write_oci_layout(big_image(test::read_file(WHITTLE_TRACEE)), t / "src");
  std::string src = "oci:" + (t / "src") + ":latest";

  long full_ms = 0;
  REQUIRE(run_to_end(t.path(), {"convert", src, "oci:" + (t / "out/full"), "--compression", "zstd"},
                     &full_ms) == 0);
  REQUIRE(test::path_exists(t / "out/full/index.json"));
  std::string expected = sh("cd '" + (t / "out/full") + "' && find . -type f | sort | xargs sha256sum");

  std::mt19937 rng(7);
  int killed = 0;
  for (int i = 0; i < 10; ++i) {
    std::string dest = t / ("out/dst" + std::to_string(i));
    // Within the first three quarters of the measured run: a run can be faster than the measured one (the
    // machine got quieter), and a kill after the end tests nothing.
    long delay = static_cast<long>(rng() % static_cast<unsigned>(full_ms * 3 / 4 + 1));
    INFO("kill after " << delay << " ms of " << full_ms);
    killed += run_and_kill(t.path(), {"convert", src, "oci:" + dest, "--compression", "zstd"}, delay) ? 1 : 0;
    if (test::path_exists(dest)) {
      // Complete: byte for byte the uninterrupted result (convert is reproducible).
      CHECK(sh("cd '" + dest + "' && find . -type f | sort | xargs sha256sum") == expected);
    }
  }
  std::printf("interrupted convert: %d of 10 runs killed before the end (full run %ld ms)\n", killed,
              full_ms);
  CHECK(killed >= 5);

  // Leftovers of the killed runs exist (the kill gave no chance to clean); once old, the next run removes
  // them.
  std::string left = sh("ls -A '" + (t / "out") + "' '" + (t / "tmp") + "' | grep -c '^\\.whittle-' || true");
  std::printf("interrupted convert: %s stale entries before the next run\n",
              left.substr(0, left.size() - 1).c_str());
  sh("find '" + (t / "out") + "' '" + (t / "tmp") +
     "' -maxdepth 1 -name '.whittle-*' -exec touch -h -d '2 hours ago' {} +");
  long ms = 0;
  REQUIRE(run_to_end(t.path(), {"convert", src, "oci:" + (t / "out/again"), "--compression", "zstd"}, &ms) ==
          0);
  CHECK(sh("ls -A '" + (t / "out") + "' | grep '^\\.whittle-' || true").empty());
  CHECK(sh("ls -A '" + (t / "tmp") + "' | grep '^\\.whittle-' || true").empty());
  CHECK(sh("cd '" + (t / "out/again") + "' && find . -type f | sort | xargs sha256sum") == expected);
}

TEST_CASE("interrupted: slim killed at random points leaves no output, process or mount behind",
          "[hostile][interrupted]")
{
  if (!test::have_root_sandbox()) {
    test::skip("no root sandbox: slim cannot run");
    return;
  }
  test::TestDir t;
  ::mkdir((t / "tmp").c_str(), 0755);
  ::mkdir((t / "out").c_str(), 0755);
  ::mkdir((t / "work").c_str(), 0755);
  test::write_oci_layout(big_image(test::read_file(WHITTLE_TRACEE)), t / "src");
  std::string src = "oci:" + (t / "src") + ":latest";
  auto args = [&](const std::string& dest) {
    return std::vector<std::string>{"slim", src,         "-o",       "oci:" + dest, "--timeout",
                                    "5",    "--workdir", t / "work", "--artifacts", dest + "-artifacts"};
  };
  long full_ms = 0;
  REQUIRE(run_to_end(t.path(), args(t / "out/full"), &full_ms) == 0);
  REQUIRE(test::path_exists(t / "out/full/index.json"));

  std::mt19937 rng(11);
  int killed = 0;
  for (int i = 0; i < 8; ++i) {
    std::string dest = t / ("out/dst" + std::to_string(i));
    // Within the first three quarters of the measured run: a run can be faster than the measured one (the
    // machine got quieter), and a kill after the end tests nothing.
    long delay = static_cast<long>(rng() % static_cast<unsigned>(full_ms * 3 / 4 + 1));
    INFO("kill after " << delay << " ms of " << full_ms);
    killed += run_and_kill(t.path(), args(dest), delay) ? 1 : 0;
    // The sandbox's processes die with their parent (PDEATHSIG, then the pid namespace): soon, but on a
    // loaded machine not within a fixed delay, so the check below waits up to 10 s for them.
    const std::string leftover = "ps -eo args | grep -F '" + t.path() + "' | grep -v grep || true";
    for (int tries = 0; tries < 100 && !sh(leftover).empty(); ++tries) {
      ::usleep(100 * 1000);
    }
    if (test::path_exists(dest)) {
      std::string out;
      CHECK(test::run_command(std::string(WHITTLE_BINARY) + " inspect oci:" + dest, &out) == 0);
    }
    CHECK(sh("grep -F '" + t.path() + "' /proc/mounts || true").empty());
    CHECK(sh(leftover).empty());
  }
  std::printf("interrupted slim: %d of 8 runs killed before the end (full run %ld ms)\n", killed, full_ms);
  CHECK(killed >= 4);
  std::string left = sh("ls -A '" + (t / "out") + "' '" + (t / "work") + "' '" + (t / "tmp") +
                        "' | grep -c '^\\.whittle-' || true");
  std::printf("interrupted slim: %s stale entries before the next run\n",
              left.substr(0, left.size() - 1).c_str());
  sh("find '" + (t / "out") + "' '" + (t / "work") + "' '" + (t / "tmp") +
     "' -maxdepth 1 -name '.whittle-*' -exec touch -h -d '2 hours ago' {} +");
  long ms = 0;
  REQUIRE(run_to_end(t.path(), args(t / "out/again"), &ms) == 0);
  CHECK(sh("ls -A '" + (t / "out") + "' '" + (t / "work") + "' | grep '^\\.whittle-' || true").empty());
}
