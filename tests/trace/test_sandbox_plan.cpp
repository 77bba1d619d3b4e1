#include <catch2/catch.hpp>
#include <support/test_support.hpp>
#include <sys/stat.h>
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
