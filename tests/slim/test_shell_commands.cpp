#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include <whittle/slim/shell_commands.hpp>

using namespace whittle::slim;

namespace {

std::vector<Word>
words(const std::vector<std::string>& values)
{
  std::vector<Word> out;
  for (const auto& v : values) {
    Word w;
    w.raw = v;
    w.value = v;
    w.expands = !v.empty() && v[0] == '$';
    out.push_back(w);
  }
  return out;
}

} // namespace

TEST_CASE("slim::wrapped_command steps over a wrapper's options to the program it runs", "[slim][script]")
{
  struct Case
  {
    const char* base;
    std::vector<std::string> argv; // argv[0] is the wrapper
    size_t operand;
  };
  const std::vector<Case> cases = {
      {"env", {"env", "-i", "-u", "X", "A=1", "--chdir", "/", "prog", "arg"}, 7},
      {"env", {"env", "-uX", "prog"}, 2},
      {"timeout", {"timeout", "-s", "KILL", "--kill-after=5", "10", "prog"}, 5},
      {"gosu", {"gosu", "app:app", "prog"}, 2},
      {"setpriv", {"setpriv", "--reuid", "1", "--init-groups", "--", "prog"}, 5},
      {"nohup", {"nohup"}, 1},
      {"xargs", {"xargs", "-0", "-n1", "-I", "{}", "prog"}, 5},
      {"tini", {"tini", "-s", "--", "prog"}, 3},
      {"nice", {"nice", "$N", "prog"}, 1}, // an option decided at run time is taken for the program
  };
  for (const auto& c : cases) {
    INFO(c.argv[0]);
    std::optional<size_t> at = wrapped_command(c.base, words(c.argv), 1);
    REQUIRE(at.has_value());
    CHECK(*at == c.operand);
  }
  CHECK_FALSE(wrapped_command("ls", words({"ls", "-l"}), 1).has_value());
  CHECK_FALSE(wrapped_command("sh", words({"sh", "-c", "x"}), 1).has_value());
}

TEST_CASE("slim::is_shell_builtin, is_shell_keyword and is_shell_name", "[slim][script]")
{
  CHECK(is_shell_builtin("cd"));
  CHECK(is_shell_builtin("["));
  CHECK(is_shell_builtin("mapfile"));
  CHECK_FALSE(is_shell_builtin("ls"));
  CHECK_FALSE(is_shell_builtin("env"));
  CHECK(is_shell_keyword("[["));
  CHECK(is_shell_keyword("esac"));
  CHECK_FALSE(is_shell_keyword("time")); // dash's /usr/bin/time: a wrapper
  CHECK(is_shell_name("dash"));
  CHECK_FALSE(is_shell_name("zsh"));
  CHECK_FALSE(is_shell_name("/bin/sh")); // base names only
}
