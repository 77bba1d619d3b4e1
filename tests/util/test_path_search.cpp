#include <catch2/catch.hpp>
#include <set>
#include <whittle/util/path_search.hpp>

using namespace whittle::util;

namespace {

std::vector<std::string>
entries_of(std::string_view path)
{
  std::vector<std::string> out;
  PathEntries entries(path);
  for (std::string_view e; entries.next(e);) {
    out.emplace_back(e);
  }
  return out;
}

} // namespace

TEST_CASE("util::PathEntries splits PATH as execvp does, empty entries kept", "[util]")
{
  using V = std::vector<std::string>;
  CHECK(entries_of("/usr/bin:/bin") == V{"/usr/bin", "/bin"});
  CHECK(entries_of("") == V{""});
  CHECK(entries_of(":/bin") == V{"", "/bin"});
  CHECK(entries_of("/bin:") == V{"/bin", ""});
  CHECK(entries_of("/a::rel") == V{"/a", "", "rel"});
}

TEST_CASE("util::find_on_path follows execvp's rules over a predicate", "[util]")
{
  std::set<std::string> exes = {"/usr/bin/python3", "/bin/python3", "/srv/app/run", "/srv/app/bin/tool",
                                "/x/sh"};
  std::vector<std::string> asked;
  auto is_exe = [&](const std::string& p) {
    asked.push_back(p);
    return exes.count(p) > 0;
  };

  SECTION("the first entry holding the name wins")
  {
    CHECK(find_on_path("python3", "/usr/local/bin:/usr/bin:/bin", "/", is_exe) == "/usr/bin/python3");
    CHECK(asked == std::vector<std::string>{"/usr/local/bin/python3", "/usr/bin/python3"});
  }
  SECTION("an empty entry is the working directory, a relative one is below it")
  {
    CHECK(find_on_path("run", "/usr/bin", "/srv/app", is_exe) == std::nullopt);
    CHECK(find_on_path("run", "/usr/bin:", "/srv/app", is_exe) == "/srv/app/run");
    CHECK(find_on_path("run", ":/usr/bin", "/srv/app", is_exe) == "/srv/app/run");
    CHECK(find_on_path("run", "", "/srv/app", is_exe) == "/srv/app/run");
    CHECK(find_on_path("tool", "/usr/bin:bin", "/srv/app", is_exe) == "/srv/app/bin/tool");
  }
  SECTION("a name with '/' is not searched")
  {
    CHECK(find_on_path("/usr/bin/python3", "/nowhere", "/", is_exe) == "/usr/bin/python3");
    CHECK(find_on_path("app/run", "/srv", "/srv", is_exe) == "/srv/app/run");
    CHECK(find_on_path("bin/python3", "/usr:/", "/", is_exe) == "/bin/python3");
    CHECK(find_on_path("x/python3", "/usr/bin", "/", is_exe) == std::nullopt);
    CHECK(asked.back() == "/x/python3");
  }
  SECTION("entries and names cannot leave the root")
  {
    CHECK(find_on_path("sh", "/../../x", "/", is_exe) == "/x/sh");
    CHECK(find_on_path("../../x/sh", "", "/srv/app", is_exe) == "/x/sh");
  }
  SECTION("nothing for an empty name or no match")
  {
    CHECK(find_on_path("", "/usr/bin", "/", is_exe) == std::nullopt);
    CHECK(asked.empty());
    CHECK(find_on_path("nope", "/usr/bin:/bin", "/", is_exe) == std::nullopt);
  }
}
