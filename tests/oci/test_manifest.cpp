#include <catch2/catch.hpp>
#include <whittle/oci/image_config.hpp>
#include <whittle/oci/manifest.hpp>
#include <whittle/oci/media_types.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::oci;
using nlohmann::json;

namespace {

const std::string k_d1 = "sha256:" + std::string(64, '1');
const std::string k_d2 = "sha256:" + std::string(64, '2');

json
manifest_json()
{
  return {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", k_d1}, {"size", 10}}},
      {"layers",
       {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"}, {"digest", k_d2}, {"size", 20}}}}};
}

} // namespace

TEST_CASE("oci::Manifest parse and canonical serialize", "[oci]")
{
  Manifest m = Manifest::parse(manifest_json().dump(2), "manifest x");
  CHECK(m.media_type == media_type::k_oci_manifest);
  CHECK(m.config.digest.str() == k_d1);
  REQUIRE(m.layers.size() == 1);
  CHECK(m.layers[0].size == 20);
  // Canonical: sorted keys, no whitespace, and stable through a second round.
  std::string s = m.serialize();
  CHECK(s.find(' ') == std::string::npos);
  CHECK(s.find("\"config\"") < s.find("\"layers\""));
  CHECK(Manifest::parse(s, "again").serialize() == s);

  json docker = manifest_json();
  docker["mediaType"] = media_type::k_docker_manifest;
  docker["config"]["mediaType"] = media_type::k_docker_config;
  docker["layers"][0]["mediaType"] = media_type::k_docker_layer_gzip;
  CHECK(Manifest::parse(docker.dump(), "docker").media_type == media_type::k_docker_manifest);

  json no_type = manifest_json();
  no_type.erase("mediaType");
  CHECK(Manifest::parse(no_type.dump(), "m").media_type == media_type::k_oci_manifest);
}

TEST_CASE("oci::Manifest refuses bad input with a useful message", "[oci]")
{
  auto fails_with = [](const std::string& text, const std::string& needle) {
    INFO(text);
    CHECK_THROWS_AS(Manifest::parse(text, "manifest sha256:feed"), BadInput);
    CHECK_THROWS_WITH(Manifest::parse(text, "manifest sha256:feed"),
                      Catch::Contains(needle) && Catch::Contains("manifest sha256:feed"));
  };
  fails_with("{not json", "invalid JSON");
  fails_with("[]", "not a JSON object");
  fails_with(std::string(100, '[') + std::string(100, ']'), "nested deeper");

  json j = manifest_json();
  j["layers"][0]["mediaType"] = "application/x-evil";
  fails_with(j.dump(), "unknown layer media type `application/x-evil`");

  j = manifest_json();
  j["config"]["mediaType"] = "application/vnd.cncf.helm.config.v1+json";
  fails_with(j.dump(), "unknown config media type");

  j = manifest_json();
  j["mediaType"] = "application/vnd.oci.image.index.v1+json";
  fails_with(j.dump(), "is an image index");

  j = manifest_json();
  j["mediaType"] = "text/plain";
  fails_with(j.dump(), "unknown manifest media type `text/plain`");

  j = manifest_json();
  j.erase("layers");
  fails_with(j.dump(), "missing field `layers`");

  j = manifest_json();
  j.erase("config");
  fails_with(j.dump(), "missing field `config`");

  j = manifest_json();
  j["schemaVersion"] = 1;
  fails_with(j.dump(), "schemaVersion");

  j = manifest_json();
  j["layers"][0]["digest"] = "sha256:xyz";
  fails_with(j.dump(), "layer 0 digest");
}

TEST_CASE("oci::Index parse, serialize and errors", "[oci]")
{
  json j = {{"schemaVersion", 2},
            {"manifests",
             {{{"mediaType", media_type::k_oci_manifest},
               {"digest", k_d1},
               {"size", 5},
               {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}}}}};
  Index idx = Index::parse(j.dump(), "index.json");
  CHECK(idx.media_type == media_type::k_oci_index);
  REQUIRE(idx.manifests.size() == 1);
  CHECK(idx.manifests[0].platform->architecture == "amd64");
  CHECK(Index::parse(idx.serialize(), "again").serialize() == idx.serialize());

  CHECK_THROWS_WITH(Index::parse("{", "index.json of `d`"),
                    Catch::Contains("index.json of `d`: invalid JSON"));
  json bad = j;
  bad.erase("manifests");
  CHECK_THROWS_WITH(Index::parse(bad.dump(), "index.json"), Catch::Contains("missing field `manifests`"));
  bad = j;
  bad["mediaType"] = media_type::k_oci_manifest;
  CHECK_THROWS_WITH(Index::parse(bad.dump(), "index.json"), Catch::Contains("not an index"));
  bad = j;
  bad["manifests"][0].erase("digest");
  CHECK_THROWS_WITH(Index::parse(bad.dump(), "index.json"),
                    Catch::Contains("entry 0: missing field `digest`"));

  CHECK(is_layer_media_type("application/vnd.oci.image.layer.v1.tar+zstd"));
  CHECK(is_layer_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip"));
  CHECK_FALSE(is_layer_media_type("application/vnd.oci.image.layer.v1.tar+bzip2"));
  CHECK(is_index_media_type("application/vnd.docker.distribution.manifest.list.v2+json"));
  CHECK(is_manifest_media_type("application/vnd.docker.distribution.manifest.v2+json"));
}

TEST_CASE("oci::ImageConfig accessors keep unknown fields", "[oci]")
{
  json j = {{"architecture", "arm"},
            {"os", "linux"},
            {"variant", "v7"},
            {"created", "2024-01-01T00:00:00Z"},
            {"x-unknown", {{"kept", true}}},
            {"config",
             {{"Entrypoint", {"/bin/app"}},
              {"Cmd", {"--serve"}},
              {"Env", {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "EMPTY="}},
              {"User", "app"},
              {"WorkingDir", "/srv"},
              {"ExposedPorts", {{"8080/tcp", json::object()}, {"53/udp", json::object()}}},
              {"Labels", {{"a", "1"}}}}},
            {"rootfs", {{"type", "layers"}, {"diff_ids", {k_d1, k_d2}}}},
            {"history",
             {{{"created", "2024"}, {"created_by", "RUN x"}}, {{"empty_layer", true}, {"comment", "c"}}}}};
  ImageConfig c = ImageConfig::parse(j.dump(), "config");
  CHECK(c.platform().str() == "linux/arm/v7");
  CHECK(c.entrypoint() == std::vector<std::string>{"/bin/app"});
  CHECK(c.cmd() == std::vector<std::string>{"--serve"});
  CHECK(c.env().size() == 3);
  CHECK(c.env_value("PATH") == "/usr/bin:/bin");
  CHECK(c.env_value("PAT") == "");
  CHECK(c.env_value("EMPTY") == "");
  CHECK(c.user() == "app");
  CHECK(c.working_dir() == "/srv");
  CHECK(c.exposed_ports() == std::vector<std::string>{"53/udp", "8080/tcp"});
  CHECK(c.labels() == std::map<std::string, std::string>{{"a", "1"}});
  REQUIRE(c.diff_ids().size() == 2);
  CHECK(c.diff_ids()[1].str() == k_d2);
  auto h = c.history();
  REQUIRE(h.size() == 2);
  CHECK(h[0].created_by == "RUN x");
  CHECK(h[1].empty_layer);
  CHECK(h[1].comment == "c");

  c.set_user("65532:65532");
  c.set_label("io.whittle.read-only-rootfs", "true");
  c.set_diff_ids({Digest::parse(k_d2)});
  c.set_history({{"", "whittle", "", false}});
  ImageConfig back = ImageConfig::parse(c.serialize(), "back");
  CHECK(back.user() == "65532:65532");
  CHECK(back.labels().at("io.whittle.read-only-rootfs") == "true");
  CHECK(back.labels().at("a") == "1");
  CHECK(back.diff_ids().size() == 1);
  CHECK(back.history().size() == 1);
  CHECK(back.raw["x-unknown"]["kept"] == true);
  CHECK(back.raw["created"] == "2024-01-01T00:00:00Z");
  CHECK(back.serialize() == c.serialize());

  ImageConfig empty = ImageConfig::parse(R"({"rootfs":{"type":"layers","diff_ids":[]}})", "config");
  CHECK(empty.entrypoint().empty());
  CHECK(empty.user().empty());
  CHECK(empty.exposed_ports().empty());
}

TEST_CASE("oci::ImageConfig refuses ill-typed known fields", "[oci]")
{
  auto bad = [](const std::string& text, const std::string& needle) {
    INFO(text);
    CHECK_THROWS_AS(ImageConfig::parse(text, "config sha256:cfg"), BadInput);
    CHECK_THROWS_WITH(ImageConfig::parse(text, "config sha256:cfg"), Catch::Contains(needle));
  };
  bad("nope", "invalid JSON");
  bad("{}", "missing field `rootfs`");
  bad(R"({"rootfs":{}})", "rootfs.diff_ids");
  bad(R"({"rootfs":{"diff_ids":"x"}})", "rootfs.diff_ids");
  bad(R"({"rootfs":{"diff_ids":["sha256:00"]}})", "rootfs.diff_ids[0]");
  bad(R"({"rootfs":{"diff_ids":[]},"config":{"Entrypoint":"/bin/sh"}})", "config.Entrypoint");
  bad(R"({"rootfs":{"diff_ids":[]},"config":{"Env":[1]}})", "config.Env");
  bad(R"({"rootfs":{"diff_ids":[]},"config":{"User":0}})", "config.User");
  bad(R"({"rootfs":{"diff_ids":[]},"history":[{"empty_layer":"yes"}]})", "empty_layer");
}
