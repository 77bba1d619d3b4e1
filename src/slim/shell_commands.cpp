#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <whittle/slim/shell_commands.hpp>

namespace whittle::slim {

namespace {

// dash's special and regular builtins, bash's and busybox ash's additions: run inside the shell, never
// looked up on PATH.
const std::set<std::string, std::less<>> k_builtins = {
    // POSIX special builtins
    "break", ":", "continue", ".", "eval", "exec", "exit", "export", "readonly", "return", "set", "shift",
    "times", "trap", "unset",
    // dash's regular builtins
    "alias", "bg", "cd", "command", "echo", "false", "fc", "fg", "getopts", "hash", "jobs", "kill", "local",
    "printf", "pwd", "read", "test", "[", "true", "type", "ulimit", "umask", "unalias", "wait",
    // bash and busybox ash
    "builtin", "caller", "declare", "typeset", "enable", "help", "let", "logout", "mapfile", "readarray",
    "popd", "pushd", "dirs", "shopt", "source", "suspend", "compgen", "complete", "compopt", "disown",
    "history", "bind"};

const std::set<std::string, std::less<>> k_keywords = {
    "if",  "then", "else", "elif", "fi", "do",       "done",   "case", "esac", "while", "until",
    "for", "in",   "{",    "}",    "!",  "function", "select", "[[",   "]]",   "coproc"};

// Programs that run their operand: how to step over their options to reach it.
struct Wrapper
{
  const char* name;
  const char* short_with_arg;             // short options that take the next word
  std::vector<const char*> long_with_arg; // long options that take the next word (unless --x=y)
  int positionals = 0;                    // operands before the program (timeout's duration, gosu's user)
  bool assignments = false;               // NAME=value words before the program (env)
};

const std::vector<Wrapper> k_wrappers = {
    {"env", "uCS", {"--unset", "--chdir", "--split-string"}, 0, true},
    {"nohup", "", {}, 0, false},
    {"nice", "n", {"--adjustment"}, 0, false},
    {"timeout", "sk", {"--signal", "--kill-after"}, 1, false},
    {"setsid", "", {}, 0, false},
    {"stdbuf", "ioe", {"--input", "--output", "--error"}, 0, false},
    {"xargs",
     "aEdILnPs",
     {"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"},
     0,
     false},
    {"gosu", "", {}, 1, false},
    {"su-exec", "", {}, 1, false},
    {"setpriv",
     "",
     {"--reuid", "--regid", "--ruid", "--euid", "--rgid", "--egid", "--groups", "--inh-caps",
      "--ambient-caps", "--bounding-set", "--securebits", "--pdeathsig", "--selinux-label",
      "--apparmor-profile", "--landlock-access", "--landlock-rule", "--seccomp-filter"},
     0,
     false},
    {"tini", "ep", {}, 0, false},
    {"dumb-init", "r", {"--rewrite"}, 0, false},
    {"time", "fo", {"--format", "--output"}, 0, false},
    {"ionice", "cnp", {"--class", "--classdata", "--pid"}, 0, false},
    {"taskset", "", {}, 1, false},
};

size_t
skip_options(const std::vector<Word>& w, size_t j, const Wrapper& wr)
{
  int positionals = wr.positionals;
  while (j < w.size()) {
    const Word& a = w[j];
    const std::string& v = a.value;
    if (!a.expands && v == "--") {
      return j + 1 + static_cast<size_t>(positionals);
    }
    if (!a.expands && v.size() > 1 && v[0] == '-') {
      if (v[1] == '-') {
        bool takes =
            v.find('=') == std::string::npos && std::any_of(wr.long_with_arg.begin(), wr.long_with_arg.end(),
                                                            [&](const char* l) { return v == l; });
        j += takes ? 2 : 1;
        continue;
      }
      size_t step = 1;
      for (size_t k = 1; k < v.size(); ++k) {
        if (v[k] != '\0' && std::strchr(wr.short_with_arg, v[k])) {
          step = k + 1 == v.size() ? 2 : 1; // the value is the next word, or attached
          break;
        }
      }
      j += step;
      continue;
    }
    if (wr.assignments && is_assignment(a.raw)) {
      ++j;
      continue;
    }
    if (positionals > 0) {
      --positionals;
      ++j;
      continue;
    }
    break;
  }
  return j;
}

} // namespace

bool
is_shell_builtin(std::string_view name)
{
  return k_builtins.count(name) > 0;
}

bool
is_shell_keyword(std::string_view name)
{
  return k_keywords.count(name) > 0;
}

bool
is_shell_name(std::string_view base)
{
  return base == "sh" || base == "dash" || base == "bash" || base == "ash";
}

std::optional<size_t>
wrapped_command(std::string_view base, const std::vector<Word>& w, size_t j)
{
  for (const auto& wr : k_wrappers) {
    if (base == wr.name) {
      return skip_options(w, j, wr);
    }
  }
  return std::nullopt;
}

} // namespace whittle::slim
