// util/remove_tree: removing hostile trees relative to descriptors.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/util/error.hpp>
#include <whittle/util/remove_tree.hpp>

using namespace whittle;

TEST_CASE("util::remove_all removes a tree deeper than PATH_MAX, read-only levels too, never following links",
          "[util]")
{
  test::TestDir dir;
  std::string outside = dir / "outside";
  test::write_file(outside, "keep\n");
  std::string top = dir / "tree";
  REQUIRE(::mkdir(top.c_str(), 0755) == 0);
  int fd = ::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  // 2100 levels of 2-byte components: the deepest path is longer than PATH_MAX (4096).
  for (int i = 0; i < 2100; ++i) {
    REQUIRE(::mkdirat(fd, "dd", 0755) == 0);
    int sub = ::openat(fd, "dd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(sub >= 0);
    if (i == 1000) {
      REQUIRE(::symlinkat(outside.c_str(), sub, "link") == 0);
      REQUIRE(::fchmod(sub, 0555) == 0); // read-only level: still removed
    }
    ::close(fd);
    fd = sub;
  }
  int file = ::openat(fd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
  REQUIRE(file >= 0);
  ::close(file);
  ::close(fd);
  util::remove_all(top);
  CHECK_FALSE(test::path_exists(top));
  CHECK(test::read_file(outside) == "keep\n");
  util::remove_all(top); // a missing path is fine
}

TEST_CASE("util::remove_all_at removes an entry of a directory descriptor; a link to a directory is unlinked",
          "[util]")
{
  test::TestDir dir;
  test::write_file(dir / "outside/kept", "keep\n");
  test::write_file(dir / "root/sub/deep/file", "x");
  REQUIRE(::symlink((dir / "outside").c_str(), (dir / "root/link").c_str()) == 0);
  int root = ::open((dir / "root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(root >= 0);
  util::remove_all_at(root, "sub", "/sub");
  util::remove_all_at(root, "link", "/link");
  util::remove_all_at(root, "missing", "/missing");
  CHECK_FALSE(test::path_exists(dir / "root/sub"));
  CHECK_FALSE(test::path_exists(dir / "root/link"));
  CHECK(test::read_file(dir / "outside/kept") == "keep\n");
  CHECK(test::path_exists(dir / "root"));
  ::close(root);
  // A failure names the entry as the caller shows it.
  CHECK_THROWS_WITH(util::remove_all_at(-1, "x", "/layer/entry"), Catch::Contains("`/layer/entry`"));
}
