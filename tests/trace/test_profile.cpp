#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>

#include <catch2/catch.hpp>
#include <support/test_support.hpp>

using namespace whittle;
using whittle::trace::Access;

namespace {

trace::Profile
sample()
{
  trace::Profile p;
  p.image_ref = "oci:/x:latest";
  p.manifest_digest = "sha256:aa";
  p.platform = "linux/amd64";
  trace::RunRecord r;
  r.argv = {"/bin/app", "-v"};
  r.env = {"PATH=/bin"};
  r.workdir = "/";
  r.user = "0:0";
  r.exit_code = 3;
  r.duration_ms = 12;
  trace::ProbeResult pr;
  pr.kind = "http";
  pr.target = "http://127.0.0.1:80/";
  pr.status = 200;
  pr.ok = true;
  pr.files.push_back({"/usr/bin/curl", static_cast<uint16_t>(Access::exec), ""});
  r.probes.push_back(pr);
  p.runs.push_back(r);
  p.add("/bin/app", Access::exec);
  p.add("/bin/app", Access::read);
  p.add("/lib", Access::stat, "usr/lib");
  p.add("/etc/missing", Access::missing);
  p.add("/tmp/x", Access::remove);
  p.special["/proc/self/maps"] = static_cast<uint16_t>(Access::read);
  return p;
}

} // namespace

TEST_CASE("trace::Profile round trip", "[trace]")
{
  trace::Profile p = sample();
  std::string text = trace::serialize_profile(p);
  CHECK(text.back() == '\n');
  CHECK(text.find("\"delete\"") != std::string::npos);
  trace::Profile q = trace::parse_profile(text, "t");
  CHECK(trace::serialize_profile(q) == text);
  REQUIRE(q.files.size() == 4);
  CHECK(q.files.at("/bin/app").access == (static_cast<uint16_t>(Access::exec) | static_cast<uint16_t>(Access::read)));
  CHECK(q.files.at("/lib").link_target == "usr/lib");
  CHECK(q.files.at("/tmp/x").has(Access::remove));
  CHECK(q.special.at("/proc/self/maps") == static_cast<uint16_t>(Access::read));
  REQUIRE(q.runs.size() == 1);
  CHECK(q.runs[0].exit_code == 3);
  CHECK(q.runs[0].argv == std::vector<std::string>{"/bin/app", "-v"});
  REQUIRE(q.runs[0].probes.size() == 1);
  CHECK(q.runs[0].probes[0].files.size() == 1);
  CHECK(!q.syscalls);
  // Sorted by path.
  CHECK(text.find("\"/bin/app\"") < text.find("\"/etc/missing\""));
  CHECK(text.find("\"/etc/missing\"") < text.find("\"/lib\""));
}

TEST_CASE("trace::parse_profile rejects bad input", "[trace]")
{
  CHECK_THROWS_AS(trace::parse_profile("{", "x"), BadInput);
  CHECK_THROWS_AS(trace::parse_profile(R"({"schema":"other"})", "x"), BadInput);
  CHECK_THROWS_AS(trace::parse_profile(R"({"schema":"whittle/profile/v1","files":[{"path":"/a","access":["eat"]}]})", "x"),
                  BadInput);
  CHECK_THROWS_AS(trace::parse_profile(R"({"schema":"whittle/profile/v1","files":[{"path":"a/../b","access":[]}]})", "x"),
                  BadInput);
  CHECK_THROWS_AS(trace::parse_profile(R"({"schema":"whittle/profile/v1","files":[{"access":[]}]})", "x"), BadInput);
  CHECK_THROWS_WITH(trace::parse_profile(R"({"schema":"whittle/profile/v1","runs":[{"exit_code":"no"}]})", "p.json"),
                    Catch::Contains("p.json") && Catch::Contains("exit_code"));
}

TEST_CASE("trace::merge_profiles", "[trace]")
{
  trace::Profile a = sample();
  trace::Profile b;
  b.manifest_digest = "sha256:aa";
  b.add("/bin/app", Access::write);
  b.add("/new", Access::create);
  b.runs.push_back({});
  SECTION("unites files and runs; syscalls absent if any lacks them")
  {
    a.syscalls = std::set<std::string>{"openat"};
    trace::Profile m = trace::merge_profiles({a, b});
    CHECK(m.runs.size() == 2);
    CHECK(m.files.size() == 5);
    CHECK(m.files.at("/bin/app").has(Access::write));
    CHECK(m.files.at("/bin/app").has(Access::exec));
    CHECK(!m.syscalls);
  }
  SECTION("syscalls united when all have them")
  {
    a.syscalls = std::set<std::string>{"openat"};
    b.syscalls = std::set<std::string>{"read"};
    trace::Profile m = trace::merge_profiles({a, b});
    REQUIRE(m.syscalls);
    CHECK(*m.syscalls == std::set<std::string>{"openat", "read"});
  }
  SECTION("different images refused unless allowed")
  {
    b.manifest_digest = "sha256:bb";
    CHECK_THROWS_AS(trace::merge_profiles({a, b}), BadInput);
    CHECK(trace::merge_profiles({a, b}, true).files.size() == 5);
  }
}

TEST_CASE("trace::write_profile and read_profile", "[trace]")
{
  test::TestDir dir;
  trace::Profile p = sample();
  trace::write_profile(p, dir / "p.json");
  CHECK(trace::serialize_profile(trace::read_profile(dir / "p.json")) == trace::serialize_profile(p));
  CHECK_THROWS_AS(trace::read_profile(dir / "absent.json"), Error);
}
