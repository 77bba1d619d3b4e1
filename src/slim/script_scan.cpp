#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>
#include <whittle/slim/script_scan.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/shebang.hpp>

namespace whittle::slim {

namespace {

// dash's special and regular builtins, bash's and busybox ash's additions: run inside the shell, never
// looked up on PATH.
const std::set<std::string, std::less<>> k_builtins = {
    // POSIX special builtins
    "break", ":", "continue", ".", "eval", "exec", "exit", "export", "readonly", "return", "set", "shift",
    "times", "trap", "unset",
    // dash's regular builtins
    "alias", "bg", "cd", "command", "echo", "false", "fc", "fg", "getopts", "hash", "jobs", "kill", "local",
    "printf", "pwd", "read", "test", "[", "true", "type", "ulimit", "umask", "unalias", "wait",
    // bash and busybox ash
    "builtin", "caller", "declare", "typeset", "enable", "help", "let", "logout", "mapfile", "readarray",
    "popd", "pushd", "dirs", "shopt", "source", "suspend", "compgen", "complete", "compopt", "disown",
    "history", "bind"};

const std::set<std::string, std::less<>> k_keywords = {
    "if",  "then", "else", "elif", "fi", "do",       "done",   "case", "esac", "while", "until",
    "for", "in",   "{",    "}",    "!",  "function", "select", "[[",   "]]",   "coproc"};

// Reserved words that end a list; met where a command should start, they close the enclosing construct.
const std::set<std::string, std::less<>> k_closers = {"then", "else", "elif", "fi",
                                                      "do",   "done", "esac", "}"};

const char* const k_operators[] = {"&>>", ";;&", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", "&>", "<<", ">>",
                                   "<&",  ">&",  "<>",  ">|",  "&",  "|",  ";",  "<",  ">",  "(",  ")"};

const std::set<std::string, std::less<>> k_redirections = {"<",  ">",  ">>",  "<&", ">&",  "<>",
                                                           ">|", "&>", "&>>", "<<", "<<-", "<<<"};

// Programs that run their operand: how to step over their options to reach it.
struct Wrapper
{
  const char* name;
  const char* short_with_arg;             // short options that take the next word
  std::vector<const char*> long_with_arg; // long options that take the next word (unless --x=y)
  int positionals = 0;                    // operands before the program (timeout's duration, gosu's user)
  bool assignments = false;               // NAME=value words before the program (env)
};

const std::vector<Wrapper> k_wrappers = {
    {"env", "uCS", {"--unset", "--chdir", "--split-string"}, 0, true},
    {"nohup", "", {}, 0, false},
    {"nice", "n", {"--adjustment"}, 0, false},
    {"timeout", "sk", {"--signal", "--kill-after"}, 1, false},
    {"setsid", "", {}, 0, false},
    {"stdbuf", "ioe", {"--input", "--output", "--error"}, 0, false},
    {"xargs",
     "aEdILnPs",
     {"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"},
     0,
     false},
    {"gosu", "", {}, 1, false},
    {"su-exec", "", {}, 1, false},
    {"setpriv",
     "",
     {"--reuid", "--regid", "--ruid", "--euid", "--rgid", "--egid", "--groups", "--inh-caps",
      "--ambient-caps", "--bounding-set", "--securebits", "--pdeathsig", "--selinux-label",
      "--apparmor-profile", "--landlock-access", "--landlock-rule", "--seccomp-filter"},
     0,
     false},
    {"tini", "ep", {}, 0, false},
    {"dumb-init", "r", {"--rewrite"}, 0, false},
    {"time", "fo", {"--format", "--output"}, 0, false},
    {"ionice", "cnp", {"--class", "--classdata", "--pid"}, 0, false},
    {"taskset", "", {}, 1, false},
};

bool
is_shell_name(std::string_view base)
{
  return base == "sh" || base == "dash" || base == "bash" || base == "ash";
}

bool
name_start(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool
name_char(char c)
{
  return name_start(c) || (c >= '0' && c <= '9');
}

// NAME=value, NAME+=value or bash's NAME[KEY]=value, unquoted up to the "=".
bool
is_assignment(std::string_view raw)
{
  if (raw.empty() || !name_start(raw[0])) {
    return false;
  }
  size_t i = 1;
  while (i < raw.size() && name_char(raw[i])) {
    ++i;
  }
  if (i < raw.size() && raw[i] == '[') {
    size_t close = std::min(raw.find("]=", i), raw.find("]+=", i)); // the key may hold "]" itself
    if (close == std::string_view::npos) {
      return false;
    }
    i = close + 1;
  }
  return (i < raw.size() && raw[i] == '=') || (i + 1 < raw.size() && raw[i] == '+' && raw[i + 1] == '=');
}

struct Word
{
  std::string raw;      // as written
  std::string value;    // quotes removed; expansions kept as written
  bool quoted = false;  // some part was quoted or escaped
  bool expands = false; // holds an expansion decided at run time ($x, $(...), `...`, ~)
};

enum class Kind
{
  word,
  op,
  newline,
  end
};

struct Token
{
  Kind kind = Kind::end;
  std::string op;
  Word word;
};

// What the scan has found so far; shared by the scanners of nested texts (backquotes, eval, sh -c).
struct Found
{
  std::set<std::string> commands; // may name one of the script's functions
  std::set<std::string> executed; // reached through exec or a wrapper: never a function or builtin
  std::set<std::string> functions;
  std::set<std::string> variable_commands;
  std::set<std::string> lookups;
  std::set<std::string> scripts;
  std::set<std::string> variable_scripts;
  std::vector<std::string> problems;
  // Bytes every scanner together may still read: nested texts (eval, sh -c, backquotes) are read again,
  // and a chain of them must not multiply the work.
  int64_t budget = 0;
};

// Thrown past the nesting cap or the work budget; caught by scan_script, which keeps what was found.
struct Abort
{
  std::string why;
};

enum class Context
{
  shell,        // an ordinary command word: builtins, functions and programs
  no_functions, // after `command`: builtins and programs
  exec          // after exec or a wrapper: execvp, programs only
};

struct Stop
{
  std::vector<const char*> words; // reserved words that end this list
  bool rparen = false;            // ")" ends it
  bool case_item = false;         // ";;", ";&", ";;&" end it
};

class Scanner
{
public:
  // `parent` and `offset`: where this text sits in an enclosing one, for line numbers in problems.
  Scanner(std::string_view text, Found& found, int& depth, const Scanner* parent = nullptr, size_t offset = 0)
      : m_s(text), m_found(found), m_depth(depth), m_parent(parent), m_offset(offset)
  {
    m_found.budget -= static_cast<int64_t>(text.size());
    if (m_found.budget < 0) {
      throw Abort{"nested texts (eval, sh -c, backquotes) hold too much to scan"};
    }
  }

  // Scans the whole text as a list of commands.
  void script()
  {
    parse_list(Stop{});
    if (!m_pending.empty()) {
      read_heredocs();
    }
  }

  // Scans an unquoted heredoc body: data, except its command substitutions.
  void heredoc_body()
  {
    Word sink;
    while (m_i < m_s.size()) {
      char c = m_s[m_i];
      if (c == '\\') {
        m_i = std::min(m_i + 2, m_s.size());
      } else if (c == '$') {
        lex_dollar(sink, true);
      } else if (c == '`') {
        lex_backquote(sink);
      } else {
        ++m_i;
      }
    }
  }

private:
  class Nest
  {
  public:
    explicit Nest(int& depth) : m_depth(depth)
    {
      if (++m_depth > k_max_script_nesting) {
        throw Abort{"nested deeper than " + std::to_string(k_max_script_nesting) + " levels"};
      }
    }
    ~Nest() { --m_depth; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

  private:
    int& m_depth;
  };

  struct Heredoc
  {
    std::string delimiter;
    bool strip_tabs = false;
    bool expands = false;
  };

  // ---- characters

  char at(size_t k = 0) const { return m_i + k < m_s.size() ? m_s[m_i + k] : '\0'; }
  bool done() const { return m_i >= m_s.size(); }

  void skip_continuations()
  {
    while (at() == '\\' && at(1) == '\n') {
      m_i += 2;
    }
  }

  // The line of offset `at` of this text, counted in the outermost one (only computed for problems).
  size_t line_at(size_t at) const
  {
    auto end = m_s.begin() + static_cast<std::ptrdiff_t>(std::min(at, m_s.size()));
    size_t base = m_parent ? m_parent->line_at(m_offset) : 1;
    return base + static_cast<size_t>(std::count(m_s.begin(), end, '\n'));
  }
  size_t line() const { return line_at(m_i); }

  void problem(const std::string& what)
  {
    if (m_found.problems.size() < 20) {
      m_found.problems.push_back("line " + std::to_string(line()) + ": " + what);
    }
  }

  // ---- tokens

  const Token& peek()
  {
    if (!m_tok) {
      Token t = lex();
      m_tok = std::move(t);
    }
    return *m_tok;
  }

  Token next()
  {
    peek();
    Token t = std::move(*m_tok);
    m_tok.reset();
    return t;
  }

  bool peek_op(const char* op) { return peek().kind == Kind::op && peek().op == op; }

  bool peek_reserved(std::string_view w)
  {
    const Token& t = peek();
    return t.kind == Kind::word && !t.word.quoted && !t.word.expands && t.word.value == w;
  }

  Token lex()
  {
    for (;;) {
      skip_continuations();
      char c = at();
      if (done()) {
        return Token{};
      }
      if (c == ' ' || c == '\t' || c == '\r') {
        ++m_i;
        continue;
      }
      if (c == '#') {
        while (!done() && at() != '\n') {
          ++m_i;
        }
        continue;
      }
      if (c == '\n') {
        ++m_i;
        if (!m_pending.empty()) {
          read_heredocs();
        }
        Token t;
        t.kind = Kind::newline;
        return t;
      }
      // An fd before a redirection (2>, {fd}>) belongs to the operator.
      size_t j = m_i;
      while (j < m_s.size() && m_s[j] >= '0' && m_s[j] <= '9') {
        ++j;
      }
      if (j == m_i && c == '{') {
        size_t k = m_i + 1;
        while (k < m_s.size() && name_char(m_s[k])) {
          ++k;
        }
        if (k > m_i + 1 && k < m_s.size() && m_s[k] == '}') {
          j = k + 1;
        }
      }
      if (j > m_i && j < m_s.size() && (m_s[j] == '<' || m_s[j] == '>') &&
          !(j + 1 < m_s.size() && m_s[j + 1] == '(')) {
        m_i = j;
        c = at();
      }
      if ((c == '<' || c == '>') && at(1) == '(') {
        return word_token(); // process substitution
      }
      if (c == '(' && at(1) == '(') {
        skip_arithmetic(2);
        Token t;
        t.kind = Kind::op;
        t.op = "((";
        return t;
      }
      for (const char* op : k_operators) {
        size_t n = std::strlen(op);
        if (m_s.substr(m_i, n) == op) {
          m_i += n;
          Token t;
          t.kind = Kind::op;
          t.op = op;
          return t;
        }
      }
      return word_token();
    }
  }

  Token word_token()
  {
    Token t;
    t.kind = Kind::word;
    size_t start = m_i;
    lex_word(t.word);
    if (m_i == start) {
      ++m_i; // never stall, whatever the byte
    }
    t.word.raw = std::string(m_s.substr(start, m_i - start));
    return t;
  }

  // Skips "((" ... "))" (or "$((" ... "))" after its "$"), from m_i + skip, counting parentheses.
  void skip_arithmetic(size_t skip)
  {
    m_i += skip;
    int open = 2;
    while (!done() && open > 0) {
      char c = at();
      if (c == '(') {
        ++open;
      } else if (c == ')') {
        --open;
      }
      ++m_i;
    }
    if (open > 0) {
      problem("unterminated arithmetic `((`");
    }
  }

  void lex_word(Word& w)
  {
    for (;;) {
      skip_continuations();
      if (done()) {
        return;
      }
      char c = at();
      if ((c == '<' || c == '>') && at(1) == '(' && w.value.empty()) {
        process_substitution(w);
        continue;
      }
      if (c != '\0' && std::strchr(" \t\r\n;&|()<>", c)) {
        return;
      }
      if (c == '\\') {
        w.quoted = true;
        if (m_i + 1 < m_s.size()) {
          w.value += m_s[m_i + 1];
          m_i += 2;
        } else {
          w.value += '\\';
          ++m_i;
        }
      } else if (c == '\'') {
        w.quoted = true;
        size_t close = m_s.find('\'', m_i + 1);
        if (close == std::string_view::npos) {
          problem("unterminated single quote");
          w.value += m_s.substr(m_i + 1);
          m_i = m_s.size();
        } else {
          w.value += m_s.substr(m_i + 1, close - m_i - 1);
          m_i = close + 1;
        }
      } else if (c == '"') {
        lex_double_quoted(w);
      } else if (c == '`') {
        lex_backquote(w);
      } else if (c == '$') {
        lex_dollar(w);
      } else {
        if (c == '~' && w.value.empty()) {
          w.expands = true;
        }
        w.value += c;
        ++m_i;
      }
    }
  }

  void process_substitution(Word& w)
  {
    Nest nest(m_depth);
    size_t start = m_i;
    m_i += 2;
    nested_list_until_rparen("process substitution `<(`");
    w.expands = true;
    w.value += m_s.substr(start, m_i - start);
  }

  // Parses commands up to the ")" that closes a "$(" or "<(" whose opening is already consumed.
  void nested_list_until_rparen(const char* what)
  {
    std::optional<Token> outer = std::move(m_tok);
    m_tok.reset();
    parse_list(Stop{{}, true, false});
    if (peek_op(")")) {
      m_tok.reset();
    } else {
      problem(std::string("unterminated ") + what);
      m_tok.reset();
    }
    m_tok = std::move(outer);
  }

  void lex_double_quoted(Word& w)
  {
    w.quoted = true;
    ++m_i;
    for (;;) {
      skip_continuations();
      if (done()) {
        problem("unterminated double quote");
        return;
      }
      char c = at();
      if (c == '"') {
        ++m_i;
        return;
      }
      if (c == '\\') {
        char n = at(1);
        if (n == '$' || n == '`' || n == '"' || n == '\\') {
          w.value += n;
          m_i += 2;
        } else {
          w.value += '\\';
          ++m_i;
        }
      } else if (c == '$') {
        lex_dollar(w, true);
      } else if (c == '`') {
        lex_backquote(w);
      } else {
        w.value += c;
        ++m_i;
      }
    }
  }

  void lex_backquote(Word& w)
  {
    Nest nest(m_depth);
    size_t start = m_i;
    ++m_i;
    std::string inner;
    size_t inner_start = m_i;
    bool closed = false;
    while (!done()) {
      char c = at();
      if (c == '\\' && (at(1) == '$' || at(1) == '`' || at(1) == '\\')) {
        inner += at(1);
        m_i += 2;
      } else if (c == '\\' && at(1) == '\n') {
        m_i += 2;
      } else if (c == '`') {
        ++m_i;
        closed = true;
        break;
      } else {
        inner += c;
        ++m_i;
      }
    }
    if (!closed) {
      problem("unterminated backquote");
    }
    Scanner(inner, m_found, m_depth, this, inner_start).script();
    w.expands = true;
    w.value += m_s.substr(start, m_i - start);
  }

  // At a "$". Inside double quotes (`quoted`), "$'" and "$\"" are a plain "$" (bash's $'...' and $"..."
  // exist only outside them).
  void lex_dollar(Word& w, bool quoted = false)
  {
    Nest nest(m_depth);
    size_t start = m_i;
    char n = at(1);
    if (n == '(' && at(2) == '(') {
      skip_arithmetic(3);
      w.expands = true;
    } else if (n == '(') {
      m_i += 2;
      nested_list_until_rparen("command substitution `$(`");
      w.expands = true;
    } else if (n == '{') {
      m_i += 2;
      lex_parameter();
      w.expands = true;
    } else if (n == '\'' && !quoted) {
      // bash's $'...': backslash escapes, no expansion.
      w.quoted = true;
      m_i += 2;
      std::string v;
      while (!done() && at() != '\'') {
        if (at() == '\\' && m_i + 1 < m_s.size()) {
          ++m_i;
        }
        v += at();
        ++m_i;
      }
      if (done()) {
        problem("unterminated `$'`");
      } else {
        ++m_i;
      }
      w.value += v;
      return;
    } else if (n == '"' && !quoted) {
      ++m_i;
      lex_double_quoted(w);
      return;
    } else if (name_start(n)) {
      m_i += 2;
      while (name_char(at())) {
        ++m_i;
      }
      w.expands = true;
    } else if (n != '\0' && std::strchr("0123456789@*#?-$!", n)) {
      m_i += 2;
      w.expands = true;
    } else {
      ++m_i; // a lone "$" is itself
    }
    w.value += m_s.substr(start, m_i - start);
  }

  // The rest of "${...}" after its "${": quotes and substitutions inside count.
  void lex_parameter()
  {
    Word sink;
    for (;;) {
      skip_continuations();
      if (done()) {
        problem("unterminated `${`");
        return;
      }
      char c = at();
      if (c == '}') {
        ++m_i;
        return;
      }
      if (c == '\\') {
        m_i = std::min(m_i + 2, m_s.size());
      } else if (c == '\'') {
        size_t close = m_s.find('\'', m_i + 1);
        m_i = close == std::string_view::npos ? m_s.size() : close + 1;
      } else if (c == '"') {
        lex_double_quoted(sink);
      } else if (c == '`') {
        lex_backquote(sink);
      } else if (c == '$') {
        lex_dollar(sink);
      } else {
        ++m_i;
      }
    }
  }

  // Bodies of the heredocs whose operators were read on the line that just ended.
  void read_heredocs()
  {
    std::vector<Heredoc> docs = std::move(m_pending);
    m_pending.clear();
    for (const auto& d : docs) {
      size_t body_start = m_i;
      size_t body_end = m_s.size();
      while (!done()) {
        size_t eol = m_s.find('\n', m_i);
        size_t end = eol == std::string_view::npos ? m_s.size() : eol;
        std::string_view l = m_s.substr(m_i, end - m_i);
        if (d.strip_tabs) {
          while (!l.empty() && l[0] == '\t') {
            l.remove_prefix(1);
          }
        }
        if (!l.empty() && l.back() == '\r') {
          l.remove_suffix(1);
        }
        if (l == d.delimiter) {
          body_end = m_i;
          m_i = eol == std::string_view::npos ? m_s.size() : eol + 1;
          break;
        }
        m_i = eol == std::string_view::npos ? m_s.size() : eol + 1;
      }
      if (d.expands && body_end > body_start) {
        Scanner(m_s.substr(body_start, body_end - body_start), m_found, m_depth, this, body_start)
            .heredoc_body();
      }
    }
  }

  // ---- grammar

  void skip_newlines()
  {
    while (peek().kind == Kind::newline) {
      next();
    }
  }

  bool expect_reserved(const char* w)
  {
    if (peek_reserved(w)) {
      next();
      return true;
    }
    problem(std::string("expected `") + w + "`");
    return false;
  }

  void parse_list(const Stop& stop)
  {
    Nest nest(m_depth);
    ++m_lists;
    struct Close
    {
      int& lists;
      ~Close() { --lists; }
    } close{m_lists};
    for (;;) {
      if (m_ended) {
        return;
      }
      const Token& t = peek();
      if (t.kind == Kind::end) {
        return;
      }
      if (t.kind == Kind::newline || (t.kind == Kind::op && (t.op == ";" || t.op == "&"))) {
        next();
        continue;
      }
      if (t.kind == Kind::op && t.op == ")") {
        if (stop.rparen) {
          return;
        }
        problem("unexpected `)`");
        next();
        continue;
      }
      if (t.kind == Kind::op && (t.op == ";;" || t.op == ";&" || t.op == ";;&")) {
        if (stop.case_item) {
          return;
        }
        problem("unexpected `" + t.op + "`");
        next();
        continue;
      }
      if (t.kind == Kind::word && !t.word.quoted && !t.word.expands && k_closers.count(t.word.value)) {
        for (const char* w : stop.words) {
          if (t.word.value == w) {
            return;
          }
        }
        problem("unexpected `" + t.word.value + "`");
        next();
        continue;
      }
      m_exec = false;
      bool single = parse_and_or();
      if (m_lists == 1 && single && m_exec && !peek_op("&")) {
        // An unconditional `exec PROG` at the top: the shell is replaced and reads nothing after it (the
        // sh trampolines at the top of python scripts put another language there).
        m_ended = true;
        return;
      }
    }
  }

  // Returns true if the and-or list was one simple or compound command (no `!`, pipe, && or ||).
  bool parse_and_or()
  {
    bool single = parse_pipeline();
    while (peek_op("&&") || peek_op("||")) {
      single = false;
      next();
      skip_newlines();
      parse_pipeline();
    }
    return single;
  }

  bool parse_pipeline()
  {
    bool single = true;
    // `time` is a bash keyword but dash's /usr/bin/time: it goes through as a wrapper (k_wrappers).
    while (peek_reserved("!")) {
      single = false;
      next();
    }
    parse_command();
    while (peek_op("|") || peek_op("|&")) {
      single = false;
      next();
      skip_newlines();
      parse_command();
    }
    return single;
  }

  void parse_redirections()
  {
    while (peek().kind == Kind::op && k_redirections.count(peek().op)) {
      redirection();
    }
  }

  void redirection()
  {
    Token r = next();
    if (peek().kind != Kind::word) {
      problem("`" + r.op + "` without a target");
      return;
    }
    Token target = next();
    if (r.op == "<<" || r.op == "<<-") {
      m_pending.push_back(Heredoc{target.word.value, r.op == "<<-", !target.word.quoted});
    }
  }

  void parse_command()
  {
    Nest nest(m_depth);
    const Token& t = peek();
    if (t.kind == Kind::end || t.kind == Kind::newline) {
      return;
    }
    if (t.kind == Kind::op) {
      if (t.op == "(") {
        next();
        parse_list(Stop{{}, true, false});
        if (peek_op(")")) {
          next();
        } else {
          problem("unterminated subshell `(`");
        }
        parse_redirections();
        return;
      }
      if (t.op == "((") {
        next();
        parse_redirections();
        return;
      }
      if (!k_redirections.count(t.op)) {
        problem("unexpected `" + t.op + "`");
        next();
        return;
      }
      simple_command();
      return;
    }
    if (t.word.quoted || t.word.expands) {
      simple_command();
      return;
    }
    const std::string v = t.word.value;
    if (v == "{") {
      next();
      parse_list(Stop{{"}"}, false, false});
      expect_reserved("}");
    } else if (v == "if") {
      next();
      parse_list(Stop{{"then"}, false, false});
      expect_reserved("then");
      parse_list(Stop{{"elif", "else", "fi"}, false, false});
      while (peek_reserved("elif")) {
        next();
        parse_list(Stop{{"then"}, false, false});
        expect_reserved("then");
        parse_list(Stop{{"elif", "else", "fi"}, false, false});
      }
      if (peek_reserved("else")) {
        next();
        parse_list(Stop{{"fi"}, false, false});
      }
      expect_reserved("fi");
    } else if (v == "while" || v == "until") {
      next();
      parse_list(Stop{{"do"}, false, false});
      expect_reserved("do");
      parse_list(Stop{{"done"}, false, false});
      expect_reserved("done");
    } else if (v == "for" || v == "select") {
      next();
      for_loop();
    } else if (v == "case") {
      next();
      case_command();
    } else if (v == "function") {
      next();
      if (peek().kind != Kind::word) {
        problem("`function` without a name");
        return;
      }
      m_found.functions.insert(next().word.value);
      if (peek_op("(")) {
        next();
        if (peek_op(")")) {
          next();
        }
      }
      skip_newlines();
      parse_command();
      return;
    } else if (v == "[[") {
      next();
      // A test expression: its words are operands, never commands.
      while (!peek_reserved("]]") && peek().kind != Kind::end) {
        next();
      }
      if (!peek_reserved("]]")) {
        problem("unterminated `[[`");
        return;
      }
      next();
    } else if (k_closers.count(v) || v == "in" || v == "]]") {
      problem("unexpected `" + v + "`");
      next();
      return;
    } else {
      simple_command();
      return;
    }
    parse_redirections();
  }

  void for_loop()
  {
    if (peek_op("((")) {
      next();
    } else if (peek().kind == Kind::word) {
      next(); // the variable
    } else {
      problem("`for` without a variable");
      return;
    }
    skip_newlines();
    if (peek_reserved("in")) {
      next();
      while (peek().kind == Kind::word) {
        next(); // the items: data (their substitutions were scanned while lexing them)
      }
    }
    while (peek_op(";") || peek().kind == Kind::newline) {
      next();
    }
    if (peek_reserved("{")) {
      parse_command();
      return;
    }
    expect_reserved("do");
    parse_list(Stop{{"done"}, false, false});
    expect_reserved("done");
    parse_redirections();
  }

  void case_command()
  {
    if (peek().kind != Kind::word) {
      problem("`case` without a word");
      return;
    }
    next();
    skip_newlines();
    if (!expect_reserved("in")) {
      return;
    }
    for (;;) {
      skip_newlines();
      if (peek().kind == Kind::end) {
        problem("unterminated `case`");
        return;
      }
      if (peek_reserved("esac")) {
        next();
        break;
      }
      if (peek_op("(")) {
        next();
      }
      // The patterns: data.
      while (!peek_op(")")) {
        if (peek().kind == Kind::end) {
          problem("unterminated `case` pattern");
          return;
        }
        next();
      }
      next();
      parse_list(Stop{{"esac"}, false, true});
      if (peek_op(";;") || peek_op(";&") || peek_op(";;&")) {
        next();
      }
    }
    parse_redirections();
  }

  void simple_command()
  {
    std::vector<Word> words;
    for (;;) {
      const Token& t = peek();
      if (t.kind == Kind::word) {
        if (words.empty() && is_assignment(t.word.raw)) {
          Token a = next();
          if (a.word.raw.back() == '=' && peek_op("(")) {
            skip_array();
          }
          continue;
        }
        words.push_back(next().word);
        if (words.back().raw.back() == '=' && peek_op("(")) {
          // An array: `declare -A m=(...)`, `local a=(...)`, `eval "$name=(...)"`.
          skip_array();
          if (words.size() == 1) {
            words.clear();
          }
          continue;
        }
        if (words.size() == 1 && peek_op("(")) {
          // NAME() compound-command: a function definition.
          next();
          if (peek_op(")")) {
            next();
          } else {
            problem("expected `)` after `" + words[0].value + "(`");
          }
          if (!words[0].expands) {
            m_found.functions.insert(words[0].value); // (`eval "db_$1 () {...}"` names it at run time)
          }
          skip_newlines();
          parse_command();
          return;
        }
        continue;
      }
      if (t.kind == Kind::op && k_redirections.count(t.op)) {
        redirection();
        continue;
      }
      break;
    }
    if (!words.empty()) {
      command(words, 0, Context::shell);
    }
  }

  // A bash array value "(a b c)" after "NAME=".
  void skip_array()
  {
    next();
    while (!peek_op(")")) {
      if (peek().kind == Kind::end) {
        problem("unterminated array `(`");
        return;
      }
      next();
    }
    next();
  }

  // ---- what a command runs

  void command(const std::vector<Word>& w, size_t i, Context ctx)
  {
    if (i >= w.size()) {
      return;
    }
    const Word& cmd = w[i];
    if (cmd.expands) {
      m_found.variable_commands.insert(cmd.raw);
      return;
    }
    const std::string& name = cmd.value;
    if (name.empty()) {
      return;
    }
    if (ctx != Context::exec && k_builtins.count(name)) {
      builtin(w, i);
      return;
    }
    if (ctx == Context::shell && k_keywords.count(name) && !cmd.quoted) {
      return;
    }
    (ctx == Context::shell ? m_found.commands : m_found.executed).insert(name);

    std::string base = util::base_name(name);
    if (is_shell_name(base)) {
      shell(w, i + 1);
      return;
    }
    if (base == "busybox" && i + 1 < w.size() && !w[i + 1].expands &&
        (w[i + 1].value == "sh" || w[i + 1].value == "ash")) {
      shell(w, i + 2);
      return;
    }
    if (base == "find") {
      for (size_t k = i + 1; k + 1 < w.size(); ++k) {
        const std::string& a = w[k].value;
        if (a == "-exec" || a == "-execdir" || a == "-ok" || a == "-okdir") {
          command(w, k + 1, Context::exec);
        }
      }
      return;
    }
    for (const auto& wr : k_wrappers) {
      if (base == wr.name) {
        command(w, skip_options(w, i + 1, wr), Context::exec);
        return;
      }
    }
  }

  static size_t skip_options(const std::vector<Word>& w, size_t j, const Wrapper& wr)
  {
    int positionals = wr.positionals;
    while (j < w.size()) {
      const Word& a = w[j];
      const std::string& v = a.value;
      if (!a.expands && v == "--") {
        return j + 1 + static_cast<size_t>(positionals);
      }
      if (!a.expands && v.size() > 1 && v[0] == '-') {
        if (v[1] == '-') {
          bool takes = v.find('=') == std::string::npos &&
                       std::any_of(wr.long_with_arg.begin(), wr.long_with_arg.end(),
                                   [&](const char* l) { return v == l; });
          j += takes ? 2 : 1;
          continue;
        }
        size_t step = 1;
        for (size_t k = 1; k < v.size(); ++k) {
          if (v[k] != '\0' && std::strchr(wr.short_with_arg, v[k])) {
            step = k + 1 == v.size() ? 2 : 1; // the value is the next word, or attached
            break;
          }
        }
        j += step;
        continue;
      }
      if (wr.assignments && is_assignment(a.raw)) {
        ++j;
        continue;
      }
      if (positionals > 0) {
        --positionals;
        ++j;
        continue;
      }
      break;
    }
    return j;
  }

  void builtin(const std::vector<Word>& w, size_t i)
  {
    const std::string& name = w[i].value;
    size_t j = i + 1;
    if (j < w.size() && !w[j].expands && w[j].value == "--") {
      ++j;
    }
    if (name == "." || name == "source") {
      if (j < w.size()) {
        (w[j].expands ? m_found.variable_scripts : m_found.scripts)
            .insert(w[j].expands ? w[j].raw : w[j].value);
      }
    } else if (name == "exec") {
      j = i + 1;
      while (j < w.size() && !w[j].expands && w[j].value.size() > 1 && w[j].value[0] == '-') {
        bool end = w[j].value == "--";
        j += w[j].value == "-a" ? 2 : 1;
        if (end) {
          break;
        }
      }
      m_exec |= j < w.size() && m_lists == 1;
      command(w, j, Context::exec);
    } else if (name == "command") {
      j = i + 1;
      bool lookup = false;
      while (j < w.size() && !w[j].expands && w[j].value.size() > 1 && w[j].value[0] == '-') {
        const std::string& o = w[j].value;
        ++j;
        if (o == "--") {
          break;
        }
        lookup |= o.find_first_of("vV") != std::string::npos;
      }
      if (lookup) {
        lookups(w, j);
      } else {
        command(w, j, Context::no_functions);
      }
    } else if (name == "type" || name == "hash") {
      lookups(w, j);
    } else if (name == "eval") {
      nested_text(w, j);
    } else if (name == "trap") {
      // trap ACTION SIGNAL...: ACTION runs later ("-" resets, a lone number is a signal to reset).
      if (w.size() - j >= 2 && w[j].value != "-" &&
          w[j].value.find_first_not_of("0123456789") != std::string::npos) {
        nested_text(w, j, j + 1);
      }
    }
  }

  void lookups(const std::vector<Word>& w, size_t j)
  {
    for (; j < w.size(); ++j) {
      if (!w[j].expands && !w[j].value.empty() && w[j].value[0] != '-') {
        m_found.lookups.insert(w[j].value);
      }
    }
  }

  // Scans the words [j, end) joined by blanks as the shell text they are (eval, sh -c, trap). Their
  // expansions stay as written, so a command word that is one is reported, and literal ones count.
  void nested_text(const std::vector<Word>& w, size_t j, size_t end = 0)
  {
    if (end == 0 || end > w.size()) {
      end = w.size();
    }
    std::string text;
    for (size_t k = j; k < end; ++k) {
      text += (k == j ? "" : " ") + w[k].value;
    }
    Nest nest(m_depth);
    Scanner(text, m_found, m_depth, this, m_i).script();
  }

  // The operands of sh/bash/dash/ash from w[j]: -c TEXT or a script FILE.
  void shell(const std::vector<Word>& w, size_t j)
  {
    bool text = false;
    while (j < w.size() && !w[j].expands) {
      const std::string& o = w[j].value;
      if (o == "--") {
        ++j;
        break;
      }
      if (o.size() < 2 || (o[0] != '-' && o[0] != '+')) {
        break;
      }
      if (o[0] == '-' && o[1] != '-' && o.find('c') != std::string::npos) {
        text = true;
      }
      j += (o == "-o" || o == "+o" || o == "-O" || o == "+O") ? 2 : 1;
    }
    if (j >= w.size()) {
      return;
    }
    if (text) {
      nested_text(w, j, j + 1);
    } else if (w[j].expands) {
      m_found.variable_scripts.insert(w[j].raw);
    } else {
      m_found.scripts.insert(w[j].value);
    }
  }

  std::string_view m_s;
  size_t m_i = 0;
  Found& m_found;
  int& m_depth;
  const Scanner* m_parent;
  size_t m_offset;
  std::optional<Token> m_tok;
  std::vector<Heredoc> m_pending;
  int m_lists = 0;      // lists open: 1 is the script's top level
  bool m_exec = false;  // the current top-level command is `exec PROG`
  bool m_ended = false; // an unconditional top-level `exec PROG` was read
};

std::vector<std::string>
sorted(const std::set<std::string>& s)
{
  return {s.begin(), s.end()};
}

} // namespace

ScriptScan
scan_script(std::string_view text)
{
  Found found;
  found.budget = 16 * static_cast<int64_t>(text.size()) + (1 << 20);
  int depth = 0;
  try {
    Scanner(text, found, depth).script();
  } catch (const Abort& a) {
    found.problems.push_back(a.why + ": the rest is not scanned");
  }
  ScriptScan out;
  std::set<std::string> commands = found.executed;
  for (const auto& c : found.commands) {
    if (!found.functions.count(c)) {
      commands.insert(c);
    }
  }
  out.commands = sorted(commands);
  out.functions = sorted(found.functions);
  out.variable_commands = sorted(found.variable_commands);
  out.lookups = sorted(found.lookups);
  out.scripts = sorted(found.scripts);
  out.variable_scripts = sorted(found.variable_scripts);
  out.problems = std::move(found.problems);
  return out;
}

bool
is_shell_script(const std::string& head)
{
  auto sb = util::parse_shebang(head);
  if (!sb) {
    return false;
  }
  std::string base = util::base_name(sb->interpreter);
  if (is_shell_name(base)) {
    return true;
  }
  std::istringstream words(sb->argument);
  std::string w;
  if (base == "busybox") {
    return (words >> w) && (w == "sh" || w == "ash");
  }
  if (base != "env") {
    return false;
  }
  while (words >> w) {
    if (w[0] == '-' || is_assignment(w)) {
      continue;
    }
    return is_shell_name(util::base_name(w));
  }
  return false;
}

ShellInvocation
shell_invocation(const std::vector<std::string>& argv)
{
  ShellInvocation out;
  if (argv.empty()) {
    return out;
  }
  std::string base = util::base_name(argv[0]);
  size_t j = 1;
  if (base == "busybox" && argv.size() > 1 && (argv[1] == "sh" || argv[1] == "ash")) {
    j = 2;
  } else if (!is_shell_name(base)) {
    return out;
  }
  bool text = false;
  while (j < argv.size()) {
    const std::string& o = argv[j];
    if (o == "--") {
      ++j;
      break;
    }
    if (o.size() < 2 || (o[0] != '-' && o[0] != '+')) {
      break;
    }
    if (o[0] == '-' && o[1] != '-' && o.find('c') != std::string::npos) {
      text = true;
    }
    j += (o == "-o" || o == "+o" || o == "-O" || o == "+O") ? 2 : 1;
  }
  if (j < argv.size()) {
    (text ? out.text : out.file) = argv[j];
  }
  return out;
}

} // namespace whittle::slim
