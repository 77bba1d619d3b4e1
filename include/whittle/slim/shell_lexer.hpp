#pragma once
// The lexical half of the script scanner (script_scan.hpp): where the words, operators, quotes,
// substitutions and heredoc bodies of a POSIX shell text begin and end, read without running anything.
// The grammar walk (script_scan.cpp) decides what the words mean; this file only says where they are and
// which parts of them are shell code again (`$(...)`, backquotes, `<(...)`), which the grammar then reads.
//
// Every region whose end depends on nesting is measured by one function, skip_balanced, so each quoting
// rule exists once and one depth cap bounds all of them. Image text is hostile: nothing here throws on
// any input, but ScanLimit past the depth cap (and std::bad_alloc).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace whittle::slim {

// The deepest nesting (subshells, groups, substitutions, quotes, compound commands, eval texts) followed;
// deeper text is a problem and is skipped.
constexpr int k_max_script_nesting = 64;

// Thrown past the nesting cap (or the scanner's work budget); scan_script catches it and keeps what was
// found until then.
struct ScanLimit
{
  std::string why;
};

// A part of a text whose end is found by its own rules; its opener is at the position given.
enum class Region
{
  single_quote, // '...': no escapes
  ansi_c_quote, // bash's $'...': backslash escapes, no expansion
  double_quote, // "..." or bash's $"...": backslash escapes, expansions and substitutions inside
  parameter,    // ${...}: quotes and substitutions inside
  arithmetic,   // $((...)) or ((...)): parentheses counted, nothing else
  command,      // $(...), <(...) or >(...): shell code (quotes, comments, heredocs, case patterns)
  backquote,    // `...`: backslash escapes; the unescaped text is shell code
  heredoc_body, // an unquoted heredoc body, up to the end of the text: like double quotes without the quote
};

// Where a region starting with an opener can start: in an unquoted word or `${...}`, or inside double
// quotes or a heredoc body (where `'` is a plain byte and `$'`, `$"` a plain "$").
enum class Quoting
{
  none,
  double_quotes
};

// The region whose opener is at text[pos], if any: quotes, `$'`, `$"`, `${`, `$((`, `$(` and backquotes
// (never `((` or `<(`, which only start a region where a word or command starts: the lexer decides).
std::optional<Region> region_at(std::string_view text, size_t pos, Quoting quoting);

// Shell code inside a region, for the grammar to read: the text of a `$(`/`<(` (kind command) or of a
// backquote (kind backquote, still escaped: see unescape_backquoted), as offsets into the scanned text.
struct CodeRegion
{
  Region kind = Region::command;
  size_t begin = 0; // after the opener
  size_t end = 0;   // before the closer, or the end of the text when unterminated
  bool closed = false;
  bool process = false; // opened by `<(` or `>(`
};

struct RegionEnd
{
  size_t end = 0;      // one past the closer, or text.size() when the region is unterminated
  bool closed = false; // false when the text ended first (for a heredoc body: inside a nested region)
  Region innermost = Region::single_quote; // when not closed: the deepest region the text ended in
};

// Returns the end of the region of `kind` whose opener is at text[pos] (for heredoc_body, pos is where
// the body starts and it runs to text.size()). Nested regions are followed by recursion; `depth` is the
// nesting already open around pos, and each region adds one: past k_max_script_nesting it throws
// ScanLimit. If `code` is given, the command substitutions and backquotes met inside quotes, `${...}`
// and heredoc bodies are appended to it (not those inside them: the grammar reads those again), and so
// is the region itself when it is one.
RegionEnd skip_balanced(std::string_view text, size_t pos, Region kind, int depth = 0,
                        std::vector<CodeRegion>* code = nullptr);

// The text a backquote region's inner text runs: "\$", "\`" and "\\" lose their backslash, "\<newline>"
// is removed.
std::string unescape_backquoted(std::string_view inner);

// A word as the grammar sees it.
struct Word
{
  std::string raw;      // as written
  std::string value;    // quotes removed; expansions kept as written
  bool quoted = false;  // some part was quoted or escaped
  bool expands = false; // holds an expansion decided at run time ($x, $(...), `...`, ~)
};

enum class TokenKind
{
  word,
  op,
  newline,
  end
};

// Why part of the text could not be read, at an offset of it.
struct LexProblem
{
  size_t at = 0;
  std::string what;
};

struct Token
{
  TokenKind kind = TokenKind::end;
  std::string op; // kind op: "&&", "<<", "((" (a whole arithmetic command, already skipped) ...
  Word word;      // kind word
  // Shell code in the token or in the heredoc bodies read at its newline, in text order.
  std::vector<CodeRegion> code;
  std::vector<LexProblem> problems;
};

// A heredoc whose operator and delimiter word were read: its body starts after the next newline.
struct Heredoc
{
  std::string delimiter;
  bool strip_tabs = false; // <<-
  bool expands = false;    // the delimiter was unquoted: the body's substitutions run
};

// Splits a shell text into tokens. `depth` is the caller's nesting counter, read at each region.
class ShellLexer
{
public:
  ShellLexer(std::string_view text, const int& depth) : m_s(text), m_depth(depth) {}

  // The next token: blanks, comments and line continuations skipped; at a newline, the bodies of the
  // heredocs announced on that line are read (their substitutions go into the newline token's code).
  // Returns kind end at the end of the text, every time after that. Throws ScanLimit past the depth cap.
  Token next();

  // Announces a heredoc (the grammar read `<<` and its delimiter word).
  void add_heredoc(Heredoc doc) { m_pending.push_back(std::move(doc)); }

  // Reads the bodies of heredocs still announced from where the lexer stands (a text cut short);
  // their code and problems go into `t`.
  void finish(Token& t);

  // Where the lexer stands in the text.
  size_t pos() const { return m_i; }

private:
  char at(size_t k = 0) const { return m_i + k < m_s.size() ? m_s[m_i + k] : '\0'; }
  bool done() const { return m_i >= m_s.size(); }
  void skip_continuations();
  Token word_token();
  void lex_word(Token& t);
  void region(Token& t, Region kind);
  void dollar(Word& w);
  void read_heredocs(Token& t);

  std::string_view m_s;
  size_t m_i = 0;
  const int& m_depth;
  std::vector<Heredoc> m_pending;
};

// NAME=value, NAME+=value or bash's NAME[KEY]=value, unquoted up to the "=".
bool is_assignment(std::string_view raw);

} // namespace whittle::slim
