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
  // Never a device node on the host, root or not: an empty placeholder nothing can open.
  struct stat d = lstat_of(root + "/dev/null");
  CHECK(S_ISREG(d.st_mode));
  CHECK(d.st_size == 0);
  CHECK((d.st_mode & 07777) == 0);
  CHECK(x.device_placeholders() == 1);

  x.remove("/usr");
  CHECK_FALSE(test::path_exists(root + "/usr"));
  x.remove("/does/not/exist");
}

TEST_CASE("rootfs::Extractor shifts owners into the sandbox's id range", "[rootfs]")
{
  if (::geteuid() != 0) {
    test::skip("setting owners needs root");
    return;
  }
  test::TestDir t;
  ::mkdir((t / "root").c_str(), 0755);
  util::IdShift shift{200000, 65536};
  Extractor x(t / "root", Owners::preserve, shift);
  Node owned = meta(NodeType::regular, 04750);
  owned.uid = 1000;
  owned.gid = 1001;
  util::StringSource src("");
  x.write_file("/home/notes", owned, src);
  Node huge = meta(NodeType::regular, 0644);
  huge.uid = 70000; // outside the 65536 ids
  huge.gid = 4294967294u;
  util::StringSource src2("");
  x.write_file("/big", huge, src2);
  Node dev = meta(NodeType::block_device, 0660);
  dev.uid = 6;
  dev.gid = 6;
  x.make_special("/sda", dev);
  Tree tree;
  tree.put("/home", meta(NodeType::directory, 0755));
  x.finish(tree);

  std::string root = t / "root";
  struct stat st = lstat_of(root + "/home/notes");
  CHECK(st.st_uid == 201000);
  CHECK(st.st_gid == 201001);
  CHECK((st.st_mode & 07777) == 04750); // the chown did not drop the setuid bit
  st = lstat_of(root + "/big");
  CHECK(st.st_uid == 200000 + 65534);
  CHECK(st.st_gid == 200000 + 65534);
  CHECK(x.overflowed_ids() == 2);
  st = lstat_of(root + "/sda");
  CHECK(S_ISREG(st.st_mode));
  CHECK(st.st_uid == 200006);
  CHECK(lstat_of(root + "/home").st_uid == 200000);
  CHECK(lstat_of(root).st_uid == 200000); // the implicit root belongs to the sandbox's root
}

TEST_CASE("util::shift_owners shifts a hand-built tree without following links", "[rootfs]")
{
  if (::geteuid() != 0) {
    test::skip("setting owners needs root");
    return;
  }
  test::TestDir t;
  std::string root = t / "tree";
  ::mkdir(root.c_str(), 0755);
  ::mkdir((root + "/d").c_str(), 0755);
  test::write_file(root + "/d/f", "x");
  REQUIRE(::chown((root + "/d/f").c_str(), 33, 34) == 0);
  REQUIRE(::symlink(t.path().c_str(), (root + "/out").c_str()) == 0);
  struct stat outside_before = lstat_of(t.path());
  util::IdShift shift{300000, 65536};
  CHECK(util::shift_owners(root, shift) == 0);
  CHECK(lstat_of(root + "/d/f").st_uid == 300033);
  CHECK(lstat_of(root + "/d/f").st_gid == 300034);
  CHECK(lstat_of(root + "/d").st_uid == 300000);
  CHECK(lstat_of(root + "/out").st_uid == 300000);           // the link itself
  CHECK(lstat_of(t.path()).st_uid == outside_before.st_uid); // not its target
  CHECK(util::IdShift{0, 1}.to_outer(1000) == 0);            // single-id: everything is the one id
  CHECK(util::IdShift{}.to_outer(1000) == 1000);             // no shift
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
  std::string small(100, '\0');                               // too short to be worth a hole
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
