#pragma once
// The "#!" line of a script, read with the kernel's rules (fs/binfmt_script.c): the tracer needs what
// execve opens, slim what a script needs kept, and both must agree with the kernel, not with a shell.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace whittle::util {

// BINPRM_BUF_SIZE: the kernel looks for the "#!" line in only this many bytes at the start of a file.
constexpr size_t k_shebang_max = 256;

struct Shebang
{
  std::string interpreter; // the path execve opens, as written
  std::string argument;    // the one optional argument, blanks inside kept ("" if none)
};

// Interface.

// Parses the "#!" line at the start of `head` (only its first k_shebang_max bytes count) as execve does:
// the line ends at the first newline, or at the end of those bytes; blanks (space, tab) after "#!" and at
// the end are dropped; the interpreter ends at the first blank or NUL, and the rest (up to a NUL) is one
// argument. A carriage return is an ordinary byte, as for the kernel ("#!/bin/sh\r" names "/bin/sh\r").
// Returns nullopt if `head` does not start with "#!", names no interpreter, or its interpreter runs past
// those bytes (the kernel refuses a cut name). Never throws.
std::optional<Shebang> parse_shebang(std::string_view head);

} // namespace whittle::util
