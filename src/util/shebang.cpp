#include <algorithm>
#include <array>
#include <cstring>
#include <whittle/util/shebang.hpp>

namespace whittle::util {

namespace {

bool
blank(char c)
{
  return c == ' ' || c == '\t';
}

// The first byte in [p, last] that is not a blank, or nullptr.
const char*
next_non_blank(const char* p, const char* last)
{
  for (; p <= last; ++p) {
    if (!blank(*p)) {
      return p;
    }
  }
  return nullptr;
}

// The first blank or NUL in [p, last], or nullptr.
const char*
next_terminator(const char* p, const char* last)
{
  for (; p <= last; ++p) {
    if (blank(*p) || *p == '\0') {
      return p;
    }
  }
  return nullptr;
}

// [begin, end) up to its first NUL: the kernel passes both parts on as C strings.
std::string
c_string(const char* begin, const char* end)
{
  return std::string(begin, std::find(begin, end, '\0'));
}

} // namespace

std::optional<Shebang>
parse_shebang(std::string_view head)
{
  if (head.size() < 2 || head[0] != '#' || head[1] != '!') {
    return std::nullopt;
  }
  // The kernel's buffer: the first bytes of the file, NUL-padded past the end of a shorter one.
  std::array<char, k_shebang_max> buf{};
  std::memcpy(buf.data(), head.data(), std::min(head.size(), buf.size()));
  const char* last = buf.data() + buf.size() - 1;
  const char* end = static_cast<const char*>(std::memchr(buf.data(), '\n', buf.size()));
  if (!end) {
    // No newline: only arguments may be cut, so the name must end (blank or NUL) within the buffer.
    end = next_non_blank(buf.data() + 2, last);
    if (!end || !next_terminator(end, last)) {
      return std::nullopt;
    }
    end = last;
  }
  while (blank(end[-1])) { // stops at the '!' at worst
    --end;
  }
  const char* name = next_non_blank(buf.data() + 2, end);
  if (!name || name == end) {
    return std::nullopt;
  }
  const char* sep = next_terminator(name, end);
  const char* arg = sep && *sep != '\0' ? next_non_blank(sep, end) : nullptr;
  Shebang s;
  s.interpreter = c_string(name, arg ? sep : end);
  if (arg) {
    s.argument = c_string(arg, end);
  }
  if (s.interpreter.empty()) {
    return std::nullopt; // "#!\0...": execve finds no file named ""
  }
  return s;
}

} // namespace whittle::util
