#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <whittle/oci/reference.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::oci;

TEST_CASE("oci::parse_reference transport forms", "[oci]")
{
  struct Case
  {
    std::string text;
    Transport transport;
    std::string path;
    std::string tag;
    std::string digest;
  };
  const std::string d = "sha256:" + std::string(64, 'a');
  std::vector<Case> cases = {
      {"oci:/tmp/x", Transport::oci_layout, "/tmp/x", "", ""},
      {"oci:/tmp/x:latest", Transport::oci_layout, "/tmp/x", "latest", ""},
      {"oci:rel/dir:v1.2", Transport::oci_layout, "rel/dir", "v1.2", ""},
      {"oci:dir:docker.io/library/app:1", Transport::oci_layout, "dir", "docker.io/library/app:1", ""},
      {"oci:dir@" + d, Transport::oci_layout, "dir", "", d},
      {"oci-archive:img.tar", Transport::oci_archive, "img.tar", "", ""},
      {"oci-archive:/a/img.tar:tag", Transport::oci_archive, "/a/img.tar", "tag", ""},
      {"docker-archive:img.tar", Transport::docker_archive, "img.tar", "", ""},
      {"docker-archive:img.tar:app", Transport::docker_archive, "img.tar", "app", ""},
      {"docker-archive:img.tar:localhost/app:1.0", Transport::docker_archive, "img.tar", "localhost/app:1.0",
       ""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    ImageRef r = parse_reference(c.text);
    CHECK(r.transport == c.transport);
    CHECK(r.path == c.path);
    CHECK(r.tag == c.tag);
    CHECK((r.digest ? r.digest->str() : "") == c.digest);
    CHECK(r.str() == c.text);
  }
}

TEST_CASE("oci::parse_reference refuses malformed references with UsageError", "[oci]")
{
  const std::string d = "sha256:" + std::string(64, 'a');
  for (const std::string& text : std::vector<std::string>{
           "",
           "oci:",
           "oci::tag",
           "oci:dir:",
           "oci:dir:bad tag",
           "oci:dir:-x",
           "oci:dir@sha256:abc",
           "oci:dir:tag@" + d,
           "oci-archive:x.tar@" + d,
           "docker-archive:",
           "docker-archive:x.tar:@0",
           "docker-archive:x.tar:bad name!",
           "docker://alpine:latest",
           "containers-storage:alpine",
           "/nonexistent/whittle/image",
       }) {
    INFO(text);
    CHECK_THROWS_AS(parse_reference(text), UsageError);
  }
  CHECK_THROWS_AS(parse_reference("oci:dir@" + d, true), UsageError);
}

TEST_CASE("oci::parse_reference recognises bare paths", "[oci]")
{
  test::TestDir t;
  test::FixtureImage img;
  img.layers = {{test::file("bin/app", "x", 0755)}};
  test::write_oci_layout(img, t / "layout");
  test::write_oci_archive(img, t / "oci.tar");
  test::write_docker_archive(img, t / "docker.tar", "app:1");
  test::write_file(t / "junk.tar", "this is not a tar file at all");
  ::mkdir((t / "plain").c_str(), 0755);
  test::write_file(t / "plain/file", "x");
  ::mkdir((t / "empty").c_str(), 0755);

  CHECK(parse_reference(t / "layout").transport == Transport::oci_layout);
  CHECK(parse_reference(t / "oci.tar").transport == Transport::oci_archive);
  CHECK(parse_reference(t / "docker.tar").transport == Transport::docker_archive);
  CHECK(parse_reference(t / "docker.tar").path == t / "docker.tar");
  CHECK_THROWS_AS(parse_reference(t / "junk.tar"), UsageError);
  CHECK_THROWS_AS(parse_reference(t / "plain"), UsageError);
  CHECK_THROWS_AS(parse_reference(t / "missing"), UsageError);

  test::write_file(t / "img.tar.gz", test::gzip(test::read_file(t / "oci.tar")));
  CHECK_THROWS_WITH(parse_reference(t / "img.tar.gz"), Catch::Contains("compressed"));

  SECTION("for output, missing paths are allowed")
  {
    CHECK(parse_reference(t / "new.tar", true).transport == Transport::oci_archive);
    CHECK(parse_reference(t / "newdir", true).transport == Transport::oci_layout);
    CHECK(parse_reference(t / "empty", true).transport == Transport::oci_layout);
    CHECK(parse_reference(t / "layout", true).transport == Transport::oci_layout);
    CHECK_THROWS_AS(parse_reference(t / "plain", true), UsageError);
  }
}
