#include <catch2/catch.hpp>
#include <support/test_support.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/trace/path_resolver.hpp>

using namespace whittle;
using trace::Follow;

namespace {

std::string
make_root(const test::TestDir& dir)
{
  std::string r = dir / "root";
  for (const char* d : {"", "/usr", "/usr/lib", "/usr/bin", "/etc", "/data"}) {
    mkdir((r + d).c_str(), 0755);
  }
  test::write_file(r + "/usr/bin/python3.11", "x");
  test::write_file(r + "/usr/lib/libc.so.6", "x");
  test::write_file(r + "/etc/passwd", "x");
  ::symlink("python3.11", (r + "/usr/bin/python3").c_str());
  ::symlink("usr/lib", (r + "/lib").c_str());
  ::symlink("/usr/bin", (r + "/bin").c_str());
  ::symlink("../../../../etc", (r + "/data/escape").c_str());
  ::symlink("loop2", (r + "/loop1").c_str());
  ::symlink("loop1", (r + "/loop2").c_str());
  ::symlink("/etc/passwd", (r + "/data/pw").c_str());
  return r;
}

} // namespace

TEST_CASE("trace::absolute_in_tracee joins with the dirfd or cwd", "[trace]")
{
  CHECK(trace::absolute_in_tracee("/etc/passwd", "/x") == "/etc/passwd");
  CHECK(trace::absolute_in_tracee("a/b", "/x") == "/x/a/b");
  CHECK(trace::absolute_in_tracee("a", "/") == "/a");
  CHECK(trace::absolute_in_tracee("../a", "/x/y") == "/x/y/../a");
  CHECK(trace::absolute_in_tracee("", "/x") == "/x");
}

TEST_CASE("trace::proc_link_to_tracee maps /proc links to tracee paths", "[trace]")
{
  CHECK(trace::proc_link_to_tracee("/etc", "/tmp/r") == "/etc");
  CHECK(trace::proc_link_to_tracee("/tmp/r/etc", "/tmp/r") == "/etc");
  CHECK(trace::proc_link_to_tracee("/tmp/r", "/tmp/r") == "/");
  CHECK(trace::proc_link_to_tracee("/tmp/rx/etc", "/tmp/r") == "/tmp/rx/etc");
  CHECK(trace::proc_link_to_tracee("/data/x (deleted)", "/tmp/r") == "/data/x");
  CHECK(trace::proc_link_to_tracee("socket:[123]", "/tmp/r") == "");
  CHECK(trace::proc_link_to_tracee("anon_inode:[eventfd]", "/tmp/r") == "");
}

TEST_CASE("trace::RootResolver resolves like a chroot", "[trace]")
{
  test::TestDir dir;
  trace::RootResolver r(make_root(dir), trace::RootResolver::default_special());
  using Links = std::vector<std::pair<std::string, std::string>>;

  SECTION("plain file")
  {
    auto x = r.resolve("/etc/passwd", Follow::yes);
    CHECK(x.path == "/etc/passwd");
    CHECK(x.exists);
    CHECK(!x.is_dir);
    CHECK(x.links.empty());
  }
  SECTION("relative link at the end, followed and not")
  {
    auto x = r.resolve("/usr/bin/python3", Follow::yes);
    CHECK(x.path == "/usr/bin/python3.11");
    CHECK(x.links == Links{{"/usr/bin/python3", "python3.11"}});
    auto y = r.resolve("/usr/bin/python3", Follow::no);
    CHECK(y.path == "/usr/bin/python3");
    CHECK(y.is_symlink);
    CHECK(y.links.empty());
  }
  SECTION("absolute link in the middle")
  {
    auto x = r.resolve("/bin/python3", Follow::yes);
    CHECK(x.path == "/usr/bin/python3.11");
    CHECK(x.links == Links{{"/bin", "/usr/bin"}, {"/usr/bin/python3", "python3.11"}});
  }
  SECTION("relative link in the middle, then ..")
  {
    auto x = r.resolve("/lib/../bin/python3.11", Follow::yes);
    CHECK(x.path == "/usr/bin/python3.11");
    CHECK(x.exists);
    CHECK(x.links == Links{{"/lib", "usr/lib"}});
  }
  SECTION(".. at the root stays at the root")
  {
    auto x = r.resolve("/../../etc/passwd", Follow::yes);
    CHECK(x.path == "/etc/passwd");
    CHECK(x.exists);
  }
  SECTION("a link climbing out of the root is clamped")
  {
    auto x = r.resolve("/data/escape/passwd", Follow::yes);
    CHECK(x.path == "/etc/passwd");
    CHECK(x.exists);
    CHECK(x.links == Links{{"/data/escape", "../../../../etc"}});
  }
  SECTION("missing components")
  {
    auto x = r.resolve("/nope/a/../b", Follow::yes);
    CHECK(x.path == "/nope/b");
    CHECK(!x.exists);
    auto y = r.resolve("/etc/passwd/x", Follow::yes);
    CHECK(y.path == "/etc/passwd/x");
    CHECK(!y.exists);
  }
  SECTION("link loops end")
  {
    auto x = r.resolve("/loop1", Follow::yes);
    CHECK(!x.exists);
    CHECK(x.links.size() == 40);
  }
  SECTION("special prefixes are not resolved in the rootfs")
  {
    auto x = r.resolve("/proc/self/../1/root/etc", Follow::yes);
    CHECK(x.special);
    CHECK(x.path == "/proc/1/root/etc");
    CHECK(r.resolve("/dev/null", Follow::yes).special);
    CHECK(r.resolve("/etc/hosts", Follow::yes).special);
    CHECK(!r.resolve("/etc/hostsx", Follow::yes).special);
    CHECK(r.is_special("/sys"));
    CHECK(!r.is_special("/system"));
  }
  SECTION("directories")
  {
    auto x = r.resolve("/usr/lib/", Follow::yes);
    CHECK(x.path == "/usr/lib");
    CHECK(x.is_dir);
    auto y = r.resolve("/", Follow::yes);
    CHECK(y.path == "/");
    CHECK(y.is_dir);
    CHECK(y.exists);
  }
}
