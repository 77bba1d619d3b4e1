#include <catch2/catch.hpp>
#include <support/test_support.hpp>
#include <sys/stat.h>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/rootless.hpp>
#include <whittle/trace/sandbox_plan.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;

namespace {

trace::SandboxOptions
options(const test::TestDir& dir)
{
  std::string r = dir / "root";
  for (const char* d : {"", "/bin", "/usr", "/usr/bin", "/etc"}) {
    mkdir((r + d).c_str(), 0755);
  }
  test::write_file(r + "/usr/bin/app", "#!/bin/sh\n");
  chmod((r + "/usr/bin/app").c_str(), 0755);
  test::write_file(r + "/etc/passwd", "root:x:0:0::/root:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n");
  test::write_file(r + "/etc/group", "root:x:0:\nwww-data:x:33:\nextra:x:50:web,other\n");
  mkdir((dir / "state").c_str(), 0755);
  trace::SandboxOptions o;
  o.rootfs = r;
  o.state_dir = dir / "state";
  o.argv = {"app", "--serve"};
  o.env = {"PATH=/usr/bin:/bin"};
  return o;
}

} // namespace

TEST_CASE("trace::make_plan", "[trace]")
{
  test::TestDir dir;
  trace::SandboxOptions o = options(dir);
  SECTION("program found on the image PATH, root by default")
  {
    trace::SandboxPlan p = trace::make_plan(o);
    CHECK(p.exe == "/usr/bin/app");
    CHECK(p.uid == 0);
    CHECK(p.user == "0:0");
    std::string d = trace::describe(p);
    CHECK(d.find("mount proc /proc") != std::string::npos);
    CHECK(d.find("bind /dev/null /dev/null") != std::string::npos);
    CHECK(d.find("mount devpts /dev/pts") != std::string::npos);
    CHECK(d.find("bind " + o.state_dir + "/hosts /etc/hosts") != std::string::npos);
    CHECK(d.find("mount sysfs /sys") != std::string::npos);
    CHECK(d.find("exec /usr/bin/app --serve") != std::string::npos);
    CHECK(test::read_file(o.state_dir + "/hostname") == "whittle\n");
    CHECK(test::read_file(o.state_dir + "/hosts").find("localhost") != std::string::npos);
  }
  SECTION("the program is searched as execvp does: empty and relative entries below the workdir")
  {
    o.workdir = "/usr";
    o.env = {"PATH=/bin:bin"};
    CHECK(trace::make_plan(o).exe == "/usr/bin/app");
    o.workdir = "/usr/bin";
    o.env = {"PATH=/bin:"};
    CHECK(trace::make_plan(o).exe == "/usr/bin/app");
    o.env = {"PATH=/bin", "PATH=/usr/bin"}; // the last entry of a repeated key wins
    CHECK(trace::make_plan(o).exe == "/usr/bin/app");
    o.env = {"PATH=/bin"};
    CHECK_THROWS_WITH(trace::make_plan(o), Catch::Contains("find program `app`"));
  }
  SECTION("user by name gets its groups")
  {
    o.user = "web";
    trace::SandboxPlan p = trace::make_plan(o);
    CHECK(p.uid == 33);
    CHECK(p.gid == 33);
    CHECK(p.groups == std::vector<gid_t>{33, 50});
  }
  SECTION("numeric user and group need no passwd entry")
  {
    o.user = "1234:99";
    trace::SandboxPlan p = trace::make_plan(o);
    CHECK(p.user == "1234:99");
  }
  SECTION("unknown user or group")
  {
    o.user = "nobody";
    CHECK_THROWS_AS(trace::make_plan(o), BadInput);
    o.user = "web:nogroup";
    CHECK_THROWS_AS(trace::make_plan(o), BadInput);
  }
  SECTION("program not in the image")
  {
    o.argv = {"python3"};
    CHECK_THROWS_WITH(trace::make_plan(o), Catch::Contains("python3"));
  }
  SECTION("no command")
  {
    o.argv.clear();
    CHECK_THROWS_AS(trace::make_plan(o), UsageError);
  }
  SECTION("bind mounts")
  {
    o.mounts.push_back(trace::parse_bind_mount(dir.path() + ":/data:ro"));
    trace::SandboxPlan p = trace::make_plan(o);
    std::string d = trace::describe(p);
    CHECK(d.find("bind " + dir.path() + " /data ro,nosuid,nodev\n") != std::string::npos);
    CHECK(p.special == std::vector<std::string>{"/data"});
  }
}

TEST_CASE("trace::make_plan guards /proc and /sys and mounts nosuid,nodev", "[trace]")
{
  test::TestDir dir;
  trace::SandboxOptions o = options(dir);
  o.id_shift = {2147418112, 65536};
  SECTION("network none: runc's read-only and masked paths, a read-only sysfs, the id maps")
  {
    trace::SandboxPlan p = trace::make_plan(o);
    std::string d = trace::describe(p);
    for (const char* ro : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"}) {
      INFO(ro);
      CHECK(d.find(std::string("readonly ") + ro + "\n") != std::string::npos);
    }
    for (const char* m :
         {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/acpi", "/proc/scsi",
          "/proc/latency_stats", "/proc/timer_stats", "/sys/firmware", "/sys/devices/virtual/powercap"}) {
      INFO(m);
      CHECK(d.find(std::string("mask ") + m + "\n") != std::string::npos);
    }
    // Masks come after the filesystem they cover.
    CHECK(d.find("mask /sys/firmware") > d.find("mount sysfs /sys"));
    CHECK(d.find("readonly /proc/sys\n") > d.find("mount proc /proc"));
    CHECK(d.find("mount sysfs /sys ro,nosuid,nodev,noexec\n") != std::string::npos);
    CHECK(d.find("mount proc /proc nosuid,nodev,noexec\n") != std::string::npos);
    CHECK(d.find("mount tmpfs /dev/shm mode=1777,size=65536k nosuid,nodev,noexec\n") != std::string::npos);
    CHECK(d.find("mount tmpfs /dev mode=755,size=65536k nosuid,nodev\n") != std::string::npos);
    CHECK(d.find("bind " + o.state_dir + "/hosts /etc/hosts nosuid,nodev\n") != std::string::npos);
    CHECK(d.find("uid_map 0 2147418112 65536\ngid_map 0 2147418112 65536\n") != std::string::npos);
    for (const auto& op : p.ops) {
      if (op.kind == trace::OpKind::readonly || op.kind == trace::OpKind::mask) {
        CHECK(op.optional); // kernels differ in which of these exist
      }
    }
  }
  SECTION("network host: the host's /sys bound read-only instead of a new sysfs")
  {
    o.network = trace::Network::host;
    std::string d = trace::describe(trace::make_plan(o));
    CHECK(d.find("bind /sys /sys ro,nosuid,nodev,noexec\n") != std::string::npos);
    CHECK(d.find("mount sysfs") == std::string::npos);
  }
  SECTION("a read-write --mount is still nosuid,nodev")
  {
    o.mounts.push_back(trace::parse_bind_mount(dir.path() + ":/data"));
    std::string d = trace::describe(trace::make_plan(o));
    CHECK(d.find("bind " + dir.path() + " /data nosuid,nodev\n") != std::string::npos);
  }
}

TEST_CASE("trace::make_plan range-checks the ids of the image's /etc/passwd and /etc/group", "[trace]")
{
  test::TestDir dir;
  trace::SandboxOptions o = options(dir);
  std::string passwd = o.rootfs + "/etc/passwd";
  SECTION("4294967295 is (uid_t)-1: refused, naming the file and line")
  {
    test::write_file(passwd, "root:x:0:0::/root:/bin/sh\nbad:x:4294967295:1::/:/bin/sh\n");
    o.user = "bad";
    CHECK_THROWS_WITH(trace::make_plan(o),
                      Catch::Contains("/etc/passwd line 2") && Catch::Contains("4294967295"));
  }
  SECTION("overflow is refused, not wrapped")
  {
    test::write_file(passwd, "big:x:99999999999:1::/:/bin/sh\n");
    o.user = "big";
    CHECK_THROWS_AS(trace::make_plan(o), BadInput);
    o.user = "4294967296";
    CHECK_THROWS_AS(trace::make_plan(o), BadInput);
  }
  SECTION("a bad gid in /etc/group")
  {
    test::write_file(o.rootfs + "/etc/group", "root:x:0:\nweb:x:18446744073709551616:\n");
    o.user = "web:web";
    CHECK_THROWS_WITH(trace::make_plan(o), Catch::Contains("/etc/group line 2"));
  }
  SECTION("the largest valid id passes")
  {
    o.user = "4294967294:4294967294";
    CHECK(trace::make_plan(o).uid == 4294967294u);
  }
}

TEST_CASE("trace::choose_id_shift and the id map files", "[trace]")
{
  using trace::parse_id_map;
  auto initial = parse_id_map("         0          0 4294967295\n");
  CHECK(trace::choose_id_shift(initial, initial) == util::IdShift{trace::k_root_id_base, 65536});
  auto sub = parse_id_map("0 1000 1\n1 200000 65536\n");
  CHECK(trace::choose_id_shift(sub, sub) == util::IdShift{1, 65536});
  auto single = parse_id_map("0 1000 1\n");
  CHECK(trace::choose_id_shift(single, single) == util::IdShift{0, 1});
  CHECK(trace::id_map_line({1, 65536}) == "0 1 65536\n");
  CHECK(trace::inner_id(sub, 200033) == 34); // inside 1 is 200000
  CHECK(trace::inner_id(sub, 5) == UINT32_MAX);
  CHECK(trace::find_subordinate_range("alice:100000:65536\nbob:300000:1000\n", "bob", 1001)->start == 300000);
  CHECK(trace::find_subordinate_range("1001:400000:10\n", "bob", 1001)->count == 10);
  CHECK(!trace::find_subordinate_range("alice:100000:65536\n", "bob", 1001));
}

TEST_CASE("trace::parse_bind_mount", "[trace]")
{
  CHECK(trace::parse_bind_mount("/a:/b").target == "/b");
  CHECK(trace::parse_bind_mount("/a:/b/../c:ro").target == "/c");
  CHECK(trace::parse_bind_mount("/a:/b:ro").read_only);
  CHECK_THROWS_AS(trace::parse_bind_mount("/a"), UsageError);
  CHECK_THROWS_AS(trace::parse_bind_mount("/a:b"), UsageError);
  CHECK_THROWS_AS(trace::parse_bind_mount("/a:/b:rx"), UsageError);
  CHECK_THROWS_AS(trace::parse_bind_mount("/a:/"), UsageError);
}

TEST_CASE("trace::make_plan with run constraints", "[trace][constraints]")
{
  test::TestDir dir;
  trace::SandboxOptions o = options(dir);
  mkdir((o.rootfs + "/var").c_str(), 0755);
  mkdir((o.rootfs + "/var/cache").c_str(), 0750);
  trace::RunConstraints c;
  c.read_only_root = true;
  c.tmpfs_paths = {"/var/cache", "/tmp"};
  c.capabilities = 1; // CHOWN
  c.seccomp_allow = std::set<std::string>{"read", "write"};
  o.constraints = c;
  trace::SandboxPlan p = trace::make_plan(o);
  REQUIRE(p.constraints);
  std::string d = trace::describe(p);
  INFO(d);
  // An image directory: its mode is copied at mount time; a missing one is made and gets 1777.
  CHECK(d.find("tmpfs /var/cache copy-up nosuid,nodev\n") != std::string::npos);
  CHECK(d.find("tmpfs /tmp copy-up mode=1777 nosuid,nodev\n") != std::string::npos);
  CHECK(d.find("root read-only\ncapabilities 0x1\nseccomp allow 2 calls, others ENOSYS\n") !=
        std::string::npos);
  // After /sys and before whittle's /etc files: those land on a tmpfs at /etc too.
  CHECK(d.find("mount sysfs /sys") < d.find("tmpfs /var/cache"));
  CHECK(d.find("tmpfs /tmp") < d.find("/etc/hosts"));
  size_t made = 0;
  for (const auto& op : p.ops) {
    made += op.kind == trace::OpKind::tmpfs && op.must_exist_in_image ? 1 : 0;
  }
  CHECK(made == 1);
  // Without constraints: none of it.
  o.constraints.reset();
  std::string plain = trace::describe(trace::make_plan(o));
  CHECK(plain.find("tmpfs /var/cache") == std::string::npos);
  CHECK(plain.find("root read-only") == std::string::npos);
}
