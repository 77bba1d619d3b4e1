#include <catch2/catch.hpp>
#include <whittle/oci/descriptor.hpp>
#include <whittle/oci/digest.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::oci;

TEST_CASE("oci::Digest parses and refuses", "[oci]")
{
  const std::string hex(64, 'a');
  Digest d = Digest::parse("sha256:" + hex);
  CHECK(d.algorithm == "sha256");
  CHECK(d.hex == hex);
  CHECK(d.str() == "sha256:" + hex);
  CHECK(d.short_hex() == std::string(12, 'a'));
  CHECK(Digest::parse("sha512:" + std::string(128, '0')).algorithm == "sha512");
  CHECK(Digest::of("") == Digest::sha256("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));

  for (const std::string& bad : std::vector<std::string>{
           "",
           "sha256",
           "sha256:",
           "sha256:" + std::string(63, 'a'),
           "sha256:" + std::string(65, 'a'),
           "sha256:" + std::string(64, 'A'),
           "sha256:" + std::string(63, 'a') + "g",
           "sha256:../../../../etc/passwd" + std::string(36, 'a'),
           "md5:" + std::string(32, 'a'),
           "SHA256:" + hex,
           "sha512:" + hex,
       }) {
    INFO(bad);
    CHECK_THROWS_AS(Digest::parse(bad), BadInput);
  }
  CHECK_THROWS_WITH(Digest::parse("sha1:abc", "layer digest"), Catch::Contains("layer digest"));
}

TEST_CASE("oci::Platform parse, host and matching", "[oci]")
{
  Platform p = Platform::parse("linux/arm64/v8");
  CHECK(p.os == "linux");
  CHECK(p.architecture == "arm64");
  CHECK(p.variant == "v8");
  CHECK(p.str() == "linux/arm64/v8");
  CHECK(Platform::parse("linux/x86_64").architecture == "amd64");
  for (const char* bad : {"", "linux", "linux/", "/amd64", "a/b/c/d", "linux//v7"}) {
    INFO(bad);
    CHECK_THROWS_AS(Platform::parse(bad), UsageError);
  }
  CHECK_FALSE(Platform::host().architecture.empty());
  CHECK(Platform::host().os == "linux");

  CHECK(Platform::parse("linux/amd64").matches(Platform::parse("linux/amd64")));
  CHECK_FALSE(Platform::parse("linux/amd64").matches(Platform::parse("linux/arm64")));
  CHECK_FALSE(Platform::parse("linux/amd64").matches(Platform::parse("windows/amd64")));
  CHECK(Platform::parse("linux/arm").matches(Platform::parse("linux/arm/v7")));
  CHECK_FALSE(Platform::parse("linux/arm/v7").matches(Platform::parse("linux/arm/v6")));
  CHECK(Platform::parse("linux/arm64/v8").matches(Platform::parse("linux/arm64")));
}

TEST_CASE("oci::Descriptor JSON round trip and errors", "[oci]")
{
  const std::string dg = "sha256:" + std::string(64, 'b');
  nlohmann::json j = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                      {"digest", dg},
                      {"size", 42},
                      {"annotations", {{"org.opencontainers.image.ref.name", "v1"}}},
                      {"platform", {{"os", "linux"}, {"architecture", "arm"}, {"variant", "v7"}}}};
  Descriptor d = Descriptor::from_json(j, "entry 0");
  CHECK(d.size == 42);
  CHECK(d.digest.str() == dg);
  CHECK(d.annotations.at("org.opencontainers.image.ref.name") == "v1");
  REQUIRE(d.platform);
  CHECK(d.platform->str() == "linux/arm/v7");
  CHECK(d.to_json() == j);

  auto broken = [&](const char* key, nlohmann::json value) {
    nlohmann::json b = j;
    if (value.is_discarded()) {
      b.erase(key);
    } else {
      b[key] = value;
    }
    return b;
  };
  const auto discard = nlohmann::json(nlohmann::json::value_t::discarded);
  CHECK_THROWS_WITH(Descriptor::from_json(broken("size", -1), "entry 0"),
                    Catch::Contains("entry 0") && Catch::Contains("size"));
  CHECK_THROWS_WITH(Descriptor::from_json(broken("size", "12"), "entry 0"), Catch::Contains("size"));
  CHECK_THROWS_WITH(Descriptor::from_json(broken("size", discard), "entry 0"),
                    Catch::Contains("missing field `size`"));
  CHECK_THROWS_WITH(Descriptor::from_json(broken("digest", "sha256:zz"), "entry 0"),
                    Catch::Contains("digest"));
  CHECK_THROWS_WITH(Descriptor::from_json(broken("mediaType", discard), "entry 0"),
                    Catch::Contains("mediaType"));
  CHECK_THROWS_AS(Descriptor::from_json(broken("annotations", {{"a", 1}}), "entry 0"), BadInput);
  CHECK_THROWS_AS(Descriptor::from_json(nlohmann::json::array(), "entry 0"), BadInput);
}
