#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/util/bounded_read.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;

TEST_CASE("util::read_bounded reads regular files up to a cap", "[util]")
{
  test::TestDir t;
  test::write_file(t / "p.json", "{}\n");
  CHECK(util::read_bounded(t / "p.json", 16, "profile") == "{}\n");
  REQUIRE(::symlink("p.json", (t / "link.json").c_str()) == 0);
  CHECK(util::read_bounded(t / "link.json", 16, "profile") == "{}\n");
  test::write_file(t / "empty", "");
  CHECK(util::read_bounded(t / "empty", 16, "profile").empty());

  SECTION("over the cap: refused, naming the file and the cap")
  {
    test::write_file(t / "big.json", std::string(17, ' '));
    CHECK_THROWS_AS(util::read_bounded(t / "big.json", 16, "profile"), BadInput);
    CHECK_THROWS_WITH(util::read_bounded(t / "big.json", 16, "profile"),
                      Catch::Contains(t / "big.json") && Catch::Contains("16 bytes"));
    test::write_file(t / "big2.json", std::string((1 << 20) + 1, ' '));
    CHECK_THROWS_WITH(util::read_bounded(t / "big2.json", 1 << 20, "rules"),
                      Catch::Contains("1 MiB limit for a rules file"));
  }
  SECTION("a FIFO is refused at once instead of blocking")
  {
    REQUIRE(::mkfifo((t / "fifo").c_str(), 0644) == 0);
    CHECK_THROWS_WITH(util::read_bounded(t / "fifo", 16, "profile"),
                      Catch::Contains("a FIFO") && Catch::Contains(t / "fifo"));
  }
  SECTION("devices and directories are refused")
  {
    CHECK_THROWS_WITH(util::read_bounded("/dev/zero", 16, "profile"), Catch::Contains("a character device"));
    CHECK_THROWS_WITH(util::read_bounded(t.path(), 16, "profile"), Catch::Contains("a directory"));
  }
  SECTION("a missing file is an Error naming it")
  {
    CHECK_THROWS_WITH(util::read_bounded(t / "absent", 16, "profile"),
                      Catch::Contains("read profile `" + (t / "absent") + "`") &&
                          Catch::Contains("No such file"));
  }
}
