// Verify's run constraints seen from inside the sandbox: a read-only root, tmpfs paths
// as podman's --tmpfs gives them, exactly the capability mask, the seccomp allow list; and the trace facts
// slim's non-root candidates come from (switched_user, capabilities).
#include "trace_fixture.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <fcntl.h>
#include <linux/capability.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/trace/capabilities.hpp>
#include <whittle/trace/run_constraints.hpp>
#include <whittle/trace/syscall_baseline.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>

using namespace whittle;
using test::capture;
using test::contains;
using test::mount_line;

namespace {

bool
sandbox_available()
{
  if (!test::have_root_sandbox()) {
    test::skip("sandbox tests need root (or rootless user namespaces), namespaces and ptrace");
    return false;
  }
  return true;
}

// The mount options field (6th) of a mountinfo line, with commas around for exact word tests.
std::string
mount_options(const std::string& line)
{
  std::istringstream f(line);
  std::string w;
  for (int i = 0; i < 6 && (f >> w); ++i) {
  }
  return "," + w + ",";
}

std::string
status_line(const std::string& status, const std::string& key)
{
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      return line;
    }
  }
  return "";
}

std::string
hex16(uint64_t v)
{
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

trace::RunConstraints
read_only_with(std::vector<std::string> tmpfs)
{
  trace::RunConstraints c;
  c.read_only_root = true;
  c.tmpfs_paths = std::move(tmpfs);
  return c;
}

} // namespace

TEST_CASE("constraints: read-only root, tmpfs paths as podman's --tmpfs", "[ptrace][constraints]")
{
  if (!sandbox_available() || !test::have_other_ids()) {
    return;
  }
  test::TestDir dir;
  util::IdShift shift = test::enter_sandbox_ids();
  std::string root = test::make_tracee_rootfs(dir);
  // An image directory with content, a non-root owner and a mode of its own.
  std::string srv = root + "/srv";
  REQUIRE(mkdir(srv.c_str(), 0750) == 0);
  REQUIRE(mkdir((srv + "/sub").c_str(), 0700) == 0);
  test::write_file(srv + "/f.txt", "image content\n");
  REQUIRE(chmod((srv + "/f.txt").c_str(), 0640) == 0);
  test::write_file(srv + "/prog", test::read_file(root + "/bin/tracee"));
  REQUIRE(chmod((srv + "/prog").c_str(), 0755) == 0);
  for (const char* p : {"", "/sub", "/f.txt", "/prog"}) {
    REQUIRE(lchown((srv + p).c_str(), shift.to_outer(1000), shift.to_outer(1000)) == 0);
  }
  auto constrained = [](std::vector<std::string> tmpfs) {
    return [tmpfs](trace::TraceOptions& o) { o.sandbox.constraints = read_only_with(tmpfs); };
  };
  SECTION("a write outside a tmpfs fails with EROFS; the same write runs without constraints")
  {
    auto ro = capture(dir, {"try-create", "/data/new.txt"}, constrained({"/srv"}));
    CHECK(ro.stdout_text == "errno=" + std::to_string(EROFS) + "\n");
    auto rw = capture(dir, {"try-create", "/data/new.txt"}, {});
    CHECK(rw.stdout_text == "errno=0\n");
  }
  SECTION("inside a tmpfs a write works and the host's rootfs is untouched")
  {
    auto c = capture(dir, {"try-create", "/srv/new.txt"}, constrained({"/srv"}));
    CHECK(c.stdout_text == "errno=0\n");
    struct stat st;
    CHECK(lstat((srv + "/new.txt").c_str(), &st) != 0);
  }
  SECTION("the image directory's content is copied up with its owners and modes")
  {
    // Root needs DAC_OVERRIDE for a 0640 file of user 1000 (in a 0750 directory now root's): with
    // --cap-drop=ALL alone it may not read it, as under podman.
    auto f = capture(dir, {"cat", "/srv/f.txt"}, [](trace::TraceOptions& o) {
      o.sandbox.constraints = read_only_with({"/srv"});
      o.sandbox.constraints->capabilities = uint64_t{1} << CAP_DAC_OVERRIDE;
    });
    CHECK(f.stdout_text == "image content\n");
    auto denied = capture(dir, {"cat", "/srv/f.txt"}, constrained({"/srv"}));
    CHECK(denied.exit_code() == 1);
    auto o = capture(dir, {"mode", "/srv/f.txt"}, constrained({"/srv"}));
    CHECK(o.stdout_text == "mode 640 uid 1000 gid 1000\n");
    auto s = capture(dir, {"mode", "/srv/sub"}, constrained({"/srv"}));
    CHECK(s.stdout_text == "mode 700 uid 1000 gid 1000\n");
  }
  SECTION("the tmpfs root keeps the directory's mode but belongs to root (runc 1.1.5, podman 4.3.1)")
  {
    auto o = capture(dir, {"mode", "/srv"}, constrained({"/srv"}));
    CHECK(o.stdout_text == "mode 750 uid 0 gid 0\n");
    // A path the image lacks: made, and a tmpfs of mode 1777.
    auto m = capture(dir, {"mode", "/scratch"}, constrained({"/scratch"}));
    CHECK(m.stdout_text == "mode 1777 uid 0 gid 0\n");
  }
  SECTION("the tmpfs is rw,nosuid,nodev and not noexec: a program copied up runs")
  {
    auto mi = capture(dir, {"cat", "/proc/self/mountinfo"}, constrained({"/srv"}));
    std::string line = mount_line(mi.stdout_text, "/srv");
    INFO(line);
    CHECK(contains(line, " - tmpfs "));
    std::string opts = mount_options(line);
    CHECK(contains(opts, ",rw,"));
    CHECK(contains(opts, ",nosuid,"));
    CHECK(contains(opts, ",nodev,"));
    CHECK(!contains(opts, ",noexec,"));
    std::string rootline = mount_line(mi.stdout_text, "/");
    INFO(rootline);
    CHECK(contains(mount_options(rootline), ",ro,"));
    auto ex = capture(dir, {"exec", "/srv/prog", "exit", "3"}, constrained({"/srv"}));
    CHECK(ex.exit_code() == 3);
  }
  SECTION("a user's own directory as a tmpfs path becomes root's, as under podman; below one it stays")
  {
    auto as_user = [](std::vector<std::string> tmpfs) {
      return [tmpfs](trace::TraceOptions& o) {
        o.sandbox.constraints = read_only_with(tmpfs);
        o.sandbox.user = "1000:1000";
      };
    };
    // /srv (0750, the user's in the image) is root's 0750 once mounted: the user cannot even enter it.
    auto top = capture(dir, {"try-create", "/srv/new.txt"}, as_user({"/srv"}));
    CHECK(top.stdout_text == "errno=" + std::to_string(EACCES) + "\n");
    auto sub = capture(dir, {"try-create", "/srv/sub/new.txt"}, as_user({"/srv"}));
    CHECK(sub.stdout_text == "errno=" + std::to_string(EACCES) + "\n");
    // A tmpfs at the parent (/var, 0755 root) keeps /var/app the user's: writes below work.
    std::string parent = root + "/var";
    REQUIRE(mkdir(parent.c_str(), 0755) == 0);
    REQUIRE(lchown(parent.c_str(), shift.to_outer(0), shift.to_outer(0)) == 0);
    std::string own = parent + "/app";
    REQUIRE(mkdir(own.c_str(), 0700) == 0);
    REQUIRE(lchown(own.c_str(), shift.to_outer(1000), shift.to_outer(1000)) == 0);
    auto below = capture(dir, {"try-create", "/var/app/new.txt"}, as_user({"/var"}));
    CHECK(below.stdout_text == "errno=0\n");
  }
  SECTION("bad tmpfs paths are refused before anything runs")
  {
    CHECK_THROWS_AS(capture(dir, {"exit", "0"}, constrained({"/data/a.txt"})), UsageError);
    CHECK_THROWS_AS(capture(dir, {"exit", "0"}, constrained({"/"})), UsageError);
    CHECK_THROWS_AS(capture(dir, {"exit", "0"}, constrained({"relative"})), UsageError);
  }
}

TEST_CASE("constraints: the app holds exactly the capability mask", "[ptrace][constraints]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  const uint64_t mask = (uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_NET_BIND_SERVICE);
  SECTION("root: effective, permitted and bounding are the mask; no inheritable, no ambient")
  {
    auto c = capture(dir, {"cat", "/proc/self/status"}, [&](trace::TraceOptions& o) {
      trace::RunConstraints rc;
      rc.capabilities = mask;
      o.sandbox.constraints = rc;
    });
    REQUIRE(c.exit_code() == 0);
    CHECK(status_line(c.stdout_text, "CapEff") == "CapEff:\t" + hex16(mask));
    CHECK(status_line(c.stdout_text, "CapPrm") == "CapPrm:\t" + hex16(mask));
    CHECK(status_line(c.stdout_text, "CapBnd") == "CapBnd:\t" + hex16(mask));
    CHECK(status_line(c.stdout_text, "CapInh") == "CapInh:\t" + hex16(0));
    CHECK(status_line(c.stdout_text, "CapAmb") == "CapAmb:\t" + hex16(0));
  }
  SECTION("--cap-drop=ALL: nothing at all")
  {
    auto c = capture(dir, {"cat", "/proc/self/status"},
                     [&](trace::TraceOptions& o) { o.sandbox.constraints = trace::RunConstraints{}; });
    REQUIRE(c.exit_code() == 0);
    CHECK(status_line(c.stdout_text, "CapEff") == "CapEff:\t" + hex16(0));
    CHECK(status_line(c.stdout_text, "CapBnd") == "CapBnd:\t" + hex16(0));
    CHECK(contains(c.stdout_text, "NoNewPrivs:\t1"));
  }
  SECTION("a non-root user gets the mask as ambient capabilities, as podman's --cap-add")
  {
    if (!test::have_other_ids()) {
      return;
    }
    auto c = capture(dir, {"cat", "/proc/self/status"}, [&](trace::TraceOptions& o) {
      trace::RunConstraints rc;
      rc.capabilities = mask;
      o.sandbox.constraints = rc;
      o.sandbox.user = "1000:1000";
    });
    REQUIRE(c.exit_code() == 0);
    CHECK(contains(c.stdout_text, "Uid:\t1000\t1000\t1000\t1000"));
    for (const char* key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
      CHECK(status_line(c.stdout_text, key) == std::string(key) + ":\t" + hex16(mask));
    }
  }
  SECTION("without constraints the trace keeps Docker's default set")
  {
    auto c = capture(dir, {"cat", "/proc/self/status"}, {});
    CHECK(status_line(c.stdout_text, "CapEff") == "CapEff:\t" + hex16(trace::docker_default_caps()));
  }
}

TEST_CASE("constraints: the seccomp allow list from a recorded trace", "[ptrace][constraints]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  // The slim flow: record, then run held to what was recorded.
  auto traced = capture(dir, {"sysinfo"}, [](trace::TraceOptions& o) { o.all_syscalls = true; });
  REQUIRE(traced.out.profile.syscalls);
  std::set<std::string> recorded = *traced.out.profile.syscalls;
  CHECK(traced.stdout_text == "errno=0\n");
  CHECK(recorded.count("sysinfo") == 1);
  for (const auto& name : trace::seccomp_baseline()) {
    CHECK(recorded.count(name) == 1);
  }
  SECTION("the recorded set lets the app run unchanged")
  {
    auto c = capture(dir, {"sysinfo"}, [&](trace::TraceOptions& o) {
      trace::RunConstraints rc;
      rc.seccomp_allow = recorded;
      o.sandbox.constraints = rc;
    });
    CHECK(c.exit_code() == 0);
    CHECK(c.stdout_text == "errno=0\n");
  }
  SECTION("a call left out of the list fails with ENOSYS; names libseccomp does not know are ignored")
  {
    std::set<std::string> allow = recorded;
    allow.erase("sysinfo");
    allow.insert("no_such_syscall_whittle");
    auto c = capture(dir, {"sysinfo"}, [&](trace::TraceOptions& o) {
      trace::RunConstraints rc;
      rc.seccomp_allow = allow;
      o.sandbox.constraints = rc;
    });
    CHECK(c.exit_code() == 0);
    CHECK(c.stdout_text == "errno=" + std::to_string(ENOSYS) + "\n");
  }
  SECTION("with the notify mechanism the record is the same")
  {
    auto n = capture(dir, {"sysinfo"}, [](trace::TraceOptions& o) {
      o.all_syscalls = true;
      o.mechanism = trace::Mechanism::notify;
    });
    REQUIRE(n.out.profile.syscalls);
    CHECK(*n.out.profile.syscalls == recorded);
  }
}

TEST_CASE("trace: switched_user and capabilities of an app that drops root", "[ptrace][constraints]")
{
  if (!sandbox_available() || !test::have_other_ids()) {
    return;
  }
  test::TestDir dir;
  SECTION("setpriv style: setgroups, setresgid, setresuid")
  {
    auto out = test::trace_tracee(dir, {"setresuid", "101", "102"});
    const auto& run = out.profile.runs.at(0);
    CHECK(run.exit_code == 0);
    CHECK(run.switched_user == "101:102");
    CHECK(run.capabilities == std::vector<std::string>{"SETGID", "SETUID"});
  }
  SECTION("nginx style: setgroups, setgid, setuid")
  {
    auto out = test::trace_tracee(dir, {"setuid", "33"});
    CHECK(out.profile.runs.at(0).switched_user == "33:33");
  }
  SECTION("chown to another owner uses CHOWN, no switch")
  {
    auto out = test::trace_tracee(dir, {"chown", "/data/a.txt", "33", "33"});
    const auto& run = out.profile.runs.at(0);
    CHECK(run.switched_user.empty());
    CHECK(run.capabilities == std::vector<std::string>{"CHOWN"});
  }
  SECTION("chmod of another user's file as root uses FOWNER; of its own, nothing")
  {
    util::IdShift shift = test::enter_sandbox_ids();
    std::string root = test::make_tracee_rootfs(dir);
    REQUIRE(lchown((root + "/data/b.txt").c_str(), shift.to_outer(1000), shift.to_outer(1000)) == 0);
    auto other = test::trace_tracee(dir, {"chmod", "/data/b.txt", "600"});
    CHECK(other.profile.runs.at(0).exit_code == 0);
    CHECK(other.profile.runs.at(0).capabilities == std::vector<std::string>{"FOWNER"});
    CHECK(other.profile.runs.at(0).needs_root == std::vector<std::string>{"chmod /data/b.txt owned by 1000"});
    auto own = test::trace_tracee(dir, {"chmod", "/data/a.txt", "600"});
    CHECK(own.profile.runs.at(0).capabilities.empty());
  }
  SECTION("a non-root app records nothing")
  {
    auto out = test::trace_tracee(dir, {"chown", "/tmp", "1000", "1000"},
                                  [](trace::TraceOptions& o) { o.sandbox.user = "1000:1000"; });
    const auto& run = out.profile.runs.at(0);
    CHECK(run.switched_user.empty());
    CHECK(run.capabilities.empty());
  }
}

TEST_CASE("trace::capability_mask and names_of_capabilities", "[trace][constraints]")
{
  CHECK(trace::capability_mask({"CHOWN", "CAP_NET_BIND_SERVICE"}) ==
        ((uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_NET_BIND_SERVICE)));
  CHECK(trace::capability_mask({}) == 0);
  CHECK(trace::names_of_capabilities(trace::docker_default_caps()) ==
        std::vector<std::string>{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
                                 "SETPCAP", "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD",
                                 "AUDIT_WRITE", "SETFCAP"});
  CHECK(trace::names_of_capabilities(uint64_t{1} << CAP_CHECKPOINT_RESTORE) ==
        std::vector<std::string>{"CHECKPOINT_RESTORE"});
  CHECK_THROWS_AS(trace::capability_mask({"NOT_A_CAP"}), UsageError);
}
