#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include <whittle/slim/shell_lexer.hpp>

using namespace whittle::slim;

namespace {

// The end of the region at the start of `text`, and whether it was closed.
RegionEnd
end_of(const std::string& text, Region kind, std::vector<CodeRegion>* code = nullptr)
{
  INFO(text);
  return skip_balanced(text, 0, kind, 0, code);
}

std::vector<std::string>
code_texts(const std::string& text, const std::vector<CodeRegion>& code)
{
  std::vector<std::string> out;
  for (const auto& c : code) {
    out.push_back(text.substr(c.begin, c.end - c.begin));
  }
  return out;
}

std::vector<Token>
tokens(const std::string& text)
{
  int depth = 0;
  ShellLexer lexer(text, depth);
  std::vector<Token> out;
  for (Token t = lexer.next(); t.kind != TokenKind::end; t = lexer.next()) {
    out.push_back(std::move(t));
  }
  return out;
}

} // namespace

TEST_CASE("slim::skip_balanced finds the end of each kind of region", "[slim][script]")
{
  // Table: text whose region starts at 0 -> offset just past its closer. The tail "|x" must not be read.
  struct Case
  {
    const char* text;
    Region kind;
    size_t end;
  };
  const std::vector<Case> cases = {
      {"'a\"b$(c'|x", Region::single_quote, 8},
      {"'a\\'|x", Region::single_quote, 4}, // no escapes in single quotes
      {"$'a\\'b'|x", Region::ansi_c_quote, 7},
      {"\"a\\\"b\"|x", Region::double_quote, 6},
      {"$\"a\"|x", Region::double_quote, 4},
      {"\"a'b\"|x", Region::double_quote, 5}, // a single quote inside double quotes is a byte
      {"\"$(echo \")\")\"|x", Region::double_quote, 13},
      {"\"${x:-\"}\"}\"|x", Region::double_quote, 11},
      {"\"`a \\\" b`\"|x", Region::double_quote, 10},
      {"${x:-'}'}|x", Region::parameter, 9},
      {"${x:-${y:-}}}|x", Region::parameter, 12},
      {"$((1 + (2)))|x", Region::arithmetic, 12},
      {"((i++))|x", Region::arithmetic, 7},
      {"$(a (b) c)|x", Region::command, 10},
      {"$(a ')' \")\" \\))|x", Region::command, 15},
      {"$(a $(b) `)`)|x", Region::command, 13},
      {"<(a)|x", Region::command, 4},
      {"$(# a comment with )\nb)|x", Region::command, 23},
      {"$(case $x in a) b;; (c) d;; esac)|x", Region::command, 33},
      {"$(echo case)|x", Region::command, 12},
      {"$(cat <<EOF\n)\nEOF\n)|x", Region::command, 19},
      {"$(cat <<-'E' ; a\n\t)\n\tE\n)|x", Region::command, 24},
      {"$(cat <<<')')|x", Region::command, 13},
      {"`a \\` b`|x", Region::backquote, 8},
      {"`a \\\\`|x", Region::backquote, 6}, // an escaped backslash does not escape the closer
  };
  for (const auto& c : cases) {
    INFO(c.text);
    RegionEnd e = end_of(c.text, c.kind);
    CHECK(e.closed);
    CHECK(e.end == c.end);
  }
}

TEST_CASE("slim::skip_balanced: an unterminated region runs to the end of the text", "[slim][script]")
{
  struct Case
  {
    const char* text;
    Region kind;
  };
  const std::vector<Case> cases = {
      {"'abc", Region::single_quote},
      {"$'a\\'", Region::ansi_c_quote},
      {"\"abc\\\"", Region::double_quote},
      {"\"$(a\"", Region::double_quote},
      {"${x", Region::parameter},
      {"$((1+(2)", Region::arithmetic},
      {"$(a", Region::command},
      {"$(a 'b)'", Region::command},
      {"$(a # )", Region::command},
      {"`a\\`", Region::backquote},
      {"$(case x in a) b", Region::command},
      {"\\", Region::double_quote},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    RegionEnd e = end_of(c.text, c.kind);
    CHECK_FALSE(e.closed);
    CHECK(e.end == std::string(c.text).size());
  }
  // The innermost region left open is named.
  CHECK(end_of("\"${x:-'a", Region::double_quote).innermost == Region::single_quote);
  CHECK(end_of("$(a \"b", Region::command).innermost == Region::double_quote);
  CHECK(end_of("$(a", Region::command).innermost == Region::command);
  // A region opened at a later offset, and a heredoc body (it has no closer: it is the whole text, open
  // only when a region inside it is).
  CHECK(skip_balanced("x $(a) y", 2, Region::command).end == 6);
  RegionEnd body = skip_balanced("a $(b)\nc", 0, Region::heredoc_body);
  CHECK(body.closed);
  CHECK(body.end == 8);
  body = skip_balanced("a ${b\nc", 0, Region::heredoc_body);
  CHECK_FALSE(body.closed);
  CHECK(body.end == 7);
  CHECK(body.innermost == Region::parameter);
  // "$$" is one expansion: "$$(" opens nothing.
  CHECK(skip_balanced("\"$$(\"", 0, Region::double_quote).end == 5);
  std::vector<CodeRegion> code;
  CHECK(end_of("\"$$(x)\"", Region::double_quote, &code).end == 7);
  CHECK(code.empty());
}

TEST_CASE("slim::skip_balanced stops at one depth cap, whatever the regions", "[slim][script]")
{
  auto nested = [](const std::string& open, const std::string& close, int levels) {
    std::string s;
    for (int i = 0; i < levels; ++i) {
      s += open;
    }
    s += "a";
    for (int i = 0; i < levels; ++i) {
      s += close;
    }
    return s;
  };
  std::string ok = nested("$(", ")", k_max_script_nesting);
  CHECK(skip_balanced(ok, 0, Region::command).end == ok.size());
  CHECK_THROWS_AS(skip_balanced(nested("$(", ")", k_max_script_nesting + 1), 0, Region::command), ScanLimit);
  CHECK_THROWS_AS(skip_balanced(nested("\"$(", ")\"", 40), 0, Region::double_quote), ScanLimit);
  CHECK_THROWS_AS(skip_balanced(nested("${x:-", "}", 100), 0, Region::parameter), ScanLimit);
  // The caller's depth counts: the same text fails when the caller is already nested.
  std::string ten = nested("$(", ")", 10);
  CHECK_NOTHROW(skip_balanced(ten, 0, Region::command, k_max_script_nesting - 10));
  CHECK_THROWS_AS(skip_balanced(ten, 0, Region::command, k_max_script_nesting - 9), ScanLimit);
}

TEST_CASE("slim::skip_balanced reports the shell code inside quotes and parameters", "[slim][script]")
{
  std::vector<CodeRegion> code;
  std::string dq = "\"a $(b \"$(c)\") `d \\` e` ${x:-$(f)}\"";
  RegionEnd e = end_of(dq, Region::double_quote, &code);
  CHECK(e.closed);
  CHECK(e.end == dq.size());
  // $(c) is inside $(b ...): the grammar finds it when it reads that text.
  CHECK(code_texts(dq, code) == std::vector<std::string>{"b \"$(c)\"", "d \\` e", "f"});
  CHECK(code[0].kind == Region::command);
  CHECK(code[1].kind == Region::backquote);
  CHECK(unescape_backquoted("d \\` e \\$x \\\\ \\n \\\nf") == "d ` e $x \\ \\n f");

  code.clear();
  std::string body = "x $(a\ny `b` '$(c)' \\$(d) $((e))";
  skip_balanced(body, 0, Region::heredoc_body, 0, &code);
  CHECK(code_texts(body, code) == std::vector<std::string>{"a\ny `b` '$(c)' \\$(d) $((e))"});
  CHECK_FALSE(code[0].closed);

  code.clear();
  std::string body2 = "x `b` '$(c)' \\$(d) $((e)) <(f)";
  skip_balanced(body2, 0, Region::heredoc_body, 0, &code);
  CHECK(code_texts(body2, code) == std::vector<std::string>{"b", "c"}); // quotes are bytes in a heredoc
}

TEST_CASE("slim::region_at tells which region an opener starts", "[slim][script]")
{
  CHECK(region_at("'a'", 0, Quoting::none) == Region::single_quote);
  CHECK_FALSE(region_at("'a'", 0, Quoting::double_quotes).has_value());
  CHECK(region_at("$'a'", 0, Quoting::none) == Region::ansi_c_quote);
  CHECK_FALSE(region_at("$'a'", 0, Quoting::double_quotes).has_value());
  CHECK(region_at("$\"a\"", 0, Quoting::none) == Region::double_quote);
  CHECK(region_at("$((1))", 0, Quoting::double_quotes) == Region::arithmetic);
  CHECK(region_at("$(a)", 0, Quoting::double_quotes) == Region::command);
  CHECK(region_at("${a}", 0, Quoting::double_quotes) == Region::parameter);
  CHECK(region_at("`a`", 0, Quoting::double_quotes) == Region::backquote);
  CHECK_FALSE(region_at("$a", 0, Quoting::none).has_value());
  CHECK_FALSE(region_at("((1))", 0, Quoting::none).has_value());
  CHECK_FALSE(region_at("$", 0, Quoting::none).has_value());
}

TEST_CASE("slim::ShellLexer splits words, operators and heredocs", "[slim][script]")
{
  std::vector<Token> t = tokens("A=1 a\"b c\"'d' 2>&1 $x && <(e) ${y}`f` # c\n");
  REQUIRE(t.size() == 9);
  CHECK(t[0].word.value == "A=1");
  CHECK(t[1].word.value == "ab cd");
  CHECK(t[1].word.quoted);
  CHECK_FALSE(t[1].word.expands);
  CHECK(t[2].op == ">&");
  CHECK(t[3].word.value == "1");
  CHECK(t[4].word.expands);
  CHECK(t[5].op == "&&");
  CHECK(t[6].word.raw == "<(e)");
  CHECK(t[6].code.size() == 1);
  CHECK(t[6].code[0].process);
  CHECK(t[7].word.raw == "${y}`f`");
  REQUIRE(t[7].code.size() == 1);
  CHECK(t[7].code[0].kind == Region::backquote);
  CHECK(t[8].kind == TokenKind::newline);

  // The double-quoted value: escapes removed outside substitutions, kept inside them.
  t = tokens("\"a \\\"b\\\" $(c \\\"d\\\") \\x\"");
  REQUIRE(t.size() == 1);
  CHECK(t[0].word.value == "a \"b\" $(c \\\"d\\\") \\x");
  CHECK(t[0].word.expands);

  // Heredoc bodies are read at the newline after their operator; the grammar announces them.
  int depth = 0;
  std::string text = "cat <<E\n$(a) `b`\nE\nc\n";
  ShellLexer lexer(text, depth);
  CHECK(lexer.next().word.value == "cat");
  CHECK(lexer.next().op == "<<");
  CHECK(lexer.next().word.value == "E");
  lexer.add_heredoc(Heredoc{"E", false, true});
  Token nl = lexer.next();
  CHECK(nl.kind == TokenKind::newline);
  CHECK(code_texts(text, nl.code) == std::vector<std::string>{"a", "b"});
  CHECK(lexer.next().word.value == "c");

  // Problems name the opener's offset.
  t = tokens("a \"b $(c");
  REQUIRE(t.size() == 2);
  REQUIRE(t[1].problems.size() == 2);
  CHECK(t[1].problems[0].at == 2);
  CHECK(t[1].problems[0].what == "unterminated double quote");
  CHECK(t[1].problems[1].what == "unterminated command substitution `$(`");
}
