#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <whittle/rootfs/extract.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::rootfs;

namespace {

Node
meta(NodeType type, uint32_t mode, int64_t mtime = 1600000000)
{
  Node n;
  n.type = type;
  n.mode = mode;
  n.mtime = mtime;
  return n;
}

Node
symlink_to(const std::string& target)
{
  Node n = meta(NodeType::symlink, 0777);
  n.link_target = target;
  return n;
}

void
write(Extractor& x, const std::string& path, const std::string& content, uint32_t mode = 0644)
{
  Node n = meta(NodeType::regular, mode);
  n.size = content.size();
  util::StringSource src(content);
  x.write_file(path, n, src);
}

struct stat
lstat_of(const std::string& p)
{
  struct stat st;
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}


} // namespace

TEST_CASE("rootfs::Extractor writes files, links and nodes with their metadata", "[rootfs]")
{
  test::TestDir t;
  ::mkdir((t / "root").c_str(), 0755);
  Extractor x(t / "root", Owners::preserve);
  x.make_directory("/usr");
  write(x, "/usr/bin/tool", "#!/bin/sh\n", 04755); // parent created implicitly
  x.make_symlink("/usr/bin/t", symlink_to("tool"));
  x.make_hardlink("/usr/bin/tool2", "/usr/bin/tool");
  x.make_special("/run/fifo", meta(NodeType::fifo, 0600));
  Node dev = meta(NodeType::char_device, 0666);
  dev.dev_major = 1;
  dev.dev_minor = 3;
  x.make_special("/dev/null", dev);

  Tree tree;
  Node usr = meta(NodeType::directory, 0555, 1500000000);
  tree.put("/usr", usr);
  tree.put("/usr/bin/tool", meta(NodeType::regular, 04755));
  tree.put("/run/fifo", meta(NodeType::fifo, 0600));
  tree.put("/dev/null", dev);
  x.finish(tree);

  std::string root = t / "root";
  CHECK(test::read_file(root + "/usr/bin/tool") == "#!/bin/sh\n");
  struct stat st = lstat_of(root + "/usr/bin/tool");
  CHECK((st.st_mode & 07777) == 04755);
  CHECK(st.st_mtime == 1600000000);
  CHECK(st.st_nlink == 2);
  CHECK(lstat_of(root + "/usr/bin/tool2").st_ino == st.st_ino);
  CHECK(S_ISLNK(lstat_of(root + "/usr/bin/t").st_mode));
  CHECK(S_ISFIFO(lstat_of(root + "/run/fifo").st_mode));
  struct stat u = lstat_of(root + "/usr");
  CHECK((u.st_mode & 07777) == 0555);
  CHECK(u.st_mtime == 1500000000);
  CHECK((lstat_of(root + "/usr/bin").st_mode & 07777) == 0755); // implicit directory
  if (::geteuid() == 0) {
    struct stat d = lstat_of(root + "/dev/null");
    CHECK(S_ISCHR(d.st_mode));
    CHECK(major(d.st_rdev) == 1);
    CHECK(minor(d.st_rdev) == 3);
  } else {
    CHECK(x.skipped_devices() == 1);
  }

  x.remove("/usr");
  CHECK_FALSE(test::path_exists(root + "/usr"));
  x.remove("/does/not/exist");
}

TEST_CASE("rootfs::Extractor never writes through a symlink", "[rootfs][security]")
{
  test::TestDir t;
  std::string root = t / "root";
  std::string outside = t / "outside";
  ::mkdir(root.c_str(), 0755);
  ::mkdir(outside.c_str(), 0755);
  test::write_file(outside + "/canary", "canary");
  Extractor x(root, Owners::preserve);
  x.make_symlink("/evil", symlink_to("/"));
  x.make_symlink("/up", symlink_to("../../../.."));
  x.make_symlink("/out", symlink_to(outside));
  x.make_symlink("/canary-link", symlink_to(outside + "/canary"));

  SECTION("a file below an absolute link to /")
  {
    CHECK_THROWS_AS(write(x, "/evil/etc/passwd", "x"), BadInput);
  }
  SECTION("a directory below a climbing link")
  {
    CHECK_THROWS_AS(x.make_directory("/up/tmp/x"), BadInput);
  }
  SECTION("a file below a link to the outside directory")
  {
    CHECK_THROWS_AS(write(x, "/out/canary", "pwned"), BadInput);
  }
  SECTION("a file over a link to an outside file")
  {
    // O_EXCL|O_NOFOLLOW: the existing link is never opened.
    CHECK_THROWS(write(x, "/canary-link", "pwned"));
  }
  SECTION("a hardlink to a file behind a link")
  {
    CHECK_THROWS_AS(x.make_hardlink("/stolen", "/out/canary"), BadInput);
  }
  SECTION("a symlink below a link")
  {
    CHECK_THROWS_AS(x.make_symlink("/out/new", symlink_to("/x")), BadInput);
  }
  SECTION("removal through a link")
  {
    CHECK_THROWS_AS(x.remove("/out/canary"), BadInput);
  }
  SECTION("removal of the link itself keeps the target")
  {
    x.remove("/out");
    CHECK_FALSE(test::path_exists(root + "/out"));
  }
  CHECK(test::read_file(outside + "/canary") == "canary");
  CHECK_FALSE(test::path_exists(outside + "/new"));
  CHECK_FALSE(test::path_exists(outside + "/stolen"));
  CHECK_FALSE(test::path_exists(t / "etc"));
}

TEST_CASE("rootfs::Extractor writes runs of zeros as holes, with the same content and size", "[rootfs]")
{
  test::TestDir t;
  ::mkdir((t / "root").c_str(), 0755);
  Extractor x(t / "root", Owners::preserve);
  std::string sparse = "head" + std::string(8 << 20, '\0') + "tail";
  std::string trailing = "data" + std::string(4 << 20, '\0'); // ends in a hole: the size must still hold
  std::string small(100, '\0');                                 // too short to be worth a hole
  write(x, "/var/log/lastlog", sparse);
  write(x, "/var/log/faillog", trailing);
  write(x, "/etc/zeros", small);
  CHECK(test::read_file(t / "root/var/log/lastlog") == sparse);
  CHECK(test::read_file(t / "root/var/log/faillog") == trailing);
  CHECK(test::read_file(t / "root/etc/zeros") == small);
  struct stat st = lstat_of(t / "root/var/log/lastlog");
  CHECK(st.st_size == static_cast<off_t>(sparse.size()));
  CHECK(st.st_blocks * 512 < (1 << 20)); // the 8 MiB of zeros take no disk
  st = lstat_of(t / "root/var/log/faillog");
  CHECK(st.st_size == static_cast<off_t>(trailing.size()));
  CHECK(st.st_blocks * 512 < (1 << 20));
}
