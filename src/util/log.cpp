#include <whittle/util/log.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace whittle::util {

namespace {
std::atomic<Verbosity> g_verbosity{Verbosity::normal};
std::mutex g_mutex;

void
emit(const char* tag, const std::string& m)
{
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "whittle: %s%s\n", tag, m.c_str());
}
} // namespace

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
    emit("debug: ", m);
  }
}

void
warn(const std::string& m)
{
  emit("warning: ", m);
}

} // namespace whittle::util
