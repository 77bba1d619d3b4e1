#pragma once
// Progress and diagnostics on stderr. stdout is reserved for a command's result (text or --json).
#include <string>

namespace whittle::util {

enum class Verbosity
{
  quiet,
  normal,
  verbose,
  debug
};

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

// `message` with control characters (C0, DEL and UTF-8-encoded C1) written as \n, \t or \xNN, so that a
// name taken from an image cannot move the cursor, recolour or forge lines on the user's terminal. Every
// line above goes through it; the CLI's error printer too.
std::string terminal_safe(const std::string& message, bool keep_newlines = false);

} // namespace whittle::util
