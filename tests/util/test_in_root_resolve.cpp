#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>
#include <whittle/util/in_root_resolve.hpp>

using namespace whittle;
using util::Follow;
using util::PathKind;

namespace {

using Links = std::vector<std::pair<std::string, std::string>>;

// A fake root: canonical path -> entry; everything else is missing. Counts the lookups made.
struct FakeRoot
{
  std::map<std::string, util::PathEntry> entries;
  std::vector<std::string> looked_up;

  void dir(const std::string& p) { entries[p] = {PathKind::directory, {}}; }
  void file(const std::string& p) { entries[p] = {PathKind::regular, {}}; }
  void link(const std::string& p, const std::string& target) { entries[p] = {PathKind::symlink, target}; }

  util::PathLookup lookup()
  {
    return [this](const std::string& p) {
      looked_up.push_back(p);
      auto it = entries.find(p);
      return it == entries.end() ? util::PathEntry{} : it->second;
    };
  }
};

FakeRoot
sample()
{
  FakeRoot f;
  for (const char* d : {"/", "/usr", "/usr/bin", "/usr/lib", "/etc", "/jail", "/jail/etc", "/proc"}) {
    f.dir(d);
  }
  f.file("/usr/bin/python3.11");
  f.file("/etc/passwd");
  f.file("/jail/etc/passwd");
  f.entries["/dev-null"] = {PathKind::other, {}};
  f.link("/usr/bin/python3", "python3.11");
  f.link("/bin", "/usr/bin");
  f.link("/lib", "usr/lib");
  f.link("/etc/escape", "../../../../etc/passwd");
  f.link("/jail/abs", "/etc/passwd");
  f.link("/jail/up", "../../../etc");
  f.link("/dangling", "/nowhere/x");
  f.link("/empty", "");
  f.link("/to-root", "/");
  f.link("/a", "b");
  f.link("/b", "a");
  return f;
}

} // namespace

TEST_CASE("util::resolve_in_root walks like the kernel in a chroot", "[util]")
{
  FakeRoot f = sample();
  struct Case
  {
    const char* path;
    Follow follow;
    const char* cwd;
    const char* floor;
    const char* expected;
    PathKind kind;
    Links links;
  };
  const Case cases[] = {
      {"/etc/passwd", Follow::yes, "/", "/", "/etc/passwd", PathKind::regular, {}},
      {"/dev-null", Follow::yes, "/", "/", "/dev-null", PathKind::other, {}},
      // A final link is followed or not; links in the middle always are.
      {"/usr/bin/python3",
       Follow::yes,
       "/",
       "/",
       "/usr/bin/python3.11",
       PathKind::regular,
       {{"/usr/bin/python3", "python3.11"}}},
      {"/usr/bin/python3", Follow::no, "/", "/", "/usr/bin/python3", PathKind::symlink, {}},
      {"/bin/python3", Follow::no, "/", "/", "/usr/bin/python3", PathKind::symlink, {{"/bin", "/usr/bin"}}},
      // ".." applies to the directory reached, not to the path as written.
      {"/lib/../bin/python3.11",
       Follow::yes,
       "/",
       "/",
       "/usr/bin/python3.11",
       PathKind::regular,
       {{"/lib", "usr/lib"}}},
      // ".." at the root stays there, in the path and in a link's target.
      {"/../../etc/passwd", Follow::yes, "/", "/", "/etc/passwd", PathKind::regular, {}},
      {"/etc/escape",
       Follow::yes,
       "/",
       "/",
       "/etc/passwd",
       PathKind::regular,
       {{"/etc/escape", "../../../../etc/passwd"}}},
      // Relative paths start at cwd.
      {"python3",
       Follow::yes,
       "/usr/bin",
       "/",
       "/usr/bin/python3.11",
       PathKind::regular,
       {{"/usr/bin/python3", "python3.11"}}},
      {"../../../etc/passwd", Follow::yes, "/usr/bin", "/", "/etc/passwd", PathKind::regular, {}},
      // The floor (openat2 RESOLVE_IN_ROOT): absolute paths and targets start there, ".." stops there.
      {"/etc/passwd", Follow::yes, "/jail", "/jail", "/jail/etc/passwd", PathKind::regular, {}},
      {"abs",
       Follow::yes,
       "/jail",
       "/jail",
       "/jail/etc/passwd",
       PathKind::regular,
       {{"/jail/abs", "/etc/passwd"}}},
      {"up/passwd",
       Follow::yes,
       "/jail",
       "/jail",
       "/jail/etc/passwd",
       PathKind::regular,
       {{"/jail/up", "../../../etc"}}},
      {"../../etc", Follow::yes, "/jail", "/jail", "/jail/etc", PathKind::directory, {}},
      // A cwd outside the floor is not trusted: the walk starts at the floor.
      {"etc/passwd", Follow::yes, "/usr", "/jail", "/jail/etc/passwd", PathKind::regular, {}},
      // A missing component or a file in the middle ends the walk; the rest is joined lexically.
      {"/nope/a/../b", Follow::yes, "/", "/", "/nope/b", PathKind::missing, {}},
      {"/etc/passwd/x", Follow::yes, "/", "/", "/etc/passwd/x", PathKind::missing, {}},      // ENOTDIR
      {"/etc/passwd/.", Follow::yes, "/", "/", "/etc/passwd", PathKind::missing, {}},        // ENOTDIR
      {"/nope/../../../x", Follow::yes, "/jail", "/jail", "/jail/x", PathKind::missing, {}}, // floor kept
      {"/dangling", Follow::yes, "/", "/", "/nowhere/x", PathKind::missing, {{"/dangling", "/nowhere/x"}}},
      {"/dangling", Follow::no, "/", "/", "/dangling", PathKind::symlink, {}},
      // An empty target is ENOENT, not ".".
      {"/empty", Follow::yes, "/", "/", "/empty", PathKind::missing, {{"/empty", ""}}},
      {"/empty/x", Follow::yes, "/", "/", "/empty/x", PathKind::missing, {{"/empty", ""}}},
      // Walks that end on a directory they started at or entered.
      {"/", Follow::yes, "/", "/", "/", PathKind::directory, {}},
      {"/to-root", Follow::yes, "/", "/", "/", PathKind::directory, {{"/to-root", "/"}}},
      {"/./usr//bin/", Follow::yes, "/", "/", "/usr/bin", PathKind::directory, {}},
      {"", Follow::yes, "/usr/bin", "/", "/usr/bin", PathKind::directory, {}},
      {".", Follow::yes, "/gone", "/", "/gone", PathKind::missing, {}},
  };
  for (const auto& c : cases) {
    INFO("resolve `" << c.path << "` from " << c.cwd << " within " << c.floor);
    util::InRootPath r = util::resolve_in_root(c.path, f.lookup(), c.follow, c.cwd, c.floor);
    CHECK(r.path == c.expected);
    CHECK(r.kind == c.kind);
    CHECK(r.links == c.links);
    CHECK_FALSE(r.loop);
    CHECK(r.exists() == (c.kind != PathKind::missing));
  }
}

TEST_CASE("util::resolve_in_root follows 40 links and fails on the 41st", "[util]")
{
  FakeRoot f = sample();
  SECTION("a two-link loop")
  {
    util::InRootPath r = util::resolve_in_root("/a/x/..", f.lookup());
    CHECK(r.loop);
    CHECK(r.kind == PathKind::missing);
    CHECK_FALSE(r.exists());
    CHECK(r.links.size() == 40);
    CHECK(r.links.front() == std::pair<std::string, std::string>("/a", "b"));
    CHECK(r.path == "/a"); // the link met 41st ("/a"), then "x/.." joined lexically
    CHECK_FALSE(util::resolve_in_root("/a", f.lookup(), Follow::no).loop);
  }
  SECTION("a chain of exactly 40 resolves, 41 does not (MAXSYMLINKS)")
  {
    f.file("/target");
    f.link("/l0", "/target");
    for (int i = 1; i <= 40; ++i) {
      f.link("/l" + std::to_string(i), "l" + std::to_string(i - 1));
    }
    util::InRootPath ok = util::resolve_in_root("/l39", f.lookup());
    CHECK_FALSE(ok.loop);
    CHECK(ok.path == "/target");
    CHECK(ok.kind == PathKind::regular);
    CHECK(ok.links.size() == 40);
    util::InRootPath too_many = util::resolve_in_root("/l40/y", f.lookup());
    CHECK(too_many.loop);
    CHECK(too_many.path == "/l0/y");
    CHECK(too_many.kind == PathKind::missing);
  }
}

TEST_CASE("util::resolve_in_root stops at an opaque path and looks up nothing below it", "[util]")
{
  FakeRoot f = sample();
  f.entries["/proc"] = {PathKind::opaque, {}};
  f.link("/self", "/proc/self");
  util::InRootPath r = util::resolve_in_root("/self/../1/root", f.lookup());
  CHECK(r.kind == PathKind::opaque);
  CHECK_FALSE(r.exists());
  CHECK(r.path == "/proc/1/root");
  CHECK(r.links == Links{{"/self", "/proc/self"}});
  CHECK(f.looked_up == std::vector<std::string>{"/self", "/proc"});
}

TEST_CASE("util::resolve_in_root looks up each component once and the start only when it ends there",
          "[util]")
{
  FakeRoot f = sample();
  util::resolve_in_root("/usr/bin/python3", f.lookup());
  CHECK(f.looked_up ==
        std::vector<std::string>{"/usr", "/usr/bin", "/usr/bin/python3", "/usr/bin/python3.11"});
  f.looked_up.clear();
  util::resolve_in_root("/usr/..", f.lookup());
  CHECK(f.looked_up == std::vector<std::string>{"/usr"}); // "/" is known to be a directory: /usr's parent
  f.looked_up.clear();
  util::resolve_in_root(".", f.lookup(), Follow::yes, "/usr");
  CHECK(f.looked_up == std::vector<std::string>{"/usr"});
}
