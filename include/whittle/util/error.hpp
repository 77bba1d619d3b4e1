#pragma once
// Errors that abort an operation. Thrown anywhere, caught once in cli::run, which maps them to exit codes:
// UsageError -> 2, everything else -> 1. Messages follow "verb object: cause" so a chain reads as a sentence.
#include <stdexcept>
#include <string>

namespace whittle {

class Error : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
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
