#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/oci/image.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/util/in_root.hpp>

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

TEST_CASE("slim::restore_pristine sees a rewrite whose size and mtime were put back, by its ctime", "[slim]")
{
  test::TestDir t;
  test::FixtureImage img;
  img.layers = {{test::dir("etc"), test::file("etc/app.conf", "secure=1"), test::file("etc/other", "x")}};
  test::write_oci_layout(img, t / "img");
  oci::Image image = oci::open_image(oci::parse_reference("oci:" + (t / "img") + ":latest"));
  ::mkdir((t / "root").c_str(), 0755);
  ::mkdir((t / "pristine").c_str(), 0700);
  ExtractedImage src = extract_image(image, t / "root");
  src.changed_since = util::file_time_barrier();

  // The app rewrites the file with as many bytes and sets its mtime back: only the ctime tells.
  std::string conf = t / "root/etc/app.conf";
  struct stat before;
  REQUIRE(::stat(conf.c_str(), &before) == 0);
  test::write_file(conf, "secure=0");
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, conf.c_str(), times, 0) == 0);

  size_t restored = 0;
  REQUIRE(restore_pristine(src, trace::Profile{}, t / "pristine", &restored));
  CHECK(restored == 1);
  RootFiles files = src.files();
  CHECK(content(files, "/etc/app.conf") == "secure=1");
  CHECK(src.overrides.count("/etc/other") == 0);

  // Without a known extraction time (`whittle build`, where no app ran) the same rewrite goes unseen.
  ::mkdir((t / "root2").c_str(), 0755);
  ::mkdir((t / "pristine2").c_str(), 0700);
  ExtractedImage blind = extract_image(image, t / "root2");
  std::string conf2 = t / "root2/etc/app.conf";
  test::write_file(conf2, "secure=0");
  REQUIRE(::utimensat(AT_FDCWD, conf2.c_str(), times, 0) == 0);
  REQUIRE(restore_pristine(blind, trace::Profile{}, t / "pristine2", &restored));
  CHECK(restored == 0);
}
