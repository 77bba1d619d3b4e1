#pragma once
// What the kernel opens on its own at execve, without a syscall the filter could see: the "#!"
// interpreter of a script and the PT_INTERP loader of a dynamic ELF program. Both are read by util's
// parsers under the kernel's rules (util/shebang.hpp, util/elf_reader.hpp), the ones slim uses too.
#include <optional>
#include <string>

namespace whittle::trace {

// Interface.

// Returns the interpreter path named by the regular file open at fd ("#!/usr/bin/env" or
// "/lib64/ld-linux-x86-64.so.2"), as the image names it; nullopt for a static ELF, an unreadable file, a
// header execve would refuse, or anything else. The caller opens it with RootResolver::open_regular
// (never a FIFO or device). Never throws.
std::optional<std::string> interpreter_of(int fd);

} // namespace whittle::trace
