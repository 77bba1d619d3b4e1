#pragma once
// The subcommand table (ninja's kTools, crun's commands[]): one entry per `cli/<cmd>.cpp`.
#include <functional>
#include <string>
#include <vector>
#include <whittle/cli/args.hpp>

namespace whittle::cli {

// Documented exit codes, stable for scripts.
enum ExitCode : int
{
  k_exit_ok = 0,
  k_exit_failed = 1, // bad image, failed check, runtime failure
  k_exit_usage = 2,
};

struct Command
{
  CommandSpec spec;
  // Runs the command on parsed arguments; returns the exit code. Throws whittle::Error on failure.
  std::function<int(const ParsedArgs&)> run;
};

// Each command file defines one of these.
Command inspect_command();
Command convert_command();
Command trace_command();
Command profile_command();
Command build_command();
Command slim_command();
Command verify_command();

// The table, in the order `whittle --help` lists it.
const std::vector<Command>& commands();

// Entry point used by main(): parses, dispatches, catches every Error once and maps it to an exit code.
int run(int argc, char** argv);

} // namespace whittle::cli
