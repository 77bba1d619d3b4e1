#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <ctime>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <whittle/util/temp_dir.hpp>

using namespace whittle;

namespace {

// The pid of a child that has exited and been reaped: no process has it (until the kernel reuses it).
pid_t
dead_pid()
{
  pid_t p = ::fork();
  if (p == 0) {
    ::_exit(0);
  }
  ::waitpid(p, nullptr, 0);
  return p;
}

void
make_old(const std::string& path)
{
  struct timespec t[2];
  t[0].tv_sec = t[1].tv_sec = ::time(nullptr) - 2 * 3600;
  t[0].tv_nsec = t[1].tv_nsec = 0;
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW) == 0);
}

void
old_dir(const std::string& path)
{
  REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  make_old(path);
}

void
old_file(const std::string& path)
{
  test::write_file(path, "x");
  make_old(path);
}

} // namespace

TEST_CASE("util::is_stale_candidate accepts only the names whittle creates", "[util]")
{
  int pid = 0;
  CHECK(util::is_stale_candidate(".whittle-trace-123-aB3xYz", &pid));
  CHECK(pid == 123);
  CHECK(util::is_stale_candidate(".whittle-image-7-000000", &pid));
  CHECK(pid == 7);
  CHECK(util::is_stale_candidate(".whittle-tmp-42-abcd1234-out", &pid));
  CHECK(pid == 42);
  CHECK(util::is_stale_candidate(".whittle-tmp-42-abcd1234-out.tar.old", nullptr));
  for (const char* name : {
           ".whittle-99999999999999999999",
           ".whittle-trace-99999999999999999999-abcdef",
           ".whittle-trace-2147483648-abcdef", // over pid_t
           ".whittle-trace-0-abcdef",
           ".whittle--1-abcdef",
           ".whittle-trace--1-abcdef",
           ".whittle-trace-12-abcdefg", // mkdtemp writes six characters
           ".whittle-trace-12-abcde",
           ".whittle-trace-12-abc.ef",
           ".whittle-trace-12x-abcdef",
           ".whittle-notes",
           ".whittle-foo-12-abcdef", // not a kind whittle uses
           "whittle-work-archive",
           "whittle-work-12-abcdef",
           ".whittle-tmp-12-ABCD1234-out", // AtomicOutput suffixes are lower case
           ".whittle-tmp-12-abcd1234-",    // no destination name
           ".whittle-tmp-12-abcd123-out",
           ".whittle-tmp-12-work-abcdef",
           ".whittle-trace-12-abcdef/x",
           "",
       }) {
    INFO(name);
    CHECK_FALSE(util::is_stale_candidate(name, nullptr));
  }
}

TEST_CASE("util::clean_stale removes only dead runs' leftovers, never user data or kept work dirs", "[util]")
{
  test::TestDir t;
  std::string d = t / "out";
  REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  std::string dead = std::to_string(dead_pid());
  std::string live = std::to_string(::getpid());

  // Decoys: the user's own files, names close to whittle's, and whittle entries it must leave.
  REQUIRE(::mkdir((d + "/.whittle-notes").c_str(), 0755) == 0);
  old_file(d + "/.whittle-notes/todo.txt");
  make_old(d + "/.whittle-notes");
  old_dir(d + "/whittle-work-archive");
  old_file(d + "/.whittle-99999999999999999999");
  old_dir(d + "/.whittle-trace-99999999999999999999-abcdef");
  old_dir(d + "/.whittle-trace-" + live + "-abcdef");  // its process runs
  old_dir(d + "/.whittle-foo-" + dead + "-abcdef");    // unknown kind
  old_dir(d + "/.whittle-trace-" + dead + "-abcdefg"); // wrong suffix length
  old_file(d + "/.whittle-trace-" + dead + "-fileXY"); // work dirs are directories
  REQUIRE(::symlink("/", (d + "/.whittle-slim-" + dead + "-linkXY").c_str()) == 0);
  make_old(d + "/.whittle-slim-" + dead + "-linkXY");
  REQUIRE(::mkdir((d + "/.whittle-build-" + dead + "-recent").c_str(), 0755) == 0); // not an hour old
  std::string kept = d + "/.whittle-verify-" + dead + "-keptXY";                    // --keep-workdir
  REQUIRE(::mkdir(kept.c_str(), 0755) == 0);
  test::write_file(kept + "/" + util::k_kept_marker, "");
  make_old(kept);

  // Leftovers of a killed run: removed.
  std::string work = d + "/.whittle-trace-" + dead + "-Ab3xYz";
  REQUIRE(::mkdir(work.c_str(), 0755) == 0);
  REQUIRE(::mkdir((work + "/rootfs").c_str(), 0555) == 0); // read-only, as extracted trees can be
  make_old(work);
  old_dir(d + "/.whittle-tmp-" + dead + "-abcd1234-img");
  old_file(d + "/.whittle-tmp-" + dead + "-abcd1234-img.tar");
  old_dir(d + "/.whittle-tmp-" + dead + "-0123abcd-img.old");

  CHECK(util::clean_stale(d, 3600) == 4);
  CHECK_FALSE(test::path_exists(work));
  CHECK_FALSE(test::path_exists(d + "/.whittle-tmp-" + dead + "-abcd1234-img"));
  CHECK_FALSE(test::path_exists(d + "/.whittle-tmp-" + dead + "-abcd1234-img.tar"));
  CHECK_FALSE(test::path_exists(d + "/.whittle-tmp-" + dead + "-0123abcd-img.old"));
  for (const std::string& left : {
           d + "/.whittle-notes/todo.txt",
           d + "/whittle-work-archive",
           d + "/.whittle-99999999999999999999",
           d + "/.whittle-trace-99999999999999999999-abcdef",
           d + "/.whittle-trace-" + live + "-abcdef",
           d + "/.whittle-foo-" + dead + "-abcdef",
           d + "/.whittle-trace-" + dead + "-abcdefg",
           d + "/.whittle-trace-" + dead + "-fileXY",
           d + "/.whittle-slim-" + dead + "-linkXY",
           d + "/.whittle-build-" + dead + "-recent",
           kept + "/" + util::k_kept_marker,
       }) {
    INFO(left);
    CHECK(test::path_exists(left));
  }
  CHECK(util::clean_stale(t / "absent", 3600) == 0);
}

TEST_CASE("util::TempDir::work names its directory for the cleaner and keep() marks it", "[util]")
{
  test::TestDir t;
  std::string path;
  {
    util::TempDir w = util::TempDir::work(util::WorkKind::slim, t.path());
    path = w.path();
    std::string name = path.substr(path.rfind('/') + 1);
    int pid = 0;
    CHECK(util::is_stale_candidate(name, &pid));
    CHECK(pid == ::getpid());
    CHECK(name.rfind(".whittle-slim-", 0) == 0);
    w.keep();
    CHECK(test::path_exists(path + "/" + util::k_kept_marker));
  }
  CHECK(test::path_exists(path));
  {
    util::TempDir w = util::TempDir::work(util::WorkKind::trace, t.path());
    path = w.path();
  }
  CHECK_FALSE(test::path_exists(path));
  util::AtomicOutput out(t / "dest.tar", util::AtomicOutput::Kind::file);
  std::string temp = out.temp_path();
  CHECK(util::is_stale_candidate(temp.substr(temp.rfind('/') + 1), nullptr));
}
