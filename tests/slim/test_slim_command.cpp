// `whittle slim` and `whittle verify` on the committed sample image (a real Debian-based app): trace,
// build, verify; and a slim that must fail verify. Needs the root sandbox.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

using namespace whittle;

namespace {


int
run_whittle(const std::string& args, std::string* out)
{
  return test::run_command(std::string(WHITTLE_BINARY) + " " + args, out);
}

} // namespace

TEST_CASE("whittle slim and verify on the sample image", "[slim][cli][userns][ptrace]")
{
  if (!test::have_root_sandbox()) {
    test::skip("whittle slim needs root, namespaces and ptrace");
    return;
  }
  test::TestDir t;
  std::string sample = std::string(WHITTLE_TESTDATA) + "/sample-app.oci.tar";
  std::string out;
  REQUIRE(
      run_whittle("slim " + sample + " -o oci:" + (t / "slim") + ":s --syscalls --artifacts " + (t / "art"),
                  &out) == 0);
  CHECK(out.find("verify passed") != std::string::npos);
  CHECK(out.find("Hello from a whittled image") != std::string::npos);
  auto report = nlohmann::json::parse(test::read_file(t / "art/report.json"));
  CHECK(report["user"]["user"] == "65532:65532");
  CHECK(report["after"]["files"].get<int>() < report["before"]["files"].get<int>() / 10);
  CHECK(test::path_exists(t / "art/seccomp.json"));
  CHECK(test::path_exists(t / "art/profile.json"));

  REQUIRE(run_whittle("verify " + sample + " oci:" + (t / "slim") + ":s", &out) == 0);
  CHECK(out.find("verify passed") != std::string::npos);

  // Without the app's data file the output differs: exit 1, the file is named, nothing is written.
  REQUIRE(run_whittle("slim " + sample + " -o oci:" + (t / "broken") + ":s --exclude-pattern '/app/share/**'",
                      &out) == 1);
  CHECK(out.find("/app/share/greeting.txt") != std::string::npos);
  CHECK_FALSE(test::path_exists(t / "broken"));
  CHECK_FALSE(test::path_exists(t / "broken.whittle"));
}
