#include <atomic>
#include <cstdio>
#include <mutex>
#include <whittle/util/log.hpp>

namespace whittle::util {

namespace {
std::atomic<Verbosity> g_verbosity{Verbosity::normal};
std::mutex g_mutex;

void
emit(const char* tag, const std::string& m, bool keep_newlines = false)
{
  std::string safe = terminal_safe(m, keep_newlines);
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "whittle: %s%s\n", tag, safe.c_str());
}
} // namespace

std::string
terminal_safe(const std::string& m, bool keep_newlines)
{
  std::string out;
  out.reserve(m.size());
  for (size_t i = 0; i < m.size(); ++i) {
    auto c = static_cast<unsigned char>(m[i]);
    // U+0080..U+009F (C1 controls, CSI among them) arrive as C2 80..C2 9F in UTF-8.
    bool c1 = c == 0xc2 && i + 1 < m.size() && static_cast<unsigned char>(m[i + 1]) >= 0x80 &&
              static_cast<unsigned char>(m[i + 1]) <= 0x9f;
    if (c == '\n' && keep_newlines) {
      out += '\n';
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || c1) {
      static const char* k_hex = "0123456789abcdef";
      unsigned v = c1 ? static_cast<unsigned char>(m[++i]) : c;
      out += "\\x";
      out += k_hex[v >> 4];
      out += k_hex[v & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void
set_verbosity(Verbosity v)
{
  g_verbosity = v;
}

Verbosity
verbosity()
{
  return g_verbosity;
}

void
info(const std::string& m)
{
  if (g_verbosity >= Verbosity::normal) {
    emit("", m);
  }
}

void
verbose(const std::string& m)
{
  if (g_verbosity >= Verbosity::verbose) {
    emit("", m);
  }
}

void
debug(const std::string& m)
{
  if (g_verbosity >= Verbosity::debug) {
    emit("debug: ", m, true);
  }
}

void
warn(const std::string& m)
{
  emit("warning: ", m);
}

} // namespace whittle::util
