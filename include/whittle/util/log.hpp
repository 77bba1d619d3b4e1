#pragma once
// Progress and diagnostics on stderr. stdout is reserved for a command's result (text or --json).
#include <string>

namespace whittle::util {

enum class Verbosity { quiet, normal, verbose, debug };

void set_verbosity(Verbosity v);
Verbosity verbosity();

// "whittle: MESSAGE" on stderr unless quiet.
void info(const std::string& message);
// Only with --verbose or --debug.
void verbose(const std::string& message);
// Only with --debug.
void debug(const std::string& message);
// Always printed: "whittle: warning: MESSAGE".
void warn(const std::string& message);

} // namespace whittle::util
