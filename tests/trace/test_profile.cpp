#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <support/test_support.hpp>
#include <sys/stat.h>
#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>

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
  r.refused = {{"keyctl", 2}, {"ioctl(TIOCSTI)", 1}};
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
  CHECK(q.files.at("/bin/app").access ==
        (static_cast<uint16_t>(Access::exec) | static_cast<uint16_t>(Access::read)));
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
  CHECK_THROWS_AS(trace::parse_profile(
                      R"({"schema":"whittle/profile/v1","files":[{"path":"/a","access":["eat"]}]})", "x"),
                  BadInput);
  CHECK_THROWS_AS(
      trace::parse_profile(R"({"schema":"whittle/profile/v1","files":[{"path":"a/../b","access":[]}]})", "x"),
      BadInput);
  CHECK_THROWS_AS(trace::parse_profile(R"({"schema":"whittle/profile/v1","files":[{"access":[]}]})", "x"),
                  BadInput);
  CHECK_THROWS_WITH(
      trace::parse_profile(R"({"schema":"whittle/profile/v1","runs":[{"exit_code":"no"}]})", "p.json"),
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
  // Through util::read_bounded: a FIFO is refused at once (it would block), as is a directory.
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK_THROWS_AS(trace::read_profile(dir / "fifo"), BadInput);
  CHECK_THROWS_AS(trace::read_profile(dir.path()), BadInput);
}

TEST_CASE("trace::serialize_profile writes what a JSON library writes for the same document", "[trace]")
{
  trace::Profile p = sample();
  std::string text = trace::serialize_profile(p);
  CHECK(nlohmann::ordered_json::parse(text).dump(2) + "\n" == text);
  p.files.clear();
  p.special.clear();
  p.syscalls = std::set<std::string>{"read"};
  text = trace::serialize_profile(p);
  CHECK(nlohmann::ordered_json::parse(text).dump(2) + "\n" == text);
}

TEST_CASE("trace::Profile refused counts: written, read, kept per run by a merge", "[trace]")
{
  trace::Profile p = sample();
  std::string text = trace::serialize_profile(p);
  CHECK(text.find("\"refused\": {") != std::string::npos);
  trace::Profile q = trace::parse_profile(text, "t");
  CHECK(q.runs.at(0).refused == p.runs.at(0).refused);
  trace::Profile m = trace::merge_profiles({p, q});
  REQUIRE(m.runs.size() == 2);
  CHECK(m.runs[0].refused.at("keyctl") == 2);
  CHECK(m.runs[1].refused.at("keyctl") == 2);
  CHECK_THROWS_AS(
      trace::parse_profile(R"({"schema":"whittle/profile/v1","runs":[{"refused":{"keyctl":-1}}]})", "x"),
      BadInput);
  CHECK_THROWS_AS(
      trace::parse_profile(R"({"schema":"whittle/profile/v1","runs":[{"refused":["keyctl"]}]})", "x"),
      BadInput);
}

TEST_CASE("trace::escape_profile_string keeps any bytes in valid UTF-8", "[trace]")
{
  using trace::escape_profile_string;
  using trace::unescape_profile_string;
  CHECK(escape_profile_string("/usr/lib/x.so") == "/usr/lib/x.so");
  CHECK(escape_profile_string("/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80") ==
        "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80");
  CHECK(escape_profile_string("/a\\b") == "/a\\\\b");
  CHECK(escape_profile_string("/\xff") == "/\\xff");
  CHECK(escape_profile_string("/\xc3") == "/\\xc3");                            // cut sequence
  CHECK(escape_profile_string("/\xc0\xaf") == "/\\xc0\\xaf");                   // overlong "/"
  CHECK(escape_profile_string("/\xed\xa0\x80") == "/\\xed\\xa0\\x80");          // a surrogate
  CHECK(escape_profile_string("/\xf4\x90\x80\x80") == "/\\xf4\\x90\\x80\\x80"); // past U+10FFFF
  // Every byte value, alone and in company, comes back exactly; the escaped form is valid JSON text.
  std::string all;
  for (int b = 1; b < 256; ++b) {
    all += static_cast<char>(b);
    all += "\xc3";
    all += static_cast<char>(b);
  }
  std::string escaped = escape_profile_string(all);
  CHECK(unescape_profile_string(escaped) == all);
  CHECK_NOTHROW(nlohmann::json(escaped).dump());
  // Older profiles: a backslash before anything else stays.
  CHECK(unescape_profile_string("C:\\dir\\q") == "C:\\dir\\q");
  CHECK(unescape_profile_string("a\\xZ1") == "a\\xZ1");
  // Through a whole profile.
  trace::Profile p;
  p.add("/tmp/\xff\xfe", Access::create);
  p.add("/l", Access::stat, "\x80target");
  p.runs.push_back({});
  p.runs[0].argv = {"/bin/app", "\xfe"};
  trace::Profile q = trace::parse_profile(trace::serialize_profile(p), "t");
  CHECK(q.files == p.files);
  CHECK(q.runs.at(0).argv == p.runs[0].argv);
}

TEST_CASE("trace::Profile switched_user and capabilities: written, read, kept per run",
          "[trace][constraints]")
{
  trace::Profile p = sample();
  std::string plain = trace::serialize_profile(p);
  CHECK(plain.find("switched_user") == std::string::npos); // absent when empty
  CHECK(plain.find("capabilities") == std::string::npos);
  p.runs[0].switched_user = "101:102";
  p.runs[0].capabilities = {"CHOWN", "SETGID", "SETUID"};
  std::string text = trace::serialize_profile(p);
  CHECK(text.find("\"switched_user\": \"101:102\"") != std::string::npos);
  trace::Profile q = trace::parse_profile(text, "t");
  CHECK(q.runs.at(0).switched_user == "101:102");
  CHECK(q.runs.at(0).capabilities == std::vector<std::string>{"CHOWN", "SETGID", "SETUID"});
  CHECK(trace::serialize_profile(q) == text);
  trace::Profile m = trace::merge_profiles({trace::parse_profile(plain, "t"), q});
  REQUIRE(m.runs.size() == 2);
  CHECK(m.runs[0].switched_user.empty());
  CHECK(m.runs[1].switched_user == "101:102");
  CHECK(m.runs[1].capabilities.size() == 3);
  CHECK_THROWS_AS(
      trace::parse_profile(R"({"schema":"whittle/profile/v1","runs":[{"switched_user":101}]})", "x"),
      BadInput);
  CHECK_THROWS_AS(
      trace::parse_profile(R"({"schema":"whittle/profile/v1","runs":[{"capabilities":"CHOWN"}]})", "x"),
      BadInput);
}
