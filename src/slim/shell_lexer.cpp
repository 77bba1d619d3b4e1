#include <algorithm>
#include <cstring>
#include <whittle/slim/shell_lexer.hpp>

namespace whittle::slim {

namespace {

const char* const k_operators[] = {"&>>", ";;&", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", "&>", "<<", ">>",
                                   "<&",  ">&",  "<>",  ">|",  "&",  "|",  ";",  "<",  ">",  "(",  ")"};

// Bytes that end an unquoted word.
const char* const k_word_end = " \t\r\n;&|()<>";

bool
ends_word(char c)
{
  return c != '\0' && std::strchr(k_word_end, c) != nullptr;
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

char
byte_at(std::string_view s, size_t i)
{
  return i < s.size() ? s[i] : '\0';
}

// The end of the "$" at s[i] that is no region: `$name`, `$1`, `$@`..., or a lone "$" (which is itself).
size_t
dollar_end(std::string_view s, size_t i)
{
  char n = byte_at(s, i + 1);
  if (name_start(n)) {
    i += 2;
    while (name_char(byte_at(s, i))) {
      ++i;
    }
    return i;
  }
  if (n != '\0' && std::strchr("0123456789@*#?-$!", n)) {
    return i + 2;
  }
  return i + 1;
}

size_t
opener_size(std::string_view s, size_t pos, Region kind)
{
  bool dollar = byte_at(s, pos) == '$';
  switch (kind) {
  case Region::single_quote:
  case Region::backquote:
    return 1;
  case Region::double_quote:
    return dollar ? 2 : 1;
  case Region::arithmetic:
    return dollar ? 3 : 2;
  case Region::heredoc_body:
    return 0;
  case Region::ansi_c_quote:
  case Region::parameter:
  case Region::command:
    break;
  }
  return 2;
}

size_t
closer_size(Region kind)
{
  return kind == Region::arithmetic ? 2 : kind == Region::heredoc_body ? 0 : 1;
}

// The end of the body of `doc` starting at `pos` (where its delimiter line starts, or the end of the
// text), and in `next` where the text goes on after the delimiter line.
size_t
heredoc_end(std::string_view s, size_t pos, const Heredoc& doc, size_t& next)
{
  while (pos < s.size()) {
    size_t eol = s.find('\n', pos);
    size_t end = eol == std::string_view::npos ? s.size() : eol;
    std::string_view l = s.substr(pos, end - pos);
    if (doc.strip_tabs) {
      while (!l.empty() && l[0] == '\t') {
        l.remove_prefix(1);
      }
    }
    if (!l.empty() && l.back() == '\r') {
      l.remove_suffix(1);
    }
    size_t after = eol == std::string_view::npos ? s.size() : eol + 1;
    if (l == doc.delimiter) {
      next = after;
      return pos;
    }
    pos = after;
  }
  next = s.size();
  return s.size();
}

// The delimiter word of a heredoc operator inside `$(...)`, from s[i] after "<<" or "<<-" and blanks,
// quotes removed: only to step over its body.
size_t
heredoc_delimiter(std::string_view s, size_t i, std::string& out)
{
  while (i < s.size() && !ends_word(s[i])) {
    char c = s[i];
    if (c == '\'' || c == '"') {
      size_t close = s.find(c, i + 1);
      size_t end = close == std::string_view::npos ? s.size() : close;
      out += s.substr(i + 1, end - i - 1);
      i = std::min(end + 1, s.size());
    } else if (c == '\\' && i + 1 < s.size()) {
      out += s[i + 1];
      i += 2;
    } else {
      out += c;
      ++i;
    }
  }
  return i;
}

bool
opens_list(std::string_view w)
{
  for (const char* k : {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time"}) {
    if (w == k) {
      return true;
    }
  }
  return false;
}

// The shell code of a `$(`/`<(` from s[i] (after its opener) up to its ")": nested regions by recursion,
// parentheses counted, comments and heredoc bodies stepped over, and the ")" ending a case pattern not
// taken for the closer.
RegionEnd
skip_command(std::string_view s, size_t i, int depth)
{
  int open = 0;                 // "(" not closed yet
  std::vector<int> case_levels; // `case` not closed by `esac` yet, by the `open` they were met at
  bool word_start = true;       // a "#" here starts a comment
  bool command_start = true;    // a reserved word here counts
  std::vector<Heredoc> pending;
  auto in_case = [&] { return !case_levels.empty() && case_levels.back() == open; };
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\') {
      i = std::min(i + 2, s.size());
      word_start = command_start = false;
    } else if (c == '\n') {
      ++i;
      for (const auto& doc : pending) {
        heredoc_end(s, i, doc, i);
      }
      pending.clear();
      word_start = command_start = true;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      word_start = true;
    } else if (c == '#' && word_start) {
      size_t eol = s.find('\n', i);
      i = eol == std::string_view::npos ? s.size() : eol;
    } else if (c == ')') {
      ++i;
      word_start = true;
      command_start = in_case(); // a pattern ends: its commands follow
      if (!command_start && open-- == 0) {
        return {i, true, Region::command};
      }
    } else if (c == '(' || c == ';' || c == '&' || c == '|') {
      open += c == '(' && !(in_case() && command_start) ? 1 : 0; // not the "(" opening a pattern
      ++i;
      word_start = command_start = true;
    } else if (c == '<' || c == '>') {
      if (s.substr(i, 3) == "<<<") {
        i += 3;
      } else if (s.substr(i, 2) == "<<") {
        Heredoc doc;
        i += 2;
        if (byte_at(s, i) == '-') {
          doc.strip_tabs = true;
          ++i;
        }
        while (byte_at(s, i) == ' ' || byte_at(s, i) == '\t') {
          ++i;
        }
        i = heredoc_delimiter(s, i, doc.delimiter);
        pending.push_back(std::move(doc));
      } else {
        ++i;
      }
      word_start = true;
      command_start = false; // a redirection's target follows: `<case` reads a file
    } else if (auto r = region_at(s, i, Quoting::none)) {
      RegionEnd inner = skip_balanced(s, i, *r, depth);
      if (!inner.closed) {
        return {s.size(), false, inner.innermost};
      }
      i = inner.end;
      word_start = command_start = false;
    } else if (c == '$') {
      i = dollar_end(s, i);
      word_start = command_start = false;
    } else {
      size_t b = i;
      do {
        ++i;
      } while (i < s.size() && !ends_word(s[i]) && !std::strchr("\\'\"`$", s[i]));
      std::string_view w = s.substr(b, i - b);
      bool whole = i >= s.size() || ends_word(s[i]);
      bool reserved = whole && command_start;
      if (reserved && w == "case") {
        case_levels.push_back(open);
      } else if (reserved && w == "esac" && in_case()) {
        case_levels.pop_back();
      }
      command_start = whole && (opens_list(w) || (in_case() && w == "in"));
      word_start = false;
    }
  }
  return {s.size(), false, Region::command};
}

// The value of the inner text of a double-quoted region: "\$", "\`", "\"" and "\\" lose their backslash,
// "\<newline>" is removed, expansions stay as written.
void
double_quoted_value(std::string_view inner, int depth, Word& w)
{
  size_t i = 0;
  while (i < inner.size()) {
    char c = inner[i];
    char n = byte_at(inner, i + 1);
    if (c == '\\' && n == '\n') {
      i += 2;
    } else if (c == '\\' && (n == '$' || n == '`' || n == '"' || n == '\\')) {
      w.value += n;
      i += 2;
    } else if (auto r = region_at(inner, i, Quoting::double_quotes)) {
      size_t end = skip_balanced(inner, i, *r, depth).end;
      w.value += inner.substr(i, end - i);
      w.expands = true;
      i = end;
    } else if (c == '$') {
      size_t end = dollar_end(inner, i);
      w.value += inner.substr(i, end - i);
      w.expands |= end > i + 1;
      i = end;
    } else {
      w.value += c;
      ++i;
    }
  }
}

std::string
unescape_ansi_c(std::string_view inner)
{
  std::string v;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\' && i + 1 < inner.size()) {
      ++i;
    }
    v += inner[i];
  }
  return v;
}

std::string
unterminated(Region kind, bool process)
{
  switch (kind) {
  case Region::single_quote:
    return "unterminated single quote";
  case Region::ansi_c_quote:
    return "unterminated `$'`";
  case Region::double_quote:
    return "unterminated double quote";
  case Region::parameter:
    return "unterminated `${`";
  case Region::arithmetic:
    return "unterminated arithmetic `((`";
  case Region::command:
    return process ? "unterminated process substitution `<(`" : "unterminated command substitution `$(`";
  case Region::backquote:
    return "unterminated backquote";
  case Region::heredoc_body:
    break;
  }
  return "unterminated heredoc";
}

// Problems for the code regions from `first` on that their text cut short.
void
report_unclosed(Token& t, size_t first)
{
  for (size_t k = first; k < t.code.size(); ++k) {
    if (!t.code[k].closed) {
      t.problems.push_back({t.code[k].begin, unterminated(t.code[k].kind, t.code[k].process)});
    }
  }
}

} // namespace

std::optional<Region>
region_at(std::string_view text, size_t pos, Quoting quoting)
{
  bool bare = quoting == Quoting::none;
  switch (byte_at(text, pos)) {
  case '\'':
    return bare ? std::optional<Region>(Region::single_quote) : std::nullopt;
  case '"':
    return bare ? std::optional<Region>(Region::double_quote) : std::nullopt;
  case '`':
    return Region::backquote;
  case '$':
    break;
  default:
    return std::nullopt;
  }
  switch (byte_at(text, pos + 1)) {
  case '(':
    return byte_at(text, pos + 2) == '(' ? Region::arithmetic : Region::command;
  case '{':
    return Region::parameter;
  case '\'':
    return bare ? std::optional<Region>(Region::ansi_c_quote) : std::nullopt;
  case '"':
    return bare ? std::optional<Region>(Region::double_quote) : std::nullopt;
  default:
    return std::nullopt;
  }
}

RegionEnd
skip_balanced(std::string_view text, size_t pos, Region kind, int depth, std::vector<CodeRegion>* code)
{
  if (++depth > k_max_script_nesting) {
    throw ScanLimit{"nested deeper than " + std::to_string(k_max_script_nesting) + " levels"};
  }
  const std::string_view s = text;
  size_t i = std::min(pos + opener_size(s, pos, kind), s.size());
  RegionEnd out{s.size(), false, kind};
  switch (kind) {
  case Region::single_quote: {
    size_t close = s.find('\'', i);
    if (close != std::string_view::npos) {
      out = {close + 1, true, kind};
    }
    break;
  }
  case Region::ansi_c_quote:
  case Region::backquote: {
    char closer = kind == Region::backquote ? '`' : '\'';
    while (i < s.size() && s[i] != closer) {
      i = s[i] == '\\' ? std::min(i + 2, s.size()) : i + 1;
    }
    if (i < s.size()) {
      out = {i + 1, true, kind};
    }
    break;
  }
  case Region::arithmetic: {
    int open = 2;
    for (; i < s.size() && open > 0; ++i) {
      open += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
    }
    out = {i, open == 0, kind};
    break;
  }
  case Region::double_quote:
  case Region::parameter:
  case Region::heredoc_body: {
    char closer = kind == Region::double_quote ? '"' : kind == Region::parameter ? '}' : '\0';
    Quoting quoting = kind == Region::parameter ? Quoting::none : Quoting::double_quotes;
    while (i < s.size()) {
      if (s[i] == closer && closer != '\0') {
        out = {i + 1, true, kind};
        break;
      }
      if (s[i] == '\\') {
        i = std::min(i + 2, s.size());
      } else if (auto r = region_at(s, i, quoting)) {
        RegionEnd inner = skip_balanced(s, i, *r, depth, code);
        i = inner.end;
        if (!inner.closed) {
          out.innermost = inner.innermost;
        }
      } else if (s[i] == '$') {
        i = dollar_end(s, i); // "$$(" is "$$" and "("
      } else {
        ++i;
      }
    }
    if (kind == Region::heredoc_body) {
      out.closed = out.innermost == Region::heredoc_body;
    }
    break;
  }
  case Region::command:
    out = skip_command(s, i, depth);
    break;
  }
  if (code && (kind == Region::command || kind == Region::backquote)) {
    size_t begin = std::min(pos + opener_size(s, pos, kind), s.size());
    size_t end = out.closed ? out.end - closer_size(kind) : out.end;
    code->push_back(
        CodeRegion{kind, begin, std::max(begin, end), out.closed, s[pos] != '$' && s[pos] != '`'});
  }
  return out;
}

std::string
unescape_backquoted(std::string_view inner)
{
  std::string out;
  for (size_t i = 0; i < inner.size(); ++i) {
    char n = byte_at(inner, i + 1);
    if (inner[i] == '\\' && (n == '$' || n == '`' || n == '\\')) {
      out += n;
      ++i;
    } else if (inner[i] == '\\' && n == '\n') {
      ++i;
    } else {
      out += inner[i];
    }
  }
  return out;
}

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

void
ShellLexer::skip_continuations()
{
  while (at() == '\\' && at(1) == '\n') {
    m_i += 2;
  }
}

Token
ShellLexer::next()
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
      Token t;
      t.kind = TokenKind::newline;
      read_heredocs(t);
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
    Token t;
    t.kind = TokenKind::op;
    if (c == '(' && at(1) == '(') {
      size_t start = m_i;
      RegionEnd e = skip_balanced(m_s, m_i, Region::arithmetic, m_depth);
      if (!e.closed) {
        t.problems.push_back({start, unterminated(Region::arithmetic, false)});
      }
      m_i = e.end;
      t.op = "((";
      return t;
    }
    for (const char* op : k_operators) {
      size_t n = std::strlen(op);
      if (m_s.substr(m_i, n) == op) {
        m_i += n;
        t.op = op;
        return t;
      }
    }
    return word_token();
  }
}

Token
ShellLexer::word_token()
{
  Token t;
  t.kind = TokenKind::word;
  size_t start = m_i;
  lex_word(t);
  if (m_i == start) {
    ++m_i; // never stall, whatever the byte
  }
  t.word.raw = std::string(m_s.substr(start, m_i - start));
  return t;
}

void
ShellLexer::lex_word(Token& t)
{
  Word& w = t.word;
  for (;;) {
    skip_continuations();
    if (done()) {
      return;
    }
    char c = at();
    if ((c == '<' || c == '>') && at(1) == '(' && w.value.empty()) {
      region(t, Region::command); // process substitution
      continue;
    }
    if (ends_word(c)) {
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
    } else if (auto r = region_at(m_s, m_i, Quoting::none)) {
      region(t, *r);
    } else if (c == '$') {
      dollar(w);
    } else {
      if (c == '~' && w.value.empty()) {
        w.expands = true;
      }
      w.value += c;
      ++m_i;
    }
  }
}

void
ShellLexer::region(Token& t, Region kind)
{
  Word& w = t.word;
  size_t start = m_i;
  size_t first_code = t.code.size();
  RegionEnd e = skip_balanced(m_s, start, kind, m_depth, &t.code);
  size_t begin = std::min(start + opener_size(m_s, start, kind), e.end);
  std::string_view inner = m_s.substr(begin, (e.closed ? e.end - closer_size(kind) : e.end) - begin);
  switch (kind) {
  case Region::single_quote:
    w.quoted = true;
    w.value += inner;
    break;
  case Region::ansi_c_quote:
    w.quoted = true;
    w.value += unescape_ansi_c(inner);
    break;
  case Region::double_quote:
    w.quoted = true;
    double_quoted_value(inner, m_depth + 1, w);
    break;
  case Region::parameter:
  case Region::arithmetic:
  case Region::command:
  case Region::backquote:
  case Region::heredoc_body:
    w.expands = true;
    w.value += m_s.substr(start, e.end - start);
    break;
  }
  if (!e.closed && kind != Region::command && kind != Region::backquote) {
    t.problems.push_back({start, unterminated(kind, false)});
  }
  report_unclosed(t, first_code);
  m_i = e.end;
}

void
ShellLexer::dollar(Word& w)
{
  size_t end = dollar_end(m_s, m_i);
  w.expands |= end > m_i + 1;
  w.value += m_s.substr(m_i, end - m_i);
  m_i = end;
}

void
ShellLexer::read_heredocs(Token& t)
{
  std::vector<Heredoc> docs = std::move(m_pending);
  m_pending.clear();
  for (const auto& doc : docs) {
    size_t body = m_i;
    size_t body_end = heredoc_end(m_s, m_i, doc, m_i);
    if (doc.expands && body_end > body) {
      size_t first_code = t.code.size();
      RegionEnd e = skip_balanced(m_s.substr(0, body_end), body, Region::heredoc_body, m_depth, &t.code);
      if (!e.closed && e.innermost != Region::command && e.innermost != Region::backquote) {
        t.problems.push_back({body, unterminated(e.innermost, false)});
      }
      report_unclosed(t, first_code);
    }
  }
}

void
ShellLexer::finish(Token& t)
{
  if (!m_pending.empty()) {
    read_heredocs(t);
  }
}

} // namespace whittle::slim
