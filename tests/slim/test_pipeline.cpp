#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/oci/image.hpp>
#include <whittle/slim/pipeline.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

std::string
content(const RootFiles& files, const std::string& path)
{
  util::Fd fd = files.open(path);
  REQUIRE(fd);
  util::FdSource src(fd.get(), path);
  return util::read_all(src, 1 << 20, path);
}

} // namespace

TEST_CASE("slim::restore_pristine gives back what the app changed, from the layers", "[slim]")
{
  test::TestDir t;
  test::FixtureImage img;
  img.layers = {
      {test::dir("data"), test::file("data/db", "original db"), test::file("data/log", "log v1"),
       test::hardlink("data/db-link", "data/db"), test::file("data/untouched", "same")},
      {test::file("data/log", "log v2")},
  };
  test::write_oci_layout(img, t / "img");
  oci::Image image = oci::open_image(oci::parse_reference("oci:" + (t / "img") + ":latest"));
  ::mkdir((t / "root").c_str(), 0755);
  ::mkdir((t / "pristine").c_str(), 0700);
  ExtractedImage src = extract_image(image, t / "root");

  // The app rewrote the db in place (through the hardlink's other name), deleted the log, and changed
  // nothing else; only the db write is in the profile.
  test::write_file(t / "root/data/db-link", "changed!!");
  ::unlink((t / "root/data/log").c_str());
  trace::Profile p;
  p.add("/data/db-link", trace::Access::write);

  size_t restored = 0;
  REQUIRE(restore_pristine(src, p, t / "pristine", &restored));
  CHECK(restored == 2);
  RootFiles files = src.files();
  CHECK(content(files, "/data/db") == "original db");
  CHECK(content(files, "/data/db-link") == "original db");
  CHECK(content(files, "/data/log") == "log v2");
  CHECK(content(files, "/data/untouched") == "same");
  CHECK(src.overrides.count("/data/untouched") == 0);
}
