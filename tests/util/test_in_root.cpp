#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <whittle/util/in_root.hpp>

using namespace whittle;

TEST_CASE("util in_root: lookups stay below the root and open regular files only", "[util]")
{
  test::TestDir t;
  test::write_file(t / "host/secret", "host secret");
  test::write_file(t / "root/etc/os-release", "ID=test\n");
  REQUIRE(::mkfifo((t / "root/etc/fifo").c_str(), 0644) == 0);
  REQUIRE(::symlink("/", (t / "root/escape").c_str()) == 0);                   // as an image holds it
  REQUIRE(::symlink((t / "host").c_str(), (t / "root/hostdir").c_str()) == 0); // as a racing app makes it
  REQUIRE(::symlink("os-release", (t / "root/etc/link").c_str()) == 0);
  util::Fd root = util::open_root(t / "root");

  auto read = [&](const std::string& path, size_t max) {
    util::Fd fd = util::open_regular_in_root(root.get(), path);
    return fd ? util::read_up_to(fd.get(), max) : std::string("(not opened)");
  };
  CHECK(read("/etc/os-release", 100) == "ID=test\n");
  CHECK(read("etc/os-release", 3) == "ID=");
  // A FIFO is refused without opening it (an open for reading would block: this test would hang).
  CHECK_FALSE(util::open_regular_in_root(root.get(), "/etc/fifo"));
  CHECK(errno == EINVAL);
  // Symlinks are never followed, inside the path or at its end, so nothing of the host is reached.
  CHECK_FALSE(util::open_regular_in_root(root.get(), "/hostdir/secret"));
  CHECK_FALSE(util::open_regular_in_root(root.get(), "/escape" + (t / "host/secret")));
  CHECK_FALSE(util::lstat_in_root(root.get(), "/hostdir/secret"));
  CHECK_FALSE(util::open_regular_in_root(root.get(), "/etc/link"));
  CHECK_FALSE(util::open_regular_in_root(root.get(), "/../../../../" + (t / "host/secret")));
  CHECK_FALSE(util::open_regular_in_root(root.get(), "/etc"));

  auto link = util::lstat_in_root(root.get(), "/etc/link");
  REQUIRE(link);
  CHECK(S_ISLNK(link->st.st_mode));
  CHECK(link->link_target == "os-release");
  auto fifo = util::lstat_in_root(root.get(), "/etc/fifo");
  REQUIRE(fifo);
  CHECK(S_ISFIFO(fifo->st.st_mode));
  auto top = util::lstat_in_root(root.get(), "/");
  REQUIRE(top);
  CHECK(S_ISDIR(top->st.st_mode));
  CHECK_FALSE(util::lstat_in_root(root.get(), "/missing"));

  // A device node (root only): seen by lstat, never opened.
  if (::mknod((t / "root/etc/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)) == 0) {
    CHECK_FALSE(util::open_regular_in_root(root.get(), "/etc/zero"));
    auto dev = util::lstat_in_root(root.get(), "/etc/zero");
    REQUIRE(dev);
    CHECK(S_ISCHR(dev->st.st_mode));
  } else {
    test::skip("mknod needs root: the device-node part of the in_root test did not run");
  }
}
