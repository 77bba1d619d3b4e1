#include <catch2/catch.hpp>
#include <whittle/archive/whiteout.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::archive;

TEST_CASE("archive::classify_whiteout", "[archive]")
{
  struct Case
  {
    const char* path;
    WhiteoutKind kind;
    const char* target;
  };
  const Case cases[] = {
      {"/etc/passwd", WhiteoutKind::none, ""},
      {"/", WhiteoutKind::none, ""},
      {"/etc/wh.x", WhiteoutKind::none, ""},
      {"/etc/x.wh.y", WhiteoutKind::none, ""},
      {"/.wh.etc", WhiteoutKind::remove, "/etc"},
      {"/etc/.wh.passwd", WhiteoutKind::remove, "/etc/passwd"},
      {"/a/b/.wh..hidden", WhiteoutKind::remove, "/a/b/.hidden"},
      {"/a/b/.wh....", WhiteoutKind::remove, "/a/b/..."},
      {"/.wh..wh..opq", WhiteoutKind::opaque, "/"},
      {"/var/lib/.wh..wh..opq", WhiteoutKind::opaque, "/var/lib"},
      {"/.wh..wh.plnk", WhiteoutKind::remove, "/.wh.plnk"},
  };
  for (const Case& c : cases) {
    INFO(c.path);
    Whiteout w = classify_whiteout(c.path, "layer 1");
    CHECK(w.kind == c.kind);
    CHECK(w.target == c.target);
  }
  for (const char* bad : {"/etc/.wh.", "/etc/.wh..", "/.wh...", "/.wh."}) {
    INFO(bad);
    CHECK_THROWS_AS(classify_whiteout(bad, "layer 1"), BadInput);
  }
  CHECK_THROWS_WITH(classify_whiteout("/etc/.wh..", "layer sha256:ab"),
                    Catch::Contains("layer sha256:ab") && Catch::Contains("`/etc/.wh..`"));
}

TEST_CASE("archive::whiteout_path_for", "[archive]")
{
  CHECK(whiteout_path_for("/etc/passwd") == "/etc/.wh.passwd");
  CHECK(whiteout_path_for("/etc") == "/.wh.etc");
  CHECK_THROWS_AS(whiteout_path_for("/"), Error);
  for (const char* p : {"/usr/lib/x.so", "/a", "/a/.b"}) {
    Whiteout w = classify_whiteout(whiteout_path_for(p), "layer");
    CHECK(w.kind == WhiteoutKind::remove);
    CHECK(w.target == p);
  }
}
