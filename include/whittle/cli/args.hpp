#pragma once
// A small declarative command-line parser shared by every subcommand: each command lists its flags once,
// and the same list drives parsing, validation and `--help`.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace whittle::cli {

struct FlagSpec
{
  std::string name;      // "--output"
  std::string short_name; // "-o" or ""
  std::string value_name; // "" for a boolean flag, else e.g. "DIR"
  std::string help;
  bool repeatable = false;
};

struct CommandSpec
{
  std::string name;    // "convert"
  std::string usage;   // "SRC DST [options]"
  std::string summary; // one line
  std::string description; // paragraph for --help
  std::vector<FlagSpec> flags;
  size_t min_positional = 0;
  size_t max_positional = 0;
  bool passthrough = false; // everything after "--" goes to rest
};

struct ParsedArgs
{
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values; // flag name -> values ("" for booleans)
  std::vector<std::string> rest;                          // after "--"
  bool help = false;

  bool has(const std::string& flag) const { return values.count(flag) != 0; }
  // Last value of a flag, or nullopt.
  std::optional<std::string> get(const std::string& flag) const;
  std::string get_or(const std::string& flag, const std::string& fallback) const;
  std::vector<std::string> all(const std::string& flag) const;
};

// Parses argv (without the command name) against spec. Global flags (--json, --quiet, --verbose, --debug)
// are accepted by every command. Throws UsageError with one sentence on an unknown flag, a missing value,
// a repeated non-repeatable flag or a wrong positional count.
ParsedArgs parse_args(const CommandSpec& spec, const std::vector<std::string>& argv);

// Returns the --help text of a command.
std::string help_text(const CommandSpec& spec);

// The flags every command accepts.
const std::vector<FlagSpec>& global_flags();

} // namespace whittle::cli
