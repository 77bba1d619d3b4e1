#include <catch2/catch.hpp>
#include <whittle/util/path.hpp>

using namespace whittle::util;

TEST_CASE("util::clean_in_root normalises image paths", "[util]")
{
  CHECK(clean_in_root("./usr//bin/../lib/").value() == "/usr/lib");
  CHECK(clean_in_root("/").value() == "/");
  CHECK(clean_in_root(".").value() == "/");
  CHECK(clean_in_root("a/./b").value() == "/a/b");
  CHECK_FALSE(clean_in_root("../etc/passwd").has_value());
  CHECK_FALSE(clean_in_root("a/../../b").has_value());
}

TEST_CASE("util::clamp_to_root treats .. at the root like a chroot", "[util]")
{
  CHECK(clamp_to_root("/../../etc/passwd") == "/etc/passwd");
  CHECK(join_in_root("/usr/lib", "../../../bin/sh") == "/bin/sh");
  CHECK(join_in_root("/usr/lib", "/etc") == "/etc");
  CHECK(parent_path("/usr/lib") == "/usr");
  CHECK(parent_path("/usr") == "/");
  CHECK(base_name("/usr/lib") == "lib");
  CHECK(is_within("/usr/lib/x", "/usr/lib"));
  CHECK_FALSE(is_within("/usr/lib64", "/usr/lib"));
}

TEST_CASE("util::glob_match", "[util]")
{
  struct Case
  {
    const char* pattern;
    const char* path;
    bool match;
  };
  const Case cases[] = {
      {"/usr/share/doc/**", "/usr/share/doc", true},
      {"/usr/share/doc/**", "/usr/share/doc/a/b/c", true},
      {"/usr/share/doc/**", "/usr/share/docs", false},
      {"/usr/lib/*.so", "/usr/lib/libc.so", true},
      {"/usr/lib/*.so", "/usr/lib/x/libc.so", false},
      {"**/*.pyc", "/usr/lib/python3/__pycache__/a.pyc", true},
      {"/usr/**/locale/**", "/usr/share/locale/de/LC_MESSAGES/x.mo", true},
      {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt", true},
      {"/lib/ld-linux-x86-64.so.?", "/lib/ld-linux-x86-64.so.2", true},
      {"/usr/lib/[a-c]*", "/usr/lib/bz", true},
      {"/usr/lib/[!a-c]*", "/usr/lib/bz", false},
  };
  for (const auto& c : cases) {
    INFO(c.pattern << " vs " << c.path);
    CHECK(glob_match(c.pattern, c.path) == c.match);
  }
}
