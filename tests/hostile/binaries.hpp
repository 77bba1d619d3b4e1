#pragma once
// The binaries the hostile suites run. tests/hostile/run_rootless.sh runs the suites as unprivileged users
// that cannot reach the build directory (a checkout under /root), so it passes copies by environment:
// WHITTLE_TEST_BINARY, WHITTLE_TEST_TRACEE, WHITTLE_TEST_ATTACKER; else the build's own paths.
#include <cstdlib>
#include <string>

namespace whittle::test::hostile {

inline std::string
binary_from_env(const char* var, const char* built)
{
  const char* e = std::getenv(var);
  return e && *e ? e : built;
}

inline std::string
whittle_binary()
{
  return binary_from_env("WHITTLE_TEST_BINARY", WHITTLE_BINARY);
}

inline std::string
tracee_binary()
{
  return binary_from_env("WHITTLE_TEST_TRACEE", WHITTLE_TRACEE);
}

inline std::string
attacker_binary()
{
  return binary_from_env("WHITTLE_TEST_ATTACKER", WHITTLE_ATTACKER);
}

} // namespace whittle::test::hostile
