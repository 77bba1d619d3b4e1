#include "support/test_support.hpp"

#include <boost/filesystem.hpp>
#include <catch2/catch.hpp>
#include <thread>
#include <unistd.h>
#include <whittle/archive/compression.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/oci/media_types.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::oci;
using nlohmann::json;
namespace fs = boost::filesystem;

namespace {

std::string
read_layer(const Image& img, size_t i)
{
  auto src = open_layer(img, i);
  util::StringSink sink;
  util::copy_stream(*src, sink);
  return sink.take();
}

test::FixtureImage
two_layer_image(const std::string& compression)
{
  test::FixtureImage img;
  img.compression = compression;
  img.layers = {{test::dir("bin"), test::file("bin/app", "#!/bin/sh\necho hi\n", 0755)},
                {test::file("etc/motd", "hello\n"), test::symlink("bin/sh", "app")}};
  img.cmd = {"--serve"};
  img.user = "1000";
  return img;
}

// Hand-made layouts, for inputs the fixture builder will not produce.
struct RawLayout
{
  std::string dir;

  explicit RawLayout(std::string d) : dir(std::move(d))
  {
    fs::create_directories(dir + "/blobs/sha256");
    test::write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
  json put(const std::string& data, const std::string& media_type)
  {
    std::string hex = test::sha256_hex(data);
    test::write_file(dir + "/blobs/sha256/" + hex, data);
    return {{"mediaType", media_type}, {"digest", "sha256:" + hex}, {"size", data.size()}};
  }
  json image(const std::string& arch, const std::vector<std::string>& tars, std::string layer_type = "",
             json diff_ids = nullptr)
  {
    json layers = json::array();
    json ids = json::array();
    for (const auto& t : tars) {
      layers.push_back(put(t, layer_type.empty() ? std::string(media_type::k_oci_layer) : layer_type));
      ids.push_back("sha256:" + test::sha256_hex(t));
    }
    json cfg = {{"architecture", arch},
                {"os", "linux"},
                {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids.is_null() ? ids : diff_ids}}}};
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", media_type::k_oci_manifest},
                     {"config", put(cfg.dump(), std::string(media_type::k_oci_config))},
                     {"layers", layers}};
    return put(manifest.dump(), std::string(media_type::k_oci_manifest));
  }
  void index(const std::vector<json>& manifests)
  {
    json j = {{"schemaVersion", 2}, {"manifests", json::array()}};
    for (const auto& m : manifests) {
      j["manifests"].push_back(m);
    }
    test::write_file(dir + "/index.json", j.dump());
  }
};

json
with(json d, const std::string& key, json value)
{
  d[key] = std::move(value);
  return d;
}

json
tagged(json d, const std::string& tag)
{
  d["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  return d;
}

json
platform(const std::string& arch)
{
  return {{"os", "linux"}, {"architecture", arch}};
}

void
flip_byte(const std::string& path, size_t at_from_end)
{
  std::string data = test::read_file(path);
  data[data.size() - at_from_end] ^= 0x01;
  test::write_file(path, data);
}

} // namespace

TEST_CASE("oci::open_image reads every transport and compression", "[oci]")
{
  test::TestDir t;
  for (std::string comp : {"none", "gzip", "zstd"}) {
    INFO(comp);
    test::FixtureImage fx = two_layer_image(comp);
    std::string digest = test::write_oci_layout(fx, t / ("layout-" + comp));
    test::write_oci_archive(fx, t / ("oci-" + comp + ".tar"));
    std::vector<std::string> refs = {"oci:" + t / ("layout-" + comp),
                                     "oci:" + t / ("layout-" + comp) + ":latest",
                                     "oci-archive:" + t / ("oci-" + comp + ".tar")};
    for (const auto& r : refs) {
      INFO(r);
      Image img = open_image(parse_reference(r));
      CHECK(img.manifest_digest.str() == digest);
      REQUIRE(img.layers.size() == 2);
      CHECK(img.layers[0].compression == *archive::parse_compression(comp));
      CHECK(img.config.entrypoint() == std::vector<std::string>{"/bin/app"});
      CHECK(img.config.user() == "1000");
      CHECK(img.platform == Platform::host());
      CHECK(read_layer(img, 0) == test::make_tar(fx.layers[0]));
      CHECK(read_layer(img, 1) == test::make_tar(fx.layers[1]));
    }
  }
  CHECK_THROWS_AS(open_layer(open_image(parse_reference("oci:" + t / "layout-none")), 2), Error);
}

TEST_CASE("oci::open_image reads docker-archive and selects by name", "[oci]")
{
  test::TestDir t;
  test::FixtureImage fx = two_layer_image("none");
  test::write_docker_archive(fx, t / "d.tar", "localhost/app:1.0");
  for (std::string r :
       {"docker-archive:" + t / "d.tar", "docker-archive:" + t / "d.tar:localhost/app:1.0", t / "d.tar"}) {
    INFO(r);
    Image img = open_image(parse_reference(r));
    CHECK(img.manifest.media_type == media_type::k_docker_manifest);
    CHECK(img.manifest.config.media_type == media_type::k_docker_config);
    REQUIRE(img.layers.size() == 2);
    CHECK(img.layers[0].descriptor.media_type == media_type::k_docker_layer);
    CHECK(img.layers[0].descriptor.digest == img.layers[0].diff_id);
    CHECK(read_layer(img, 0) == test::make_tar(fx.layers[0]));
    CHECK(read_layer(img, 1) == test::make_tar(fx.layers[1]));
    CHECK(img.config.cmd() == std::vector<std::string>{"--serve"});
  }
  // Equal inputs give the same synthesized manifest digest.
  CHECK(open_image(parse_reference(t / "d.tar")).manifest_digest ==
        open_image(parse_reference("docker-archive:" + t / "d.tar")).manifest_digest);
  CHECK_THROWS_WITH(open_image(parse_reference("docker-archive:" + t / "d.tar:other:2")),
                    Catch::Contains("no such name") && Catch::Contains("localhost/app:1.0"));

  SECTION("a corrupt byte in an uncompressed layer member")
  {
    std::string data = test::read_file(t / "d.tar");
    size_t at = data.find("echo hi");
    REQUIRE(at != std::string::npos);
    data[at] = 'E';
    test::write_file(t / "bad.tar", data);
    Image img = open_image(parse_reference("docker-archive:" + t / "bad.tar"));
    CHECK_THROWS_WITH(read_layer(img, 0), Catch::Contains("digest mismatch") && Catch::Contains("bad.tar"));
    CHECK(read_layer(img, 1) == test::make_tar(fx.layers[1]));
  }
  SECTION("docker.io short names match")
  {
    test::write_docker_archive(fx, t / "hub.tar", "docker.io/library/busybox:latest");
    CHECK_NOTHROW(open_image(parse_reference("docker-archive:" + t / "hub.tar:busybox")));
  }
  SECTION("compressed layers inside a docker-archive")
  {
    // docker save of some engines stores gzip layers; the digest is then hashed from the member.
    fs::create_directories(t / "dz");
    std::string tar0 = test::make_tar(fx.layers[0]);
    std::string gz = test::gzip(tar0);
    json cfg = {{"architecture", "amd64"},
                {"os", "linux"},
                {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + test::sha256_hex(tar0)}}}}};
    test::write_file(t / "dz/cfg.json", cfg.dump());
    test::write_file(t / "dz/l0/layer.tar", gz);
    test::write_file(
        t / "dz/manifest.json",
        json::array({{{"Config", "cfg.json"}, {"RepoTags", nullptr}, {"Layers", {"l0/layer.tar"}}}}).dump());
    test::tar_directory(t / "dz", t / "dz.tar");
    Image img = open_image(parse_reference("docker-archive:" + t / "dz.tar"));
    REQUIRE(img.layers.size() == 1);
    CHECK(img.layers[0].compression == archive::Compression::gzip);
    CHECK(img.layers[0].descriptor.digest.hex == test::sha256_hex(gz));
    CHECK(read_layer(img, 0) == tar0);
  }
  SECTION("layers named through symlinks, as docker save and podman write them")
  {
    fs::create_directories(t / "ds/abc");
    std::string tar0 = test::make_tar(fx.layers[0]);
    std::string hex = test::sha256_hex(tar0);
    json cfg = {{"architecture", "amd64"},
                {"os", "linux"},
                {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + hex}}}}};
    test::write_file(t / "ds/cfg.json", cfg.dump());
    test::write_file(t / ("ds/" + hex + ".tar"), tar0);
    fs::create_symlink("../" + hex + ".tar", t / "ds/abc/layer.tar");
    fs::create_directories(t / "ds/evil");
    fs::create_symlink("../../../../etc/passwd", t / "ds/evil/layer.tar");
    test::write_file(
        t / "ds/manifest.json",
        json::array({{{"Config", "cfg.json"}, {"RepoTags", {"good:1"}}, {"Layers", {"abc/layer.tar"}}},
                     {{"Config", "cfg.json"}, {"RepoTags", {"evil:1"}}, {"Layers", {"evil/layer.tar"}}}})
            .dump());
    test::tar_directory(t / "ds", t / "ds.tar");
    Image img = open_image(parse_reference("docker-archive:" + t / "ds.tar:good:1"));
    CHECK(read_layer(img, 0) == tar0);
    CHECK_THROWS_WITH(open_image(parse_reference("docker-archive:" + t / "ds.tar:evil:1")),
                      Catch::Contains("evil/layer.tar") && Catch::Contains("missing"));
  }
  SECTION("several images need a name")
  {
    fs::create_directories(t / "two");
    test::write_docker_archive(fx, t / "one.tar", "a:1");
    // Reuse one image's members under two names.
    CHECK(test::run_command("tar -C '" + t / "two" + "' -xf '" + t / "one.tar" + "'") == 0);
    json m = json::parse(test::read_file(t / "two/manifest.json"));
    json second = m[0];
    second["RepoTags"] = {"b:2"};
    m.push_back(second);
    test::write_file(t / "two/manifest.json", m.dump());
    test::tar_directory(t / "two", t / "two.tar");
    CHECK_THROWS_WITH(open_image(parse_reference("docker-archive:" + t / "two.tar")),
                      Catch::Contains("holds 2 images") && Catch::Contains("b:2"));
    CHECK_NOTHROW(open_image(parse_reference("docker-archive:" + t / "two.tar:b:2")));
  }
}

TEST_CASE("oci::open_image selects by tag and digest", "[oci]")
{
  test::TestDir t;
  RawLayout l(t / "l");
  std::string tar_a = test::make_tar({test::file("a", "A")});
  std::string tar_b = test::make_tar({test::file("b", "B")});
  json a = l.image("amd64", {tar_a});
  json b = l.image("amd64", {tar_b});
  l.index({tagged(a, "a"), tagged(b, "b")});
  CHECK(read_layer(open_image(parse_reference("oci:" + l.dir + ":b")), 0) == tar_b);
  CHECK(read_layer(open_image(parse_reference("oci:" + l.dir + ":a")), 0) == tar_a);
  CHECK(open_image(parse_reference("oci:" + l.dir + "@" + b["digest"].get<std::string>()))
            .manifest_digest.str() == b["digest"]);
  CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir)),
                    Catch::Contains("choose one by tag (available tags: a, b)"));
  CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir + ":zzz")),
                    Catch::Contains("no such tag") && Catch::Contains("available tags: a, b"));
  CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir + "@sha256:" + std::string(64, 'e'))),
                    Catch::Contains("no manifest with that digest"));
}

TEST_CASE("oci::open_image resolves a multi-platform index", "[oci]")
{
  test::TestDir t;
  RawLayout l(t / "l");
  std::string tar_amd = test::make_tar({test::file("arch", "amd64")});
  std::string tar_arm = test::make_tar({test::file("arch", "arm64")});
  json amd = with(l.image("amd64", {tar_amd}), "platform", platform("amd64"));
  json arm = with(l.image("arm64", {tar_arm}), "platform", platform("arm64"));

  SECTION("platforms listed in index.json")
  {
    l.index({amd, arm});
  }
  SECTION("a nested index under a tag")
  {
    json nested = {{"schemaVersion", 2}, {"mediaType", media_type::k_oci_index}, {"manifests", {amd, arm}}};
    l.index({tagged(l.put(nested.dump(), std::string(media_type::k_oci_index)), "multi")});
  }
  ImageRef ref = parse_reference("oci:" + l.dir);
  Image arm_img = open_image(ref, Platform::parse("linux/arm64"));
  CHECK(arm_img.platform.architecture == "arm64");
  CHECK(read_layer(arm_img, 0) == tar_arm);
  CHECK(read_layer(open_image(ref, Platform::parse("linux/amd64")), 0) == tar_amd);
  if (Platform::host().architecture == "amd64" || Platform::host().architecture == "arm64") {
    CHECK(open_image(ref).platform.architecture == Platform::host().architecture);
  }
  CHECK_THROWS_WITH(open_image(ref, Platform::parse("linux/s390x")),
                    Catch::Contains("linux/s390x") && Catch::Contains("available: linux/amd64, linux/arm64"));
}

TEST_CASE("oci::open_image refuses broken and hostile layouts", "[oci]")
{
  test::TestDir t;
  std::string tar = test::make_tar({test::file("x", "content of x")});

  SECTION("digest mismatch in a layer is found while streaming")
  {
    test::FixtureImage fx = two_layer_image("gzip");
    test::write_oci_layout(fx, t / "l");
    Image img = open_image(parse_reference("oci:" + t / "l"));
    flip_byte(t / ("l/blobs/sha256/" + img.layers[1].descriptor.digest.hex), 10);
    CHECK_THROWS_WITH(read_layer(img, 1), Catch::Contains(img.layers[1].descriptor.digest.str()));
    CHECK_THROWS_AS(read_layer(img, 1), BadInput);
    CHECK(read_layer(img, 0) == test::make_tar(fx.layers[0]));
  }
  SECTION("corrupt config or manifest")
  {
    test::FixtureImage fx = two_layer_image("none");
    test::write_oci_layout(fx, t / "l");
    Image img = open_image(parse_reference("oci:" + t / "l"));
    flip_byte(t / ("l/blobs/sha256/" + img.config_digest.hex), 2);
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + t / "l")),
                      Catch::Contains(img.config_digest.str()));
    flip_byte(t / ("l/blobs/sha256/" + img.manifest_digest.hex), 2);
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + t / "l")),
                      Catch::Contains(img.manifest_digest.str()));
  }
  SECTION("missing blobs")
  {
    test::FixtureImage fx = two_layer_image("gzip");
    test::write_oci_layout(fx, t / "l");
    Image img = open_image(parse_reference("oci:" + t / "l"));
    fs::remove(t / ("l/blobs/sha256/" + img.layers[0].descriptor.digest.hex));
    CHECK_THROWS_WITH(read_layer(img, 0),
                      Catch::Contains("open blob " + img.layers[0].descriptor.digest.str()) &&
                          Catch::Contains(": missing"));
    fs::remove(t / ("l/blobs/sha256/" + img.config_digest.hex));
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + t / "l")), Catch::Contains(": missing"));
    fs::remove(t / "l/index.json");
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + t / "l")), Catch::Contains("index.json"));
    fs::remove(t / "l/oci-layout");
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + t / "l")), Catch::Contains("oci-layout"));
  }
  SECTION("a symlinked blob leading outside is refused")
  {
    RawLayout l(t / "l");
    json m = l.image("amd64", {tar});
    l.index({m});
    Image img = open_image(parse_reference("oci:" + l.dir));
    std::string blob = l.dir + "/blobs/sha256/" + img.layers[0].descriptor.digest.hex;
    test::write_file(t / "outside", tar);
    fs::remove(blob);
    fs::create_symlink(t / "outside", blob);
    CHECK_THROWS_WITH(read_layer(img, 0), Catch::Contains("symlink"));
  }
  SECTION("unknown layer media type, layer/diff_id disagreement, diff_id mismatch")
  {
    RawLayout l(t / "l");
    l.index({l.image("amd64", {tar}, "application/vnd.example.layer+lz4")});
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir)),
                      Catch::Contains("unknown layer media type `application/vnd.example.layer+lz4`"));
    l.index({l.image("amd64", {tar}, "", json::array())});
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir)),
                      Catch::Contains("1 layers but the config has 0 diff_ids"));
    l.index({l.image("amd64", {tar}, "", json::array({"sha256:" + std::string(64, 'c')}))});
    Image img = open_image(parse_reference("oci:" + l.dir));
    CHECK_THROWS_WITH(read_layer(img, 0), Catch::Contains("diff_id"));
  }
  SECTION("invalid index.json and unknown manifest media type")
  {
    RawLayout l(t / "l");
    test::write_file(l.dir + "/index.json", "{\"schemaVersion\": 2, \"manifests\": [");
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir)), Catch::Contains("invalid JSON"));
    json m = l.image("amd64", {tar});
    l.index({with(m, "mediaType", "application/vnd.example.thing")});
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir)),
                      Catch::Contains("unknown media type `application/vnd.example.thing`"));
  }
  SECTION("an index that points to itself")
  {
    RawLayout l(t / "l");
    std::string fake = "sha256:" + std::string(64, 'd');
    json self = {{"schemaVersion", 2},
                 {"manifests", {{{"mediaType", media_type::k_oci_index}, {"digest", fake}, {"size", 10}}}}};
    std::string bytes = self.dump();
    self["manifests"][0]["size"] = bytes.size();
    bytes = self.dump();
    test::write_file(l.dir + "/blobs/sha256/" + std::string(64, 'd'), bytes);
    l.index({json{{"mediaType", media_type::k_oci_index}, {"digest", fake}, {"size", bytes.size()}}});
    // The blob cannot hash to its own name, so verification stops it before any loop could start.
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir)),
                      Catch::Contains(fake) && Catch::Contains("mismatch"));
    CHECK_THROWS_AS(open_image(parse_reference("oci:" + l.dir)), BadInput);
  }
  SECTION("a config larger than the JSON limit")
  {
    RawLayout l(t / "l");
    json cfg = {{"os", "linux"},
                {"architecture", "amd64"},
                {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
                {"pad", std::string(5 << 20, 'x')}};
    json manifest = {{"schemaVersion", 2},
                     {"config", l.put(cfg.dump(), std::string(media_type::k_oci_config))},
                     {"layers", json::array()}};
    l.index({l.put(manifest.dump(), std::string(media_type::k_oci_manifest))});
    CHECK_THROWS_WITH(open_image(parse_reference("oci:" + l.dir)), Catch::Contains("limit"));
  }
}

TEST_CASE("oci::open_image refuses broken archives", "[oci]")
{
  test::TestDir t;
  test::FixtureImage fx = two_layer_image("gzip");
  test::write_oci_archive(fx, t / "a.tar");
  std::string data = test::read_file(t / "a.tar");

  SECTION("truncated")
  {
    // Cut in a header, in the middle, and inside the last member (oci-layout: tar pads the end with zeros).
    size_t last = data.rfind("imageLayoutVersion");
    REQUIRE(last != std::string::npos);
    for (size_t keep : {size_t(100), data.size() / 2, last + 4}) {
      INFO(keep);
      test::write_file(t / "cut.tar", data.substr(0, keep));
      CHECK_THROWS_AS(open_image(parse_reference("oci-archive:" + t / "cut.tar")), BadInput);
    }
  }
  SECTION("not a tar, or compressed")
  {
    test::write_file(t / "junk.tar", std::string(4096, 'j'));
    CHECK_THROWS_AS(open_image(parse_reference("oci-archive:" + t / "junk.tar")), BadInput);
    test::write_file(t / "a.tar.gz", test::gzip(data));
    CHECK_THROWS_WITH(open_image(parse_reference("oci-archive:" + t / "a.tar.gz")),
                      Catch::Contains("compressed"));
    CHECK_THROWS_WITH(open_image(parse_reference("docker-archive:" + t / "a.tar")),
                      Catch::Contains("manifest.json"));
  }
  SECTION("a corrupt byte inside a layer member")
  {
    Image img = open_image(parse_reference("oci-archive:" + t / "a.tar"));
    size_t at = data.find(test::gzip(test::make_tar(fx.layers[1])));
    REQUIRE(at != std::string::npos);
    data[at + 20] ^= 0x40;
    test::write_file(t / "bad.tar", data);
    Image bad = open_image(parse_reference("oci-archive:" + t / "bad.tar"));
    CHECK_NOTHROW(read_layer(bad, 0));
    CHECK_THROWS_AS(read_layer(bad, 1), BadInput);
  }
  SECTION("streams read from several threads at once")
  {
    Image img = open_image(parse_reference("oci-archive:" + t / "a.tar"));
    std::string got0, got1;
    std::thread th([&] { got1 = read_layer(img, 1); });
    got0 = read_layer(img, 0);
    th.join();
    CHECK(got0 == test::make_tar(fx.layers[0]));
    CHECK(got1 == test::make_tar(fx.layers[1]));
  }
}

TEST_CASE("oci archives: members behind pax headers and hardlinks; duplicates and escapes refused", "[oci]")
{
  test::TestDir t;
  std::string tar0 = test::make_tar({test::file("f", "layer content")});
  std::string hex = test::sha256_hex(tar0);
  json cfg = {{"architecture", "amd64"},
              {"os", "linux"},
              {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + hex}}}}};
  // > 100 characters: libarchive writes a pax extended header before the entry's own.
  std::string long_name = "layers/" + std::string(130, 'l') + ".tar"; // no ustar split fits
  auto docker = [&](const std::vector<test::FixtureEntry>& extra, const std::string& layer_name) {
    std::vector<test::FixtureEntry> entries = {test::file("cfg.json", cfg.dump()),
                                               test::file(long_name, tar0)};
    entries.insert(entries.end(), extra.begin(), extra.end());
    entries.push_back(test::file(
        "manifest.json",
        json::array({{{"Config", "cfg.json"}, {"RepoTags", {"x:1"}}, {"Layers", {layer_name}}}}).dump()));
    return test::make_tar(entries);
  };

  test::write_file(t / "pax.tar", docker({}, long_name));
  REQUIRE(test::read_file(t / "pax.tar").find(" path=layers/") != std::string::npos); // a pax record is there
  CHECK(read_layer(open_image(parse_reference("docker-archive:" + t / "pax.tar")), 0) == tar0);

  test::write_file(t / "hard.tar", docker({test::hardlink("other/layer.tar", long_name)}, "other/layer.tar"));
  CHECK(read_layer(open_image(parse_reference("docker-archive:" + t / "hard.tar")), 0) == tar0);

  test::write_file(t / "dup.tar", docker({test::file("cfg.json", "{}")}, long_name));
  CHECK_THROWS_WITH(open_image(parse_reference("docker-archive:" + t / "dup.tar")),
                    Catch::Contains("duplicate entry `cfg.json`"));

  test::write_file(t / "up.tar", docker({test::file("../escape", "x")}, long_name));
  CHECK_THROWS_WITH(open_image(parse_reference("docker-archive:" + t / "up.tar")),
                    Catch::Contains("outside the archive root"));

  test::write_file(t / "hardout.tar", docker({test::hardlink("h", "../../etc/passwd")}, long_name));
  CHECK_THROWS_AS(open_image(parse_reference("docker-archive:" + t / "hardout.tar")), BadInput);

  test::write_file(t / "nolayer.tar", docker({}, "missing/layer.tar"));
  CHECK_THROWS_WITH(open_image(parse_reference("docker-archive:" + t / "nolayer.tar")),
                    Catch::Contains("layer `missing/layer.tar`") && Catch::Contains("missing"));
}
