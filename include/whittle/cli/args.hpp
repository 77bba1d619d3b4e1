#pragma once
// A small declarative command-line parser shared by every subcommand: each command lists its flags once,
// and the same list drives parsing, validation and `--help`.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace whittle::cli {

struct FlagSpec
{
  std::string name;       // "--output"
  std::string short_name; // "-o" or ""
  std::string value_name; // "" for a boolean flag, else e.g. "DIR"
  std::string help;
  bool repeatable = false;
};

struct CommandSpec
{
  std::string name;        // "convert"
  std::string usage;       // "SRC DST [options]"
  std::string summary;     // one line
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

  // Typed values: each returns nullopt when the flag is absent and throws UsageError naming the flag and
  // the value when it is malformed or out of range, so a number is parsed once, where the flag is read.

  // A duration in seconds, finite, greater than 0 and at most max_seconds ("1.5", not "-5", "2abc",
  // "inf" or "nan").
  std::optional<std::chrono::milliseconds> get_seconds(const std::string& flag,
                                                       double max_seconds = k_max_seconds) const;
  // A whole number in [min, max].
  std::optional<uint64_t> get_count(const std::string& flag, uint64_t min, uint64_t max) const;
  // USER[:GROUP], each a name or a numeric id; a numeric id must fit uid_t/gid_t (0 to 4294967294) and
  // neither part may be empty.
  std::optional<std::string> get_user(const std::string& flag) const;
  // Every value of a repeatable flag; throws UsageError when it was given more than max times.
  std::vector<std::string> all_at_most(const std::string& flag, size_t max) const;

  // The longest duration a seconds flag accepts: 30 days.
  static constexpr double k_max_seconds = 30.0 * 24 * 3600;
};

// Parses argv (without the command name) against spec. Global flags (--json, --quiet, --verbose, --debug)
// are accepted by every command. Throws UsageError with one sentence on an unknown flag, a missing value,
// a repeated non-repeatable flag, a wrong positional count or contradicting global flags (--quiet with
// --verbose or --debug).
ParsedArgs parse_args(const CommandSpec& spec, const std::vector<std::string>& argv);

// Returns the --help text of a command.
std::string help_text(const CommandSpec& spec);

// The flags every command accepts.
const std::vector<FlagSpec>& global_flags();

} // namespace whittle::cli
