#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/util/fd.hpp>
#include <whittle/util/openat2.hpp>

using namespace whittle;

TEST_CASE("util::openat2 opens below a directory with the RESOLVE_* rules and O_CLOEXEC", "[util]")
{
  test::TestDir t;
  test::write_file(t / "outside", "host");
  test::write_file(t / "root/etc/os-release", "ID=test\n");
  REQUIRE(::symlink("os-release", (t / "root/etc/link").c_str()) == 0);
  REQUIRE(::symlink("../../outside", (t / "root/etc/up").c_str()) == 0);
  util::Fd root(::open((t / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(root);
  constexpr uint64_t k_in_root = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

  util::Fd fd(util::openat2(root.get(), "etc/link", O_RDONLY, k_in_root));
  REQUIRE(fd);
  CHECK(util::read_up_to(fd.get(), 100) == "ID=test\n");
  CHECK((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0);

  // RESOLVE_IN_ROOT: ".." in a link's target stops at the root, so the host file is not reached.
  errno = 0;
  CHECK(util::openat2(root.get(), "etc/up", O_RDONLY, k_in_root) < 0);
  CHECK(errno == ENOENT);
  // RESOLVE_NO_SYMLINKS: any link on the way fails with ELOOP.
  errno = 0;
  CHECK(util::openat2(root.get(), "etc/link", O_RDONLY, k_in_root | RESOLVE_NO_SYMLINKS) < 0);
  CHECK(errno == ELOOP);
  // RESOLVE_BENEATH: climbing out fails with EXDEV.
  errno = 0;
  CHECK(util::openat2(root.get(), "../outside", O_RDONLY, RESOLVE_BENEATH) < 0);
  CHECK(errno == EXDEV);
}
