#pragma once
// What the script scanner (script_scan.hpp) knows about command names: which run inside the shell
// (builtins, reserved words), which are shells, and how the programs that run their operand (env, nohup,
// timeout, gosu, setpriv...) are stepped over to reach it. Data and lookups only; the grammar walk uses
// them.
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>
#include <whittle/slim/shell_lexer.hpp>

namespace whittle::slim {

// True for dash's special and regular builtins and bash's and busybox ash's additions: they run inside
// the shell and are never looked up on PATH.
bool is_shell_builtin(std::string_view name);

// True for a reserved word of sh or bash (if, then, case, [[, function, coproc...).
bool is_shell_keyword(std::string_view name);

// True if `base` (a base name) is a POSIX shell: sh, dash, bash or ash.
bool is_shell_name(std::string_view base);

// If `base` names a program that runs its operand (env, nohup, nice, timeout, setsid, stdbuf, xargs,
// gosu, su-exec, setpriv, tini, dumb-init, time, ionice, taskset): the index in `w` of that operand,
// found by stepping over the options, and env's assignments, timeout's duration or gosu's user, from
// w[j] on. It may be w.size() (no operand). Nullopt for any other name.
std::optional<size_t> wrapped_command(std::string_view base, const std::vector<Word>& w, size_t j);

} // namespace whittle::slim
