#pragma once
// Errors that abort an operation. Thrown anywhere, caught once in cli::run, which maps them to exit codes:
// UsageError -> 2, everything else -> 1. Messages follow "verb object: cause" so a chain reads as a sentence.
#include <stdexcept>
#include <string>

namespace whittle {

// Messages carry names from images and profiles, which may hold NUL bytes: what() is a C string, so a NUL
// is kept as the text \x00 rather than silently ending the message there.
std::string escape_nul(const std::string& message);

class Error : public std::runtime_error
{
public:
  explicit Error(const std::string& message) : std::runtime_error(escape_nul(message)) {}
  explicit Error(const char* message) : std::runtime_error(message) {}
};

// The input image (or profile, or rule file) is malformed, inconsistent or hostile.
class BadInput : public Error
{
public:
  using Error::Error;
};

// The command line is wrong: unknown flag, missing argument, conflicting options.
class UsageError : public Error
{
public:
  using Error::Error;
};

// The kernel or host refuses what the sandbox needs (namespaces, ptrace, seccomp).
class SandboxError : public Error
{
public:
  using Error::Error;
};

// Returns "`what`: strerror(err)", the shape of every system-call failure message.
std::string errno_message(const std::string& what, int err);

// Throws Error(errno_message(what, errno)).
[[noreturn]] void throw_errno(const std::string& what);

} // namespace whittle
