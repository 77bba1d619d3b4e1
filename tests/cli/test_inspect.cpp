#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

using nlohmann::json;
using namespace whittle;

namespace {

std::string
whittle_cmd(const std::string& args)
{
  return std::string("'") + WHITTLE_BINARY + "' " + args;
}

// Runs whittle with stdout captured and stderr in a file; returns the exit status.
int
run_whittle(const test::TestDir& t, const std::string& args, std::string* out, std::string* err = nullptr)
{
  int rc = test::run_command(whittle_cmd(args) + " 2>'" + (t / "stderr") + "'", out, false);
  if (err) {
    *err = test::read_file(t / "stderr");
  }
  return rc;
}

test::FixtureImage
sample()
{
  test::FixtureImage fx;
  fx.cmd = {"--serve"};
  fx.user = "1000:1000";
  fx.working_dir = "/srv";
  fx.labels = {{"org.example.role", "test"}};
  fx.exposed_ports = {"8080/tcp", "53/udp"};
  fx.layers = {
      {test::dir("bin/"), test::file("bin/app", std::string(3000, 'a'), 0755),
       test::file("usr/share/doc/big.txt", std::string(5000, 'd')),
       test::file("tmp/cache", std::string(700, 'c'))},
      {test::file(".wh.tmp", ""), test::file("usr/share/doc/big.txt", "small"),
       test::hardlink("bin/app2", "bin/app")},
  };
  return fx;
}

} // namespace

TEST_CASE("cli inspect --json has the documented shape", "[cli]")
{
  test::TestDir t;
  test::FixtureImage fx = sample();
  std::string digest = test::write_oci_layout(fx, t / "img");
  std::string out, err;
  REQUIRE(run_whittle(t, "inspect oci:" + (t / "img") + ":latest --json", &out, &err) == 0);
  INFO(err);
  json j = json::parse(out);

  CHECK(j["manifest_digest"] == digest);
  CHECK(j["reference"] == "oci:" + (t / "img") + ":latest");
  CHECK(j["config"]["entrypoint"] == json({"/bin/app"}));
  CHECK(j["config"]["cmd"] == json({"--serve"}));
  CHECK(j["config"]["user"] == "1000:1000");
  CHECK(j["config"]["working_dir"] == "/srv");
  CHECK(j["config"]["env"] == json({"PATH=/usr/local/bin:/usr/bin:/bin"}));
  CHECK(j["config"]["exposed_ports"] == json({"53/udp", "8080/tcp"}));
  CHECK(j["config"]["labels"] == json({{"org.example.role", "test"}}));

  REQUIRE(j["layers"].is_array());
  REQUIRE(j["layers"].size() == 2);
  const json& l0 = j["layers"][0];
  for (const char* k :
       {"index", "digest", "media_type", "compression", "diff_id", "compressed_size", "uncompressed_size",
        "entries", "files", "file_bytes", "waste_bytes", "waste_files"}) {
    INFO(k);
    CHECK(l0.contains(k));
  }
  CHECK(l0["compression"] == "gzip");
  CHECK(l0["uncompressed_size"].get<uint64_t>() > l0["file_bytes"].get<uint64_t>());
  CHECK(l0["files"] == 4); // bin/, bin/app, big.txt, tmp/cache (implicit parents are not entries)
  // Layer 0 wastes tmp/cache (deleted) and the first big.txt (replaced): 700 + 5000 bytes in 2 files.
  CHECK(l0["waste_bytes"] == 5700);
  CHECK(l0["waste_files"] == 2);
  CHECK(j["layers"][1]["entries"] == 3);
  CHECK(j["layers"][1]["files"] == 2);
  CHECK(j["layers"][1]["waste_bytes"] == 0);

  REQUIRE(j["largest"].is_array());
  REQUIRE(j["largest"].size() == 2); // bin/app (with its hardlink counted once) and the new big.txt
  CHECK(j["largest"][0]["path"] == "/bin/app");
  CHECK(j["largest"][0]["size"] == 3000);
  CHECK(j["largest"][1]["path"] == "/usr/share/doc/big.txt");
  CHECK(j["largest"][1]["layer"] == 1);

  const json& tot = j["totals"];
  CHECK(tot["layers"] == 2);
  CHECK(tot["final_bytes"] == 3005);
  uint64_t kept = tot["file_bytes"].get<uint64_t>() - tot["waste_bytes"].get<uint64_t>();
  CHECK(kept == 3005);
  uint64_t sum =
      j["layers"][0]["compressed_size"].get<uint64_t>() + j["layers"][1]["compressed_size"].get<uint64_t>();
  CHECK(tot["compressed_size"].get<uint64_t>() == sum);
}

TEST_CASE("cli inspect prints an aligned table and reads every transport", "[cli]")
{
  test::TestDir t;
  test::FixtureImage fx = sample();
  fx.compression = "zstd";
  test::write_oci_archive(fx, t / "img.tar");
  test::write_docker_archive(fx, t / "docker.tar", "example/app:1");
  std::string out, err;
  REQUIRE(run_whittle(t, "inspect oci-archive:" + (t / "img.tar"), &out, &err) == 0);
  CHECK_THAT(out, Catch::Contains("Layers"));
  CHECK_THAT(out, Catch::Contains("Largest files"));
  CHECK_THAT(out, Catch::Contains("/usr/share/doc/big.txt"));
  CHECK_THAT(out, Catch::Contains("53/udp 8080/tcp"));
  CHECK_THAT(out, !Catch::Contains("\"layers\""));

  std::string docker_out;
  REQUIRE(run_whittle(t, "inspect docker-archive:" + (t / "docker.tar") + " --json", &docker_out, &err) == 0);
  json j = json::parse(docker_out);
  CHECK(j["layers"].size() == 2);
  CHECK(j["layers"][0]["compression"] == "none");
  CHECK(j["totals"]["final_bytes"] == 3005);
  // Bare paths are recognised too.
  REQUIRE(run_whittle(t, "inspect '" + (t / "img.tar") + "' --json", &out, &err) == 0);
  CHECK(json::parse(out)["layers"][0]["compression"] == "zstd");
}

TEST_CASE("cli inspect refuses bad input with exit 1 and usage errors with exit 2", "[cli]")
{
  test::TestDir t;
  test::FixtureImage fx = sample();
  std::string out, err;

  SECTION("a hostile entry names the layer and the entry")
  {
    fx.layers.push_back({test::file("../escape", "x")});
    test::write_oci_layout(fx, t / "img");
    CHECK(run_whittle(t, "inspect oci:" + (t / "img"), &out, &err) == 1);
    CHECK(out.empty());
    CHECK_THAT(err, Catch::Contains("entry `../escape`"));
    CHECK_THAT(err, Catch::Contains("escapes the root"));
  }
  SECTION("a missing blob")
  {
    test::write_oci_layout(fx, t / "img");
    REQUIRE(run_whittle(t, "inspect oci:" + (t / "img") + " --json", &out, &err) == 0);
    json j = json::parse(out);
    std::string layer_hex = j["layers"][1]["digest"].get<std::string>().substr(7);
    REQUIRE(std::remove((t / ("img/blobs/sha256/" + layer_hex)).c_str()) == 0);
    CHECK(run_whittle(t, "inspect oci:" + (t / "img"), &out, &err) == 1);
    CHECK(out.empty());
    CHECK_THAT(err, Catch::Contains(layer_hex.substr(0, 12)));
  }
  SECTION("usage errors")
  {
    CHECK(run_whittle(t, "inspect", &out, &err) == 2);
    CHECK(run_whittle(t, "inspect a b", &out, &err) == 2);
    CHECK(run_whittle(t, "inspect x --bogus", &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("--bogus"));
    test::write_oci_layout(fx, t / "img");
    CHECK(run_whittle(t, "inspect oci:" + (t / "img") + " --platform nonsense", &out, &err) == 2);
  }
  SECTION("help describes every flag")
  {
    REQUIRE(run_whittle(t, "inspect --help", &out, &err) == 0);
    for (const char* flag : {"--platform", "--json"}) {
      CHECK_THAT(out, Catch::Contains(flag));
    }
  }
}

TEST_CASE("cli inspect --platform picks a manifest from a multi-platform index", "[cli]")
{
  test::TestDir t;
  test::FixtureImage amd = sample();
  amd.architecture = "amd64";
  test::FixtureImage arm = sample();
  arm.architecture = "arm64";
  arm.layers.push_back({test::file("arm-only", "x")});
  std::string amd_digest = test::write_oci_layout(amd, t / "img");
  std::string arm_digest = test::write_oci_layout(arm, t / "arm");
  // Merge: the arm64 blobs join the layout, and the index lists both manifests with their platforms.
  REQUIRE(test::run_command("cp -n '" + (t / "arm/blobs/sha256") + "'/* '" + (t / "img/blobs/sha256") +
                            "'/") == 0);
  json index = json::parse(test::read_file(t / "img/index.json"));
  json arm_index = json::parse(test::read_file(t / "arm/index.json"));
  index["manifests"][0]["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
  arm_index["manifests"][0]["platform"] = {{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}};
  index["manifests"].push_back(arm_index["manifests"][0]);
  index["manifests"][0]["annotations"].erase("org.opencontainers.image.ref.name");
  index["manifests"][1]["annotations"].erase("org.opencontainers.image.ref.name");
  test::write_file(t / "img/index.json", index.dump());

  std::string out, err;
  REQUIRE(run_whittle(t, "inspect oci:" + (t / "img") + " --platform linux/arm64 --json", &out, &err) == 0);
  json j = json::parse(out);
  CHECK(j["manifest_digest"] == arm_digest);
  CHECK(j["layers"].size() == 3);
  REQUIRE(run_whittle(t, "inspect oci:" + (t / "img") + " --platform linux/amd64 --json", &out, &err) == 0);
  CHECK(json::parse(out)["manifest_digest"] == amd_digest);
  CHECK(run_whittle(t, "inspect oci:" + (t / "img") + " --platform linux/s390x", &out, &err) == 1);
  CHECK_THAT(err, Catch::Contains("s390x"));

  // convert carries the chosen platform's image only.
  REQUIRE(
      run_whittle(t, "convert oci:" + (t / "img") + " oci:" + (t / "arm-copy") + " --platform linux/arm64/v8",
                  &out, &err) == 0);
  REQUIRE(run_whittle(t, "inspect oci:" + (t / "arm-copy") + " --platform linux/arm64 --json", &out, &err) ==
          0);
  CHECK(json::parse(out)["layers"].size() == 3);
  CHECK(json::parse(out)["platform"] == "linux/arm64");
}
