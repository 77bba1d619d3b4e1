#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include <whittle/slim/script_scan.hpp>

using namespace whittle::slim;

TEST_CASE("slim::scan_script reads the code of a substitution whatever its parentheses", "[slim][script]")
{
  // Table: script text -> programs found. Each has a ")" or "(" inside a substitution that does not
  // close or open it (a case pattern, a heredoc line, a comment, a quote).
  struct Case
  {
    const char* text;
    std::vector<std::string> commands;
  };
  const std::vector<Case> cases = {
      {"x=$(case \"$1\" in start) a;; (stop) b;; esac); c\n", {"a", "b", "c"}},
      {"x=$(cat <<EOF\n) (\nEOF\nd); e\n", {"cat", "d", "e"}},
      {"x=$( # note (see x)\nf\n); g\n", {"f", "g"}},
      {"y=\"$(h \"$(i ')')\" `j \\`k\\``)\"\n", {"h", "i", "j", "k"}},
      {"z=$(echo case in esac; l)\n", {"l"}},
      {"diff <(case $x in a) m;; esac) <(n ')')\n", {"diff", "m", "n"}},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    ScriptScan s = scan_script(c.text);
    CHECK(s.commands == c.commands);
    CHECK(s.problems.empty());
  }
}
