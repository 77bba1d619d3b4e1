#include "support/test_support.hpp"

#include <boost/filesystem.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>
#include <whittle/oci/image_writer.hpp>
#include <whittle/oci/media_types.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::oci;
using nlohmann::json;
namespace fs = boost::filesystem;

namespace {

test::FixtureImage
fixture()
{
  test::FixtureImage img;
  img.compression = "gzip";
  img.layers = {{test::dir("bin"), test::file("bin/app", "#!/bin/sh\necho hello from app\n", 0755),
                 test::file("etc/os-release", "ID=test\n")},
                {test::file("etc/motd", "hello\n"), test::symlink("bin/sh", "app"),
                 test::hardlink("bin/app2", "bin/app")}};
  img.cmd = {"--serve"};
  img.env = {"PATH=/bin", "LANG=C"};
  return img;
}

Digest
convert(const Image& src, const ImageRef& dest, archive::Compression c, ImageWriterOptions options = {})
{
  ImageWriter w(dest, options);
  std::vector<Descriptor> layers;
  for (size_t i = 0; i < src.layers.size(); ++i) {
    layers.push_back(w.copy_layer(src, i, c));
  }
  return w.commit(src.config, layers);
}

std::string
read_layer(const Image& img, size_t i)
{
  auto src = open_layer(img, i);
  util::StringSink sink;
  util::copy_stream(*src, sink);
  return sink.take();
}

// Every file under dir (relative name -> content), for comparing outputs byte for byte.
std::map<std::string, std::string>
tree(const std::string& dir)
{
  std::map<std::string, std::string> out;
  for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
    if (fs::is_regular_file(it->symlink_status())) {
      out[fs::relative(it->path(), dir).string()] = test::read_file(it->path().string());
    }
  }
  return out;
}

std::vector<std::string>
leftovers(const std::string& dir)
{
  std::vector<std::string> out;
  for (fs::directory_iterator it(dir), end; it != end; ++it) {
    std::string n = it->path().filename().string();
    if (n.rfind(".whittle-", 0) == 0) {
      out.push_back(n);
    }
  }
  return out;
}

std::string
ref_text(Transport t, const std::string& path, const std::string& tag)
{
  switch (t) {
  case Transport::oci_layout:
    return "oci:" + path + (tag.empty() ? "" : ":" + tag);
  case Transport::oci_archive:
    return "oci-archive:" + path + (tag.empty() ? "" : ":" + tag);
  case Transport::docker_archive:
    return "docker-archive:" + path + (tag.empty() ? "" : ":" + tag);
  }
  return path;
}

} // namespace

TEST_CASE("oci::ImageWriter writes every transport and compression, read back equal", "[oci]")
{
  test::TestDir t;
  test::FixtureImage fx = fixture();
  test::write_oci_layout(fx, t / "src");
  Image src = open_image(parse_reference("oci:" + t / "src"));

  struct Out
  {
    Transport transport;
    std::string name;
    std::string tag;
  };
  for (const Out& o : std::vector<Out>{{Transport::oci_layout, "out-layout", "v1"},
                                       {Transport::oci_archive, "out-oci.tar", ""},
                                       {Transport::docker_archive, "out-docker.tar", "localhost/app:v1"}}) {
    for (auto c : {archive::Compression::gzip, archive::Compression::zstd, archive::Compression::none}) {
      std::string path = t / (archive::to_string(c) + "-" + o.name);
      std::string text = ref_text(o.transport, path, o.tag);
      INFO(text);
      Digest digest = convert(src, parse_reference(text, true), c);
      Image back = open_image(parse_reference(text));
      CHECK(back.manifest_digest == digest);
      REQUIRE(back.layers.size() == 2);
      for (size_t i = 0; i < 2; ++i) {
        CHECK(back.layers[i].diff_id == src.layers[i].diff_id);
        CHECK(read_layer(back, i) == test::make_tar(fx.layers[i]));
      }
      CHECK(back.config.cmd() == src.config.cmd());
      CHECK(back.config.env() == src.config.env());
      CHECK(back.config.raw["rootfs"] == src.config.raw["rootfs"]);
      if (o.transport == Transport::docker_archive) {
        CHECK(back.layers[0].compression == archive::Compression::none);
        CHECK(back.layers[0].descriptor.media_type == media_type::k_docker_layer);
        std::string listing;
        REQUIRE(test::run_command("tar -xOf '" + path + "' manifest.json", &listing, false) == 0);
        CHECK(json::parse(listing)[0]["RepoTags"] == json::array({"localhost/app:v1"}));
      } else {
        CHECK(back.layers[0].compression == c);
        CHECK(back.layers[0].descriptor.media_type == layer_media_type(c));
        CHECK(back.manifest.media_type == media_type::k_oci_manifest);
        std::string index_text;
        if (o.transport == Transport::oci_layout) {
          index_text = test::read_file(path + "/index.json");
        } else {
          REQUIRE(test::run_command("tar -xOf '" + path + "' index.json", &index_text, false) == 0);
        }
        json index = json::parse(index_text);
        REQUIRE(index["manifests"].size() == 1);
        CHECK(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] ==
              (o.tag.empty() ? "latest" : o.tag));
        CHECK(index["manifests"][0]["digest"] == digest.str());
      }
    }
  }
  CHECK(leftovers(t.path()).empty());
}

TEST_CASE("oci::ImageWriter output passes skopeo, umoci and podman load", "[oci]")
{
  test::TestDir t;
  test::FixtureImage fx = fixture();
  test::write_docker_archive(fx, t / "src.tar", "app:1");
  Image src = open_image(parse_reference("docker-archive:" + t / "src.tar"));
  // umoci 0.4.7 (Debian 12) reads no zstd layers: it checks the gzip layout, skopeo both.
  Digest d_layout = convert(src, parse_reference("oci:" + t / "layout:v1", true), archive::Compression::gzip);
  Digest d_zstd = convert(src, parse_reference("oci:" + t / "zstd:v1", true), archive::Compression::zstd);
  Digest d_archive =
      convert(src, parse_reference("oci-archive:" + t / "img.tar:v2", true), archive::Compression::gzip);
  convert(src, parse_reference("docker-archive:" + t / "docker.tar:localhost/whittle-oci-test:1", true),
          archive::Compression::gzip);

  std::string out;
  if (test::run_command("command -v skopeo") == 0) {
    REQUIRE(test::run_command("skopeo inspect oci:" + t / "layout:v1", &out) == 0);
    CHECK(json::parse(out)["Digest"] == d_layout.str());
    CHECK(json::parse(out)["Layers"].size() == 2);
    REQUIRE(test::run_command("skopeo inspect oci:" + t / "zstd:v1", &out) == 0);
    CHECK(json::parse(out)["Digest"] == d_zstd.str());
    REQUIRE(test::run_command("skopeo inspect oci-archive:" + t / "img.tar:v2", &out) == 0);
    CHECK(json::parse(out)["Digest"] == d_archive.str());
    REQUIRE(test::run_command("skopeo inspect docker-archive:" + t / "docker.tar", &out) == 0);
    CHECK(json::parse(out)["Layers"].size() == 2);
  } else {
    test::skip("skopeo not installed");
  }
  if (test::run_command("command -v umoci") == 0) {
    int rc = test::run_command("umoci unpack --image " + t / "layout:v1" + " " + t / "bundle", &out);
    INFO(out);
    REQUIRE(rc == 0);
    CHECK(test::read_file(t / "bundle/rootfs/bin/app") == "#!/bin/sh\necho hello from app\n");
    CHECK(fs::read_symlink(t / "bundle/rootfs/bin/sh").string() == "app");
  } else {
    test::skip("umoci not installed");
  }
  if (test::run_command("command -v podman") == 0 && ::geteuid() == 0) {
    // A private store, so the test leaves the machine's images alone.
    std::string podman =
        "podman --root " + t / "storage" + " --runroot " + t / "run" + " --storage-driver vfs";
    int rc = test::run_command(podman + " load -i " + t / "docker.tar", &out);
    INFO(out);
    REQUIRE(rc == 0);
    CHECK(out.find("localhost/whittle-oci-test:1") != std::string::npos);
    REQUIRE(test::run_command(podman + " load -i " + t / "img.tar", &out) == 0);
    REQUIRE(test::run_command(
                podman + " image inspect localhost/whittle-oci-test:1 --format '{{.RootFS.Layers}}'", &out) ==
            0);
    CHECK(out.find(src.layers[1].diff_id.str()) != std::string::npos);
    test::run_command(podman + " rmi -a -f");
  } else {
    test::skip("podman not installed or not root");
  }
}

TEST_CASE("oci::ImageWriter output is reproducible", "[oci]")
{
  test::TestDir t;
  test::write_oci_archive(fixture(), t / "src.tar");
  Image src = open_image(parse_reference(t / "src.tar"));
  for (auto c : {archive::Compression::gzip, archive::Compression::zstd}) {
    INFO(archive::to_string(c));
    Digest a = convert(src, parse_reference("oci:" + t / "a", true), c);
    Digest b = convert(src, parse_reference("oci:" + t / "b", true), c);
    CHECK(a == b);
    CHECK(tree(t / "a") == tree(t / "b"));
    convert(src, parse_reference(t / "a.tar", true), c);
    convert(src, parse_reference(t / "b.tar", true), c);
    CHECK(test::read_file(t / "a.tar") == test::read_file(t / "b.tar"));
    convert(src, parse_reference("docker-archive:" + t / "a-d.tar:x:1", true), c);
    convert(src, parse_reference("docker-archive:" + t / "b-d.tar:x:1", true), c);
    CHECK(test::read_file(t / "a-d.tar") == test::read_file(t / "b-d.tar"));
  }
  // A second conversion of an output gives the same manifest again (a fixed point).
  Image once = open_image(parse_reference("oci:" + t / "a"));
  CHECK(convert(once, parse_reference("oci:" + t / "c", true), archive::Compression::zstd) ==
        once.manifest_digest);

  SECTION("source_date_epoch sets archive mtimes")
  {
    convert(src, parse_reference(t / "e.tar", true), archive::Compression::gzip, {1700000000});
    std::string listing;
    REQUIRE(test::run_command("TZ=UTC tar --full-time -tvf " + t / "e.tar", &listing) == 0);
    CHECK(listing.find("2023-11-14 22:13:20 index.json") != std::string::npos);
    REQUIRE(test::run_command("TZ=UTC tar --full-time -tvf " + t / "a.tar", &listing) == 0);
    CHECK(listing.find("1970-01-01 00:00:00 index.json") != std::string::npos);
  }
}

TEST_CASE("oci::ImageWriter leaves nothing at the destination after a failure", "[oci]")
{
  test::TestDir t;
  test::FixtureImage fx = fixture();
  test::write_oci_layout(fx, t / "src");
  Image src = open_image(parse_reference("oci:" + t / "src"));
  // Corrupt the second layer: copying it fails at the end of its stream.
  std::string blob = t / ("src/blobs/sha256/" + src.layers[1].descriptor.digest.hex);
  std::string data = test::read_file(blob);
  data[data.size() / 2] ^= 0x10;
  test::write_file(blob, data);

  fs::create_directories(t / "out");
  for (std::string text :
       {"oci:" + t / "out/layout", "oci-archive:" + t / "out/a.tar", "docker-archive:" + t / "out/d.tar"}) {
    INFO(text);
    CHECK_THROWS_AS(convert(src, parse_reference(text, true), archive::Compression::gzip), BadInput);
    CHECK(fs::is_empty(t / "out"));
  }
  // An existing destination survives a failed write untouched.
  test::write_file(t / "out/a.tar", "old");
  CHECK_THROWS_AS(
      convert(src, parse_reference("oci-archive:" + t / "out/a.tar", true), archive::Compression::gzip),
      BadInput);
  CHECK(test::read_file(t / "out/a.tar") == "old");
  CHECK(leftovers(t / "out").empty());

  SECTION("an uncommitted writer removes its blobs")
  {
    {
      ImageWriter w(parse_reference("oci:" + t / "out/never", true));
      w.add_blob("data", "application/octet-stream");
      w.copy_layer(src, 0, archive::Compression::zstd);
    }
    CHECK_FALSE(fs::exists(t / "out/never"));
    CHECK(leftovers(t / "out").empty());
  }
  SECTION("commit checks its inputs")
  {
    ImageWriter w(parse_reference("oci:" + t / "out/bad", true));
    Descriptor l0 = w.copy_layer(src, 0, archive::Compression::gzip);
    CHECK_THROWS_WITH(w.commit(src.config, {l0}), Catch::Contains("1 layers but 2 diff_ids"));
    Descriptor foreign = src.layers[1].descriptor;
    CHECK_THROWS_WITH(w.commit(src.config, {l0, foreign}), Catch::Contains("was not written by this writer"));
  }
  SECTION("a missing parent directory is an error")
  {
    CHECK_THROWS_AS(ImageWriter(parse_reference("oci:" + t / "nope/x", true)), Error);
  }
}

TEST_CASE("oci::ImageWriter replaces an existing layout and prunes unused blobs", "[oci]")
{
  test::TestDir t;
  test::write_oci_layout(fixture(), t / "src");
  Image src = open_image(parse_reference("oci:" + t / "src"));
  convert(src, parse_reference("oci:" + t / "dst:one", true), archive::Compression::gzip);
  ImageWriter w(parse_reference("oci:" + t / "dst:two", true));
  w.add_blob("unused", "application/octet-stream");
  std::vector<Descriptor> layers = {w.copy_layer(src, 0, archive::Compression::zstd),
                                    w.copy_layer(src, 1, archive::Compression::zstd)};
  Digest d = w.commit(src.config, layers);
  CHECK_FALSE(fs::exists(t / ("dst/blobs/sha256/" + test::sha256_hex("unused"))));
  CHECK(open_image(parse_reference("oci:" + t / "dst:two")).manifest_digest == d);
  // Replaced, not merged: the old tag is gone (documented in image_writer.hpp).
  CHECK_THROWS_WITH(open_image(parse_reference("oci:" + t / "dst:one")), Catch::Contains("no such tag"));
  size_t blobs = 0;
  for (fs::directory_iterator it(t / "dst/blobs/sha256"), end; it != end; ++it) {
    ++blobs;
  }
  CHECK(blobs == 4); // manifest, config, two layers
}

TEST_CASE("oci::ImageWriter copies layers from several threads", "[oci]")
{
  test::TestDir t;
  test::write_oci_archive(fixture(), t / "src.tar");
  Image src = open_image(parse_reference(t / "src.tar"));
  Digest sequential = convert(src, parse_reference("oci:" + t / "seq", true), archive::Compression::zstd);
  ImageWriter w(parse_reference("oci:" + t / "par", true));
  std::vector<Descriptor> layers(src.layers.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < src.layers.size(); ++i) {
    threads.emplace_back([&, i] { layers[i] = w.copy_layer(src, i, archive::Compression::zstd); });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(w.commit(src.config, layers) == sequential);
  CHECK(tree(t / "par") == tree(t / "seq"));
}
