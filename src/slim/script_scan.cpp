#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>
#include <whittle/slim/script_scan.hpp>
#include <whittle/slim/shell_commands.hpp>
#include <whittle/slim/shell_lexer.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/shebang.hpp>

namespace whittle::slim {

namespace {

// Reserved words that end a list; met where a command should start, they close the enclosing construct.
const std::set<std::string, std::less<>> k_closers = {"then", "else", "elif", "fi",
                                                      "do",   "done", "esac", "}"};

const std::set<std::string, std::less<>> k_redirections = {"<",  ">",  ">>",  "<&", ">&",  "<>",
                                                           ">|", "&>", "&>>", "<<", "<<-", "<<<"};

// What the scan has found so far; shared by the scanners of nested texts (substitutions, eval, sh -c).
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
  // Bytes every scanner together may still read: nested texts (eval, sh -c, substitutions) are read again,
  // and a chain of them must not multiply the work.
  int64_t budget = 0;
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

// The grammar walk over one text (a script, or the code of a substitution, eval, sh -c or trap): the
// lexer says where the tokens are, this says which words are commands.
class Scanner
{
public:
  // `parent` and `offset`: where this text sits in an enclosing one, for line numbers in problems.
  Scanner(std::string_view text, Found& found, int& depth, const Scanner* parent = nullptr, size_t offset = 0)
      : m_s(text), m_lexer(text, depth), m_found(found), m_depth(depth), m_parent(parent), m_offset(offset)
  {
    m_found.budget -= static_cast<int64_t>(text.size());
    if (m_found.budget < 0) {
      throw ScanLimit{"nested texts (eval, sh -c, substitutions) hold too much to scan"};
    }
  }

  // Scans the whole text as a list of commands.
  void script()
  {
    parse_list(Stop{});
    Token rest;
    m_lexer.finish(rest);
    take(rest);
  }

private:
  class Nest
  {
  public:
    explicit Nest(int& depth) : m_depth(depth)
    {
      if (++m_depth > k_max_script_nesting) {
        throw ScanLimit{"nested deeper than " + std::to_string(k_max_script_nesting) + " levels"};
      }
    }
    ~Nest() { --m_depth; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

  private:
    int& m_depth;
  };

  // The line of offset `at` of this text, counted in the outermost one (only computed for problems).
  size_t line_at(size_t at) const
  {
    auto end = m_s.begin() + static_cast<std::ptrdiff_t>(std::min(at, m_s.size()));
    size_t base = m_parent ? m_parent->line_at(m_offset) : 1;
    return base + static_cast<size_t>(std::count(m_s.begin(), end, '\n'));
  }

  void problem_at(size_t at, const std::string& what)
  {
    if (m_found.problems.size() < 20) {
      m_found.problems.push_back("line " + std::to_string(line_at(at)) + ": " + what);
    }
  }

  void problem(const std::string& what) { problem_at(m_lexer.pos(), what); }

  // ---- tokens

  const Token& peek()
  {
    if (!m_tok) {
      Token t = m_lexer.next();
      take(t);
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

  bool peek_op(const char* op) { return peek().kind == TokenKind::op && peek().op == op; }

  bool peek_reserved(std::string_view w)
  {
    const Token& t = peek();
    return t.kind == TokenKind::word && !t.word.quoted && !t.word.expands && t.word.value == w;
  }

  // What came with a token: its problems, and the shell code in it, read as texts of their own.
  void take(const Token& t)
  {
    for (const auto& p : t.problems) {
      problem_at(p.at, p.what);
    }
    for (const auto& c : t.code) {
      Nest nest(m_depth);
      std::string_view inner = m_s.substr(c.begin, c.end - c.begin);
      if (c.kind == Region::backquote) {
        std::string text = unescape_backquoted(inner);
        Scanner(text, m_found, m_depth, this, c.begin).script();
      } else {
        Scanner(inner, m_found, m_depth, this, c.begin).script();
      }
    }
  }

  // ---- grammar

  void skip_newlines()
  {
    while (peek().kind == TokenKind::newline) {
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
      if (t.kind == TokenKind::end) {
        return;
      }
      if (t.kind == TokenKind::newline || (t.kind == TokenKind::op && (t.op == ";" || t.op == "&"))) {
        next();
        continue;
      }
      if (t.kind == TokenKind::op && t.op == ")") {
        if (stop.rparen) {
          return;
        }
        problem("unexpected `)`");
        next();
        continue;
      }
      if (t.kind == TokenKind::op && (t.op == ";;" || t.op == ";&" || t.op == ";;&")) {
        if (stop.case_item) {
          return;
        }
        problem("unexpected `" + t.op + "`");
        next();
        continue;
      }
      if (t.kind == TokenKind::word && !t.word.quoted && !t.word.expands && k_closers.count(t.word.value)) {
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
    // `time` is a bash keyword but dash's /usr/bin/time: it goes through as a wrapper (shell_commands).
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
    while (peek().kind == TokenKind::op && k_redirections.count(peek().op)) {
      redirection();
    }
  }

  void redirection()
  {
    Token r = next();
    if (peek().kind != TokenKind::word) {
      problem("`" + r.op + "` without a target");
      return;
    }
    Token target = next();
    if (r.op == "<<" || r.op == "<<-") {
      m_lexer.add_heredoc(Heredoc{target.word.value, r.op == "<<-", !target.word.quoted});
    }
  }

  void parse_command()
  {
    Nest nest(m_depth);
    const Token& t = peek();
    if (t.kind == TokenKind::end || t.kind == TokenKind::newline) {
      return;
    }
    if (t.kind == TokenKind::op) {
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
      if (peek().kind != TokenKind::word) {
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
      while (!peek_reserved("]]") && peek().kind != TokenKind::end) {
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
    } else if (peek().kind == TokenKind::word) {
      next(); // the variable
    } else {
      problem("`for` without a variable");
      return;
    }
    skip_newlines();
    if (peek_reserved("in")) {
      next();
      while (peek().kind == TokenKind::word) {
        next(); // the items: data (their substitutions were scanned while lexing them)
      }
    }
    while (peek_op(";") || peek().kind == TokenKind::newline) {
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
    if (peek().kind != TokenKind::word) {
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
      if (peek().kind == TokenKind::end) {
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
        if (peek().kind == TokenKind::end) {
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
      if (t.kind == TokenKind::word) {
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
      if (t.kind == TokenKind::op && k_redirections.count(t.op)) {
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
      if (peek().kind == TokenKind::end) {
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
    if (ctx != Context::exec && is_shell_builtin(name)) {
      builtin(w, i);
      return;
    }
    if (ctx == Context::shell && is_shell_keyword(name) && !cmd.quoted) {
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
    if (std::optional<size_t> operand = wrapped_command(base, w, i + 1)) {
      command(w, *operand, Context::exec);
    }
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
    Scanner(text, m_found, m_depth, this, m_lexer.pos()).script();
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
  ShellLexer m_lexer;
  Found& m_found;
  int& m_depth;
  const Scanner* m_parent;
  size_t m_offset;
  std::optional<Token> m_tok;
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
  } catch (const ScanLimit& a) {
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
