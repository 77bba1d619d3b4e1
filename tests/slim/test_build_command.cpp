// `whittle build` end to end on a generated image and a hand-written profile (no tracing): exit codes,
// output, artifacts, usage errors checked before any work, nothing left at the destination on failure.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <whittle/oci/image.hpp>
#include <whittle/trace/profile.hpp>

using namespace whittle;

namespace {

std::string
setup(const test::TestDir& t)
{
  test::FixtureImage img;
  img.layers = {{test::dir("etc"), test::file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), test::dir("app"),
                 test::file("app/run", "#!/app/interp\n", 0755), test::file("app/interp", "x", 0755),
                 test::file("app/unused", "unused"), test::dir("usr"), test::dir("usr/share"),
                 test::dir("usr/share/doc"), test::file("usr/share/doc/README", "docs")}};
  img.entrypoint = {"/app/run"};
  test::write_oci_layout(img, t / "img");
  trace::Profile p;
  p.add("/app/run", trace::Access::exec);
  trace::RunRecord run;
  run.argv = {"/app/run"};
  run.exit_code = 0;
  p.runs.push_back(run);
  trace::write_profile(p, t / "p.json");
  return "oci:" + (t / "img") + ":latest";
}

int
run_whittle(const std::string& args, std::string* out = nullptr)
{
  return test::run_command(std::string(WHITTLE_BINARY) + " " + args, out);
}

} // namespace

TEST_CASE("whittle build writes the slimmed image and its artifacts", "[slim][cli]")
{
  test::TestDir t;
  std::string src = setup(t);
  std::string out;
  REQUIRE(run_whittle("build " + src + " --profile " + (t / "p.json") + " -o oci:" + (t / "out") + ":slim",
                      &out) == 0);
  CHECK(out.find("not-traced") != std::string::npos);
  oci::Image img = oci::open_image(oci::parse_reference("oci:" + (t / "out") + ":slim"));
  CHECK(img.layers.size() == 1);
  CHECK(img.config.user() == "65532:65532");
  CHECK(img.config.labels().at("io.whittle.read-only-rootfs") == "true");
  for (const char* f : {"report.json", "run-flags.txt", "securitycontext.yaml", "profile.json"}) {
    CHECK(test::path_exists(t / (std::string("out.whittle/") + f)));
  }
  CHECK_FALSE(test::path_exists(t / "out.whittle/seccomp.json")); // the profile has no syscall set
  auto report = nlohmann::json::parse(test::read_file(t / "out.whittle/report.json"));
  CHECK(report["after"]["files"] == 3); // run, interp (shebang), passwd (base rule)
  CHECK(report["removed_by_reason"]["strip:docs"]["files"] == 1);
  CHECK(report["removed_by_reason"]["not-traced"]["files"] == 1);

  SECTION("--json prints the report")
  {
    std::string json;
    REQUIRE(run_whittle("build " + src + " --profile " + (t / "p.json") + " -o oci:" + (t / "out2") +
                            ":slim --artifacts " + (t / "art2") + " --json --no-strip --user keep",
                        &json) == 0);
    auto j = nlohmann::json::parse(json.substr(json.find('{')));
    CHECK(j["user"]["changed"] == false);
    CHECK(j["removed_by_reason"].count("strip:docs") == 0);
    CHECK(test::path_exists(t / "art2/report.json"));
  }
}

TEST_CASE("whittle build refuses bad usage before any work and leaves nothing behind", "[slim][cli]")
{
  test::TestDir t;
  std::string src = setup(t);
  std::string dest = " -o oci:" + (t / "out") + ":slim";
  std::string prof = " --profile " + (t / "p.json");
  std::string msg;
  CHECK(run_whittle("build " + src + dest, &msg) == 2);
  CHECK(msg.find("--profile") != std::string::npos);
  CHECK(run_whittle("build " + src + prof, &msg) == 2);
  CHECK(run_whittle("build " + src + prof + dest + " --user bob", &msg) == 2);
  CHECK(msg.find("--user") != std::string::npos);
  CHECK(run_whittle("build " + src + prof + dest + " --compression lzma", &msg) == 2);
  CHECK(run_whittle("build " + src + prof + dest + " --exclude-pattern relative/*", &msg) == 2);
  CHECK(run_whittle("build " + src + prof + dest + " --include-path /nope", &msg) == 2);
  CHECK(msg.find("/nope") != std::string::npos);
  test::write_file(t / "bad-rules.json", R"({"schema":"whittle/rules/v1","name":"x","kepe":[]})");
  CHECK(run_whittle("build " + src + prof + dest + " --rules " + (t / "bad-rules.json"), &msg) == 1);
  CHECK(msg.find("bad-rules.json") != std::string::npos);
  test::write_file(t / "bad-profile.json", "{");
  CHECK(run_whittle("build " + src + " --profile " + (t / "bad-profile.json") + dest, &msg) == 1);
  CHECK_FALSE(test::path_exists(t / "out"));
  CHECK_FALSE(test::path_exists(t / "out.whittle"));
}
