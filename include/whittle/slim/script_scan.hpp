#pragma once
// The entrypoint script scanner: which programs a POSIX shell script can run, read from
// its text without running it. A traced run takes one path through a script (`until client ping; do sleep
// 0.1; done` may never reach `sleep`), so the keep set adds every program the script names in command
// position, and the slimmed image still works on the paths the trace did not take.
//
// It is a small lexer (shell_lexer.hpp says where words, quotes and substitutions end) and a
// recursive-descent parser of the POSIX shell grammar (plus the bash forms entry scripts use: `function`,
// `[[ ]]`, `(( ))`, `$'...'`, `<(...)`, `source`). Words in command position are: the first word of a
// simple command after its assignments and redirections, in pipelines, and-or lists, `!`,
// if/elif/while/until conditions and bodies, subshells, brace groups, case bodies (never the patterns),
// `$(...)`, backquotes, `<(...)`, command substitutions in unquoted heredoc bodies (the rest of a heredoc
// is data), the targets of `exec`, `command NAME`, `find -exec`, and of the wrappers that run their
// operand (env, nohup, nice, timeout, setsid, stdbuf, xargs, gosu, su-exec, setpriv, tini, dumb-init), and
// the text of `sh -c '...'`, `eval '...'` and `trap '...'` when it is literal. Builtins (dash's and
// bash's), keywords and the functions the script defines are not programs. Reading stops after an
// unconditional top-level `exec PROG`: the shell never reads what follows.
//
// `command -v NAME`, `type NAME` and `hash NAME` only look a name up: such names are listed apart and not
// kept. Whatever the traced run looked up is in the profile already, and a script that probes for a tool
// and then uses it names it again in command position (`command -v gosu && exec gosu ...`).
//
// It never guesses: a command word that expands at run time (`$CMD`, `"$@"`, `$(which x)`) is reported
// as written. It never throws on garbage either: what it cannot parse becomes a problem, and the words
// read until then still count. Work is bounded by the input size (the caller caps it) and nesting depth
// (k_max_script_nesting).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace whittle::slim {

struct ScriptScan
{
  // Programs the script can run: names looked up on PATH ("sleep") or paths ("/usr/local/bin/x",
  // "./run.sh"), without builtins, keywords and the script's own functions. Sorted, unique.
  std::vector<std::string> commands;
  // Functions the script defines (already left out of `commands`). Sorted, unique.
  std::vector<std::string> functions;
  // Command words that are decided at run time, as written in the script (`"$@"`, `$CMD`). Sorted, unique.
  std::vector<std::string> variable_commands;
  // Names only looked up (`command -v NAME`, `type NAME`, `hash NAME`). Sorted, unique.
  std::vector<std::string> lookups;
  // Files whose text runs as shell code: `. FILE`, `source FILE`, `sh FILE`, `bash FILE` (literal
  // operands only, as written). Sorted, unique.
  std::vector<std::string> scripts;
  // Operands of `.`/`source`/`sh` that are decided at run time, as written. Sorted, unique.
  std::vector<std::string> variable_scripts;
  // Why part of the script could not be read ("line 3: unterminated quote"); empty when all of it was.
  std::vector<std::string> problems;
};

// Scans shell script text. Never throws (but std::bad_alloc).
ScriptScan scan_script(std::string_view text);

// True if `head` (the first bytes of a file) starts with a shebang naming a POSIX shell: sh, dash, bash,
// ash (any directory), `busybox sh|ash`, or `env [-S] sh|dash|bash|ash`.
bool is_shell_script(const std::string& head);

// If argv runs a shell (argv[0] is sh, dash, bash or ash by its base name, or busybox sh|ash): the text it
// runs with -c (`text`), or the script file it runs (`file`). Both empty otherwise, or when it reads
// commands from stdin.
struct ShellInvocation
{
  std::string text;
  std::string file;
};
ShellInvocation shell_invocation(const std::vector<std::string>& argv);

} // namespace whittle::slim
