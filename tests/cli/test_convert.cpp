#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

using nlohmann::json;
using namespace whittle;

namespace {

int
run_whittle(const test::TestDir& t, const std::string& args, std::string* out, std::string* err = nullptr)
{
  int rc = test::run_command(std::string("'") + WHITTLE_BINARY + "' " + args + " 2>'" + (t / "stderr") + "'",
                             out, false);
  if (err) {
    *err = test::read_file(t / "stderr");
  }
  return rc;
}

std::string
trim(std::string s)
{
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

test::FixtureImage
sample()
{
  test::FixtureImage fx;
  fx.cmd = {"serve"};
  fx.labels = {{"org.example.x", "y"}};
  fx.layers = {
      {test::dir("etc/"), test::file("etc/os-release", "ID=test\n"),
       test::file("bin/app", std::string(4096, 'a'), 0755), test::symlink("bin/sh", "app"),
       test::file("var/junk", std::string(2048, 'j'))},
      {test::file("var/.wh.junk", ""), test::hardlink("bin/app-link", "bin/app"),
       test::file("etc/motd", "hi")},
  };
  return fx;
}

json
inspect(const test::TestDir& t, const std::string& ref)
{
  std::string out, err;
  int rc = run_whittle(t, "inspect '" + ref + "' --json", &out, &err);
  INFO(err);
  REQUIRE(rc == 0);
  return json::parse(out);
}

std::vector<std::string>
diff_ids(const json& j)
{
  std::vector<std::string> out;
  for (const auto& l : j["layers"]) {
    out.push_back(l["diff_id"]);
  }
  return out;
}

// Independent check of an OCI layout written by convert: each layer blob's sha256 and the sha256 of its
// decompressed stream (zcat / zstdcat / cat) against the manifest and the config's diff_ids.
void
check_layout_independently(const std::string& dir, const std::string& compression)
{
  json index = json::parse(test::read_file(dir + "/index.json"));
  std::string mhex = index["manifests"][0]["digest"].get<std::string>().substr(7);
  json manifest = json::parse(test::read_file(dir + "/blobs/sha256/" + mhex));
  json config = json::parse(
      test::read_file(dir + "/blobs/sha256/" + manifest["config"]["digest"].get<std::string>().substr(7)));
  REQUIRE(manifest["layers"].size() == config["rootfs"]["diff_ids"].size());
  const char* decoder = compression == "gzip" ? "zcat" : compression == "zstd" ? "zstdcat" : "cat";
  for (size_t i = 0; i < manifest["layers"].size(); ++i) {
    const json& l = manifest["layers"][i];
    std::string path = dir + "/blobs/sha256/" + l["digest"].get<std::string>().substr(7);
    std::string blob = test::read_file(path);
    CHECK("sha256:" + test::sha256_hex(blob) == l["digest"]);
    CHECK(blob.size() == l["size"].get<size_t>());
    std::string sum;
    REQUIRE(test::run_command(std::string(decoder) + " '" + path + "' | sha256sum", &sum, false) == 0);
    CHECK("sha256:" + sum.substr(0, 64) == config["rootfs"]["diff_ids"][i]);
    std::string mt = l["mediaType"];
    if (compression == "none") {
      CHECK(mt == "application/vnd.oci.image.layer.v1.tar");
    } else {
      CHECK(mt == "application/vnd.oci.image.layer.v1.tar+" + compression);
    }
  }
}

} // namespace

TEST_CASE("cli convert re-encodes across transports and compressions, content unchanged", "[cli]")
{
  test::TestDir t;
  test::FixtureImage fx = sample();
  test::write_oci_layout(fx, t / "src");
  test::write_docker_archive(fx, t / "src-docker.tar", "example/app:1");
  json original = inspect(t, "oci:" + (t / "src") + ":latest");

  const std::vector<std::string> sources = {"oci:" + (t / "src") + ":latest",
                                            "docker-archive:" + (t / "src-docker.tar")};
  int n = 0;
  for (const auto& source : sources) {
    for (const char* comp : {"gzip", "zstd", "none"}) {
      for (const char* kind : {"oci", "oci-archive", "docker-archive"}) {
        std::string name = "out" + std::to_string(n++);
        std::string path = t / name;
        std::string dest =
            std::string(kind) + ":" + path + (std::string(kind) == "docker-archive" ? ":ex/out:v1" : "");
        INFO("convert " << source << " -> " << dest << " --compression " << comp);
        std::string out, err;
        int rc = run_whittle(t, "convert '" + source + "' '" + dest + "' --compression " + comp, &out, &err);
        INFO(err);
        REQUIRE(rc == 0);
        std::string digest = trim(out);
        CHECK(digest.rfind("sha256:", 0) == 0);
        CHECK(digest.size() == 71);

        json back = inspect(t, std::string(kind) + ":" + path);
        CHECK(diff_ids(back) == diff_ids(original));
        CHECK(back["config"] == original["config"]);
        CHECK(back["totals"]["final_bytes"] == original["totals"]["final_bytes"]);
        CHECK(back["totals"]["waste_bytes"] == original["totals"]["waste_bytes"]);
        std::string expected = std::string(kind) == "docker-archive" ? "none" : comp;
        for (const auto& l : back["layers"]) {
          CHECK(l["compression"] == expected);
        }
        if (std::string(kind) == "oci") {
          CHECK(back["manifest_digest"] == digest);
          check_layout_independently(path, comp);
        }
        if (std::string(kind) == "oci-archive") {
          CHECK(back["manifest_digest"] == digest);
          std::string listing;
          REQUIRE(test::run_command("tar -tf '" + path + "'", &listing, false) == 0);
          CHECK_THAT(listing, Catch::Contains("oci-layout"));
          CHECK_THAT(listing, Catch::Contains("index.json"));
        }
      }
    }
  }
}

TEST_CASE("cli convert is reproducible and prints JSON on request", "[cli]")
{
  test::TestDir t;
  test::FixtureImage fx = sample();
  test::write_oci_layout(fx, t / "src");
  std::string a, b, err;
  REQUIRE(run_whittle(t,
                      "convert oci:" + (t / "src") + " oci-archive:" + (t / "a.tar") + " --compression zstd",
                      &a, &err) == 0);
  REQUIRE(run_whittle(t,
                      "convert oci:" + (t / "src") + " oci-archive:" + (t / "b.tar") + " --compression zstd",
                      &b, &err) == 0);
  CHECK(a == b);
  CHECK(test::read_file(t / "a.tar") == test::read_file(t / "b.tar"));

  std::string out;
  REQUIRE(run_whittle(t, "convert oci:" + (t / "src") + " oci:" + (t / "c") + ":v2 --json", &out, &err) == 0);
  json j = json::parse(out);
  CHECK(j["compression"] == "gzip");
  CHECK(j["destination"] == "oci:" + (t / "c") + ":v2");
  REQUIRE(j["layers"].size() == 2);
  CHECK(j["layers"][0]["media_type"] == "application/vnd.oci.image.layer.v1.tar+gzip");
  json index = json::parse(test::read_file(t / "c/index.json"));
  CHECK(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "v2");
  CHECK(index["manifests"][0]["digest"] == j["manifest_digest"]);
}

TEST_CASE("cli convert leaves nothing at the destination on failure", "[cli]")
{
  test::TestDir t;
  test::FixtureImage fx = sample();
  test::write_oci_layout(fx, t / "src");
  std::string out, err;

  SECTION("a corrupt layer blob: exit 1, the blob named, no output")
  {
    json j = inspect(t, "oci:" + (t / "src"));
    std::string hex = j["layers"][1]["digest"].get<std::string>().substr(7);
    std::string blob_path = t / ("src/blobs/sha256/" + hex);
    std::string blob = test::read_file(blob_path);
    blob[blob.size() / 2] ^= 0x55;
    test::write_file(blob_path, blob);
    for (const char* dest : {"oci:", "oci-archive:", "docker-archive:"}) {
      INFO(dest);
      CHECK(run_whittle(t, "convert oci:" + (t / "src") + " " + dest + (t / "dst"), &out, &err) == 1);
      CHECK(out.empty());
      CHECK_THAT(err, Catch::Contains(hex.substr(0, 12)));
      CHECK_FALSE(test::path_exists(t / "dst"));
    }
    std::string leftovers;
    test::run_command("ls -A '" + t.path() + "'", &leftovers, false);
    CHECK_THAT(leftovers, !Catch::Contains(".whittle"));
  }
  SECTION("a hostile layer is still copied byte for byte: convert does not apply layers")
  {
    // convert keeps content unchanged; refusing hostile entries is the job of the stages that apply them.
    fx.layers.push_back({test::file("../escape", "x")});
    test::write_oci_layout(fx, t / "hostile");
    CHECK(run_whittle(t, "convert oci:" + (t / "hostile") + " oci:" + (t / "dst"), &out, &err) == 0);
    CHECK(run_whittle(t, "inspect oci:" + (t / "dst"), &out, &err) == 1);
    CHECK_THAT(err, Catch::Contains("entry `../escape`"));
  }
  SECTION("usage errors: exit 2, nothing written")
  {
    CHECK(run_whittle(t, "convert oci:" + (t / "src") + " oci:" + (t / "dst") + " --compression lzma", &out,
                      &err) == 2);
    CHECK_THAT(err, Catch::Contains("--compression"));
    CHECK(run_whittle(t, "convert oci:" + (t / "src"), &out, &err) == 2);
    CHECK(run_whittle(t, "convert", &out, &err) == 2);
    CHECK(run_whittle(t, "convert oci:" + (t / "src") + " oci:" + (t / "dst") + " --platform x", &out,
                      &err) == 2);
    CHECK_FALSE(test::path_exists(t / "dst"));
  }
  SECTION("help describes every flag")
  {
    REQUIRE(run_whittle(t, "convert --help", &out, &err) == 0);
    for (const char* flag : {"--compression", "--platform", "--json"}) {
      CHECK_THAT(out, Catch::Contains(flag));
    }
  }
}
