// Integration tests: the static tracee runs in a tiny rootfs under the real sandbox and tracer; each case
// asserts the exact files of the profile.
#include "trace_fixture.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/sha256.hpp>

using namespace whittle;
using Lines = std::vector<std::string>;

namespace {

const std::string k_tracee = "/bin/tracee:read,exec";
// The app's working directory: the sandbox chdirs into it under the filter, so it is recorded.
const std::string k_root = "/:dir";

bool
sandbox_available()
{
  if (!test::have_root_sandbox()) {
    test::skip("tracer tests need root, namespaces and ptrace");
    return false;
  }
  return true;
}

trace::TraceOutcome
run(const test::TestDir& dir, const std::vector<std::string>& args)
{
  auto out = test::trace_tracee(dir, args);
  INFO(trace::serialize_profile(out.profile));
  return out;
}

} // namespace

TEST_CASE("trace: open, stat, readlink, missing", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("open absolute")
  {
    auto out = run(dir, {"open", "/data/a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read"});
    CHECK(out.profile.runs.at(0).exit_code == 0);
  }
  SECTION("missing file")
  {
    auto out = run(dir, {"open", "/data/nope"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/nope:missing"});
    CHECK(out.profile.runs.at(0).exit_code == 1);
  }
  SECTION("through a missing directory and a file used as directory")
  {
    auto out = run(dir, {"open", "/nodir/x/../y"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/nodir/y:missing"});
  }
  SECTION("relative symlink in the middle")
  {
    auto out = run(dir, {"open", "/lnk/sub/c.txt"});
    CHECK(test::file_lines(out.profile) ==
          Lines{k_root, k_tracee, "/data/sub/c.txt:read", "/lnk:stat->data"});
  }
  SECTION("absolute symlink at the end")
  {
    auto out = run(dir, {"stat", "/abs"});
    CHECK(test::file_lines(out.profile) ==
          Lines{k_root, "/abs:stat->/data/a.txt", k_tracee, "/data/a.txt:stat"});
  }
  SECTION("readlink does not follow")
  {
    auto out = run(dir, {"readlink", "/abs"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, "/abs:readlink->/data/a.txt", k_tracee});
  }
  SECTION("symlink climbing above the root stays in the root")
  {
    auto out = run(dir, {"open", "/up/data/a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read", "/up:stat->../../.."});
  }
  SECTION("/.. at the root")
  {
    auto out = run(dir, {"open", "/../../data/b.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/b.txt:read"});
  }
  SECTION("fstat makes no stop and no entry")
  {
    auto out = run(dir, {"fstat", "/data/a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read"});
  }
  SECTION("special paths are kept apart")
  {
    auto out = run(dir, {"open", "/dev/null"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee});
    CHECK(out.profile.special.count("/dev/null") == 1);
  }
  SECTION("hosts file supplied by whittle is special")
  {
    auto out = run(dir, {"open", "/etc/hosts"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee});
    CHECK(out.profile.special.count("/etc/hosts") == 1);
  }
}

TEST_CASE("trace: dirfd, cwd and openat2", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("openat with a directory descriptor")
  {
    auto out = run(dir, {"openat", "/data/sub", "c.txt"});
    CHECK(test::file_lines(out.profile) ==
          Lines{k_root, k_tracee, "/data/sub:read,dir", "/data/sub/c.txt:read"});
  }
  SECTION("openat through a symlinked directory, then ..")
  {
    auto out = run(dir, {"openat", "/lnk", "sub/../b.txt"});
    CHECK(test::file_lines(out.profile) ==
          Lines{k_root, k_tracee, "/data:read,dir", "/data/b.txt:read", "/lnk:stat->data"});
  }
  SECTION("chdir then relative open")
  {
    auto out = run(dir, {"chdir", "/data/sub", "../a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read", "/data/sub:dir"});
  }
  SECTION("openat2")
  {
    auto out = run(dir, {"openat2", "/data/b.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/b.txt:read"});
  }
  SECTION("openat2 RESOLVE_IN_ROOT: the directory is the root of the walk")
  {
    // "/b.txt" and "../../b.txt" below /data both name /data/b.txt, as the kernel opens it.
    auto out = run(dir, {"openat2-in-root", "/data", "/b.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data:read,dir", "/data/b.txt:read"});
    CHECK(out.profile.runs.at(0).exit_code == 0);
    out = run(dir, {"openat2-in-root", "/data/sub", "../../c.txt"});
    CHECK(test::file_lines(out.profile) ==
          Lines{k_root, k_tracee, "/data/sub:read,dir", "/data/sub/c.txt:read"});
    CHECK(out.profile.runs.at(0).exit_code == 0);
  }
  SECTION("openat2 RESOLVE_BENEATH: an absolute path is refused, a relative one resolved below")
  {
    auto out = run(dir, {"openat2-beneath", "/data", "/b.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data:read,dir"});
    CHECK(out.profile.runs.at(0).exit_code == 1);
    out = run(dir, {"openat2-beneath", "/data", "sub/c.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data:read,dir", "/data/sub/c.txt:read"});
  }
}

TEST_CASE("trace: create, delete, mkdir, rename", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("create a new file")
  {
    auto out = run(dir, {"create", "/tmp/new"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/tmp/new:create"});
  }
  SECTION("overwrite an image file")
  {
    auto out = run(dir, {"create", "/data/a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:write"});
  }
  SECTION("unlink")
  {
    auto out = run(dir, {"unlink", "/data/b.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/b.txt:delete"});
  }
  SECTION("mkdir")
  {
    auto out = run(dir, {"mkdir", "/tmp/d"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/tmp/d:create,dir"});
  }
  SECTION("rename")
  {
    auto out = run(dir, {"rename", "/data/a.txt", "/data/z.txt"});
    CHECK(test::file_lines(out.profile) ==
          Lines{k_root, k_tracee, "/data/a.txt:delete", "/data/z.txt:create"});
  }
}

TEST_CASE("trace: processes and threads", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("threads")
  {
    auto out = run(dir, {"threads", "/data/a.txt", "/data/b.txt", "/data/sub/c.txt"});
    CHECK(test::file_lines(out.profile) ==
          Lines{k_root, k_tracee, "/data/a.txt:read", "/data/b.txt:read", "/data/sub/c.txt:read"});
  }
  SECTION("vfork + exec")
  {
    auto out = run(dir, {"vfork-exec", "/bin/tracee", "open", "/data/b.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/b.txt:read"});
    CHECK(out.profile.runs.at(0).exit_code == 0);
  }
  SECTION("clone3 answers ENOSYS (its flags are out of the filter's reach); the app's fallback is traced")
  {
    auto out = run(dir, {"clone3", "/data/sub/c.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee});
    CHECK(out.profile.runs.at(0).exit_code == 3);
    CHECK(out.profile.runs.at(0).refused == std::map<std::string, uint64_t>{{"clone3", 1}});
    // glibc's pthread_create tries clone3 first, then clone: threads still work and are traced.
    out = run(dir, {"threads", "/data/a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read"});
  }
  SECTION("execveat of a descriptor")
  {
    auto out = run(dir, {"execveat", "/bin/tracee", "open", "/data/a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, "/bin/tracee:read,exec,stat", "/data/a.txt:read"});
    CHECK(out.profile.runs.at(0).exit_code == 0);
  }
  SECTION("exec through a symlink records the link")
  {
    auto out = run(dir, {"exec", "/lnk/../bin/tracee", "open", "/data/a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read", "/lnk:stat->data"});
  }
  SECTION("exec from a non-leader thread")
  {
    auto out = run(dir, {"exec-thread", "/bin/tracee", "open", "/data/b.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/b.txt:read"});
    CHECK(out.profile.runs.at(0).exit_code == 0);
  }
  SECTION("daemonize: the grandchild dies with the app, as in a container")
  {
    auto start = std::chrono::steady_clock::now();
    auto out = run(dir, {"daemonize", "/data/sub/c.txt"});
    // The daemon would read c.txt 300 ms after the app exited: the sandbox killed it first.
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee});
    CHECK(!out.timed_out);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }
  SECTION("group-stop and SIGCONT")
  {
    auto out = run(dir, {"group-stop", "/data/a.txt"});
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read"});
    CHECK(out.profile.runs.at(0).exit_code == 0);
  }
  SECTION("a handled signal reaches the app")
  {
    auto out = run(dir, {"signal", "/data/a.txt"});
    CHECK(out.profile.runs.at(0).exit_code == 0);
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read"});
  }
  SECTION("exit code recorded")
  {
    auto out = run(dir, {"exit", "7"});
    CHECK(out.profile.runs.at(0).exit_code == 7);
  }
}

TEST_CASE("trace: --syscalls records every syscall name", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  auto out = test::trace_tracee(dir, {"fstat", "/data/a.txt"},
                                [](trace::TraceOptions& o) { o.all_syscalls = true; });
  REQUIRE(out.profile.syscalls);
  const auto& s = *out.profile.syscalls;
  CHECK(s.count("execve") == 1);
  CHECK(s.count("openat") == 1);
  CHECK(s.count("newfstatat") + s.count("fstat") >= 1);
  CHECK(s.count("close") == 1);
  CHECK(s.count("exit_group") == 1);
  CHECK(s.count("mount") == 0);
}

TEST_CASE("trace: user, workdir and env", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("user by name")
  {
    if (!test::have_other_ids()) {
      return;
    }
    auto out = test::trace_tracee(dir, {"create", "/data/x"},
                                  [](trace::TraceOptions& o) { o.sandbox.user = "app"; });
    CHECK(out.profile.runs.at(0).user == "1000:1000");
    CHECK(out.profile.runs.at(0).exit_code == 1); // /data is root's
  }
  SECTION("unknown user")
  {
    CHECK_THROWS_AS(
        test::trace_tracee(dir, {"exit", "0"}, [](trace::TraceOptions& o) { o.sandbox.user = "nobody"; }),
        BadInput);
  }
  SECTION("relative open from the workdir")
  {
    auto out = test::trace_tracee(dir, {"open", "sub/c.txt"},
                                  [](trace::TraceOptions& o) { o.sandbox.workdir = "/data"; });
    CHECK(test::file_lines(out.profile) == Lines{k_tracee, "/data:dir", "/data/sub/c.txt:read"});
  }
  SECTION("missing program")
  {
    CHECK_THROWS_AS(test::trace_tracee(dir, {}, [](trace::TraceOptions& o) { o.sandbox.argv = {"nosuch"}; }),
                    BadInput);
  }
  SECTION("missing workdir is a sandbox error naming it")
  {
    CHECK_THROWS_WITH(test::trace_tracee(dir, {"exit", "0"},
                                         [](trace::TraceOptions& o) { o.sandbox.workdir = "/nowhere"; }),
                      Catch::Contains("/nowhere"));
  }
}

TEST_CASE("trace: --mount binds a host path, read-only when asked, recorded apart", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  mkdir((dir / "host").c_str(), 0755);
  test::write_file(dir / "host/in.txt", "host\n");
  // Writable by the sandbox's root (a host root's 0755 directory is not: the app is not the host's root).
  util::IdShift shift = test::enter_sandbox_ids();
  REQUIRE(chown((dir / "host").c_str(), shift.to_outer(0), shift.to_outer(0)) == 0);
  auto with_mount = [&](bool ro) {
    return [&, ro](trace::TraceOptions& o) {
      o.sandbox.mounts.push_back(trace::parse_bind_mount(dir / "host" + ":/mnt/host" + (ro ? ":ro" : "")));
    };
  };
  SECTION("read through the mount")
  {
    auto out = test::trace_tracee(dir, {"open", "/mnt/host/in.txt"}, with_mount(true));
    CHECK(out.profile.runs.at(0).exit_code == 0);
    CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee});
    CHECK(out.profile.special.count("/mnt/host/in.txt") == 1);
  }
  SECTION("read-only mount refuses writes")
  {
    auto out = test::trace_tracee(dir, {"write", "/mnt/host/new.txt", "x"}, with_mount(true));
    CHECK(out.profile.runs.at(0).exit_code == 1);
    struct stat st;
    CHECK(stat((dir / "host/new.txt").c_str(), &st) != 0);
  }
  SECTION("read-write mount")
  {
    auto out = test::trace_tracee(dir, {"write", "/mnt/host/new.txt", "x"}, with_mount(false));
    CHECK(out.profile.runs.at(0).exit_code == 0);
    CHECK(test::read_file(dir / "host/new.txt") == "x");
  }
}

TEST_CASE("trace: --continue-after signal stops the app when whittle gets SIGTERM", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  // Sent once the app runs (it has made /data/ready): a fixed delay raced the sandbox's start on a loaded
  // machine, and a SIGTERM before whittle's handler is in ends the test process itself.
  std::string ready = dir / "rootfs/data/ready";
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    struct stat st;
    while (::stat(ready.c_str(), &st) != 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (::stat(ready.c_str(), &st) == 0) {
      kill(getpid(), SIGTERM);
      sent = true;
    }
  });
  auto out = test::trace_tracee(dir, {"ready-after", "0", "/data/ready"},
                                [](trace::TraceOptions& o) { trace::parse_continue_after("signal", o); });
  sender.join();
  REQUIRE(sent);
  CHECK(!out.timed_out);
  CHECK(out.profile.runs.at(0).signal == SIGTERM);
}

TEST_CASE("trace: a stop sent before the app has started still reaches it", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  // The controller sends the stop signal as soon as the sandbox is released, while its init is still
  // starting the app: the init must hold it until the app exists, not forward it to nobody (which left
  // the app to the grace period's SIGKILL).
  auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
    o.continue_after = trace::ContinueAfter::seconds;
    o.continue_for = std::chrono::milliseconds(0);
    o.grace = std::chrono::milliseconds(3000);
  });
  CHECK(!out.timed_out);
  CHECK(out.profile.runs.at(0).signal == SIGTERM);
}

TEST_CASE("trace: needs_root names the app's privileged calls", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  using Reasons = std::vector<std::string>;
  // Both mechanisms: with notify the init installs the filter before the sandbox's own setgroups, setgid
  // and setuid, which must not count.
  for (auto mech : {trace::Mechanism::ptrace, trace::Mechanism::notify}) {
    INFO((mech == trace::Mechanism::notify ? "notify" : "ptrace"));
    auto as = [mech](const std::string& user) {
      return [mech, user](trace::TraceOptions& o) {
        o.mechanism = mech;
        o.sandbox.user = user;
      };
    };
    SECTION("bind below 1024, IPv4 and IPv6")
    {
      auto out = test::trace_tracee(dir, {"bind", "80"}, as("root"));
      CHECK(out.profile.runs.at(0).exit_code == 0);
      CHECK(out.profile.runs.at(0).needs_root == Reasons{"bind port 80"});
      out = test::trace_tracee(dir, {"bind6", "443"}, as("root"));
      CHECK(out.profile.runs.at(0).needs_root == Reasons{"bind port 443"});
    }
    SECTION("bind of a high port needs nothing")
    {
      auto out = test::trace_tracee(dir, {"bind", "18080"}, as("root"));
      CHECK(out.profile.runs.at(0).exit_code == 0);
      CHECK(out.profile.runs.at(0).needs_root.empty());
    }
    SECTION("dropping root to another user, as nginx's workers do")
    {
      if (!test::have_other_ids()) {
        return;
      }
      auto out = test::trace_tracee(dir, {"setuid", "33"}, as("root"));
      CHECK(out.profile.runs.at(0).exit_code == 0);
      CHECK(out.profile.runs.at(0).needs_root == Reasons{"setgroups 33", "setgid 33", "setuid 33"});
    }
    SECTION("the sandbox's own switch to a non-root user is not the app's")
    {
      if (!test::have_other_ids()) {
        return;
      }
      auto out = test::trace_tracee(dir, {"exit", "0"}, as("app"));
      CHECK(out.profile.runs.at(0).user == "1000:1000");
      CHECK(out.profile.runs.at(0).needs_root.empty());
      // A non-root app cannot change ids: its failed attempt needs nothing either.
      out = test::trace_tracee(dir, {"setuid", "33"}, as("app"));
      CHECK(out.profile.runs.at(0).exit_code == 1);
      CHECK(out.profile.runs.at(0).needs_root.empty());
    }
    SECTION("chown to another owner, by path and by descriptor; to oneself needs nothing")
    {
      if (!test::have_other_ids()) {
        return;
      }
      auto out = test::trace_tracee(dir, {"chown", "/data/a.txt", "33", "33"}, as("root"));
      CHECK(out.profile.runs.at(0).exit_code == 0);
      CHECK(out.profile.runs.at(0).needs_root == Reasons{"chown /data/a.txt to 33:33"});
      out = test::trace_tracee(dir, {"fchown", "/data/b.txt", "33", "-1"}, as("root"));
      CHECK(out.profile.runs.at(0).needs_root == Reasons{"chown /data/b.txt to 33"});
      out = test::trace_tracee(dir, {"chown", "/data/a.txt", "0", "0"}, as("root"));
      CHECK(out.profile.runs.at(0).exit_code == 0);
      CHECK(out.profile.runs.at(0).needs_root.empty());
    }
  }
}

TEST_CASE("trace: the app's stdout passes through and its digest is recorded", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  std::string out_path = dir / "stdout.txt";
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  auto out = test::trace_tracee(dir, {"print", "hello"}, [fd](trace::TraceOptions& o) { o.stdout_fd = fd; });
  ::close(fd);
  std::ifstream in(out_path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "child: hello\nhello\n");
  CHECK(out.profile.runs.at(0).stdout_sha256 == util::sha256_hex("child: hello\nhello\n"));
  // Silent apps have the digest of nothing.
  auto quiet = test::trace_tracee(dir, {"exit", "0"});
  CHECK(quiet.profile.runs.at(0).stdout_sha256 == util::sha256_hex(""));
}

TEST_CASE("trace: the app shares the tracer's one CPU unless one_cpu is off", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  cpu_set_t mine;
  REQUIRE(sched_getaffinity(0, sizeof mine, &mine) == 0);
  const int all = CPU_COUNT(&mine);
  test::TestDir dir;
  auto cpus_seen = [&](bool one_cpu) {
    std::string out_path = dir / "cpus.txt";
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    test::trace_tracee(dir, {"cpus"}, [&](trace::TraceOptions& o) {
      o.stdout_fd = fd;
      o.one_cpu = one_cpu;
    });
    ::close(fd);
    return test::read_file(out_path);
  };
  CHECK(cpus_seen(true) == "1\n");
  CHECK(cpus_seen(false) == std::to_string(all) + "\n");
  // The tracer's own affinity is given back once the run ends.
  cpu_set_t after;
  REQUIRE(sched_getaffinity(0, sizeof after, &after) == 0);
  CHECK(CPU_EQUAL(&after, &mine));
}

TEST_CASE("trace: the baseline policy refuses and counts what the app tried", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  struct Case
  {
    const char* call;  // tracee `try` argument
    int error;         // errno the app must see
    const char* label; // key in runs[].refused
  };
  const Case cases[] = {
      {"keyctl", EPERM, "keyctl"},
      {"add_key", EPERM, "add_key"},
      {"bpf", EPERM, "bpf"},
      {"perf_event_open", EPERM, "perf_event_open"},
      {"userfaultfd", EPERM, "userfaultfd"},
      {"unshare", EPERM, "unshare"},
      {"open_by_handle_at", EPERM, "open_by_handle_at"},
      {"mount", EPERM, "mount"},
      {"kexec_load", EPERM, "kexec_load"},
      {"io_uring_setup", ENOSYS, "io_uring_setup"},
      {"clone3", ENOSYS, "clone3"},
      {"clone-untraced", EPERM, "clone(CLONE_UNTRACED)"},
      {"clone-newuser", EPERM, "clone(CLONE_NEWUSER)"},
      {"seccomp-listener", EPERM, "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)"},
      {"tiocsti", EPERM, "ioctl(TIOCSTI)"},
      {"tiocsti-high", EPERM, "ioctl(TIOCSTI)"},
      {"tioclinux", EPERM, "ioctl(TIOCLINUX)"},
      {"personality", EPERM, "personality"},
  };
  test::TestDir dir;
  for (const Case& c : cases) {
    INFO(c.call);
    auto out = run(dir, {"try", c.call});
    CHECK(out.profile.runs.at(0).exit_code == c.error);
    CHECK(out.profile.runs.at(0).refused == std::map<std::string, uint64_t>{{c.label, 1}});
    // Written and read back.
    auto back = trace::parse_profile(trace::serialize_profile(out.profile), "round trip");
    CHECK(back.runs.at(0).refused == out.profile.runs.at(0).refused);
  }
  SECTION("what the policy allows is not counted")
  {
    for (const char* call : {"seccomp-plain", "personality-query"}) {
      INFO(call);
      auto out = run(dir, {"try", call});
      CHECK(out.profile.runs.at(0).exit_code == 0);
      CHECK(out.profile.runs.at(0).refused.empty());
    }
  }
  SECTION("untraced runs refuse the same calls without stops")
  {
    auto out = test::trace_tracee(dir, {"try", "keyctl"}, [](trace::TraceOptions& o) { o.untraced = true; });
    CHECK(out.profile.runs.at(0).exit_code == EPERM);
    out =
        test::trace_tracee(dir, {"try", "io_uring_setup"}, [](trace::TraceOptions& o) { o.untraced = true; });
    CHECK(out.profile.runs.at(0).exit_code == ENOSYS);
  }
}

TEST_CASE("trace: AT_EMPTY_PATH with a non-empty path is recorded; fstat is not", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  auto out = run(dir, {"empty-path-stat", "/data/sub/c.txt"});
  CHECK(out.profile.runs.at(0).exit_code == 0);
  CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/sub/c.txt:stat"});
  out = run(dir, {"fstat", "/data/a.txt"});
  CHECK(test::file_lines(out.profile) == Lines{k_root, k_tracee, "/data/a.txt:read"});
}

TEST_CASE("trace: a file name that is not UTF-8 is kept byte-exact through the profile JSON", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  auto out = run(dir, {"nonutf8", "/tmp"});
  CHECK(out.profile.runs.at(0).exit_code == 0);
  const std::string name = "/tmp/\xff\xfe"
                           "a\\b\xc3";
  REQUIRE(out.profile.files.count(name) == 1);
  CHECK(out.profile.files.at(name).has(trace::Access::create));
  std::string json = trace::serialize_profile(out.profile);
  CHECK(json.find("\"/tmp/\\\\xff\\\\xfea\\\\\\\\b\\\\xc3\"") != std::string::npos);
  trace::write_profile(out.profile, dir / "p.json");
  auto back = trace::read_profile(dir / "p.json");
  CHECK(back.files.count(name) == 1);
  CHECK(back.files == out.profile.files);
}

TEST_CASE("trace: the recorded paths are capped; past the cap the run stops with an error naming it",
          "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("count")
  {
    CHECK_THROWS_WITH(test::trace_tracee(dir, {"stat-many", "/data", "500"},
                                         [](trace::TraceOptions& o) { o.max_paths = 100; }),
                      Catch::Contains("more than 100 distinct paths") && Catch::Contains("cap"));
    // Under the cap nothing happens.
    auto out = test::trace_tracee(dir, {"stat-many", "/data", "50"},
                                  [](trace::TraceOptions& o) { o.max_paths = 100; });
    CHECK(out.profile.files.size() == 52); // the 50, "/" and the tracee
  }
  SECTION("length")
  {
    CHECK_THROWS_WITH(test::trace_tracee(dir, {"long-path", "/tmp"}), Catch::Contains("PATH_MAX"));
  }
}

TEST_CASE("trace: whittle's memory stays bounded when the app names many long paths", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  // 30,000 distinct paths of about 1 KB (under the 32 MiB cap), traced and written in a child. Its
  // growth (peak RSS minus the RSS it inherited from this process, whose earlier tests vary) is sent
  // back. Before the caps (the profile copied, built as a JSON tree, then dumped whole) whittle grew by
  // about 6 KB per path, 175 MiB here; now by about 2 KB.
  std::string deep = "/tmp";
  for (int i = 0; i < 4; ++i) {
    deep += "/" + std::string(240, static_cast<char>('m' + i));
  }
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    auto rss_kib = [] {
      std::ifstream status("/proc/self/status");
      std::string line;
      while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
          return std::atol(line.c_str() + 6);
        }
      }
      return 0L;
    };
    long before = rss_kib();
    long growth = -1;
    try {
      auto out = test::trace_tracee(dir, {"stat-many", deep, "30000"});
      trace::write_profile(out.profile, dir / "big.json");
      rusage ru = {};
      getrusage(RUSAGE_SELF, &ru);
      struct stat st = {};
      if (out.profile.files.size() == 30002 && stat((dir / "big.json").c_str(), &st) == 0 &&
          st.st_size > 30000 * 1000) {
        growth = ru.ru_maxrss - before;
      }
    } catch (...) {
    }
    (void)!write(fds[1], &growth, sizeof growth);
    _exit(0);
  }
  close(fds[1]);
  long growth = -1;
  CHECK(read(fds[0], &growth, sizeof growth) == static_cast<ssize_t>(sizeof growth));
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO("RSS growth " << growth / 1024 << " MiB");
  CHECK(growth > 0);
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps up to 256 MiB of freed memory in its quarantine and adds an eighth for shadow: the same
  // bound plus that.
  CHECK(growth < (110 * 9 / 8 + 256 + 32) * 1024);
#else
  CHECK(growth < 110 * 1024);
#endif
}
