#include <cstdio>
#include <iostream>
#include <new>
#include <sys/resource.h>
#include <whittle/cli/command.hpp>
#include <whittle/cli/environment.hpp>
#include <whittle/trace/rootless.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>

namespace whittle::cli {

const std::vector<Command>&
commands()
{
  static const std::vector<Command> k_commands = {
      inspect_command(), convert_command(), trace_command(),  profile_command(),
      build_command(),   slim_command(),    verify_command(),
  };
  return k_commands;
}

namespace {

void
print_usage(std::FILE* out)
{
  std::fprintf(
      out, "Usage: whittle COMMAND [options]\n\n"
           "Turns a fat container image into a minimal, hardened one.\n"
           "Images are named in skopeo's syntax: oci:DIR[:TAG], oci:DIR@sha256:..., oci-archive:FILE[:TAG],\n"
           "docker-archive:FILE[:NAME:TAG], or a bare path to an OCI layout or archive.\n\nCommands:\n");
  for (const auto& c : commands()) {
    std::fprintf(out, "  %-10s %s\n", c.spec.name.c_str(), c.spec.summary.c_str());
  }
  std::fprintf(out,
               "\nRun `whittle COMMAND --help` for a command's options.\n"
               "Exit status: 0 success, 1 the operation failed (bad image, failed check), 2 usage error.\n");
}

void
apply_global_flags(const ParsedArgs& args)
{
  if (args.has("--quiet")) {
    util::set_verbosity(util::Verbosity::quiet);
  }
  if (args.has("--verbose")) {
    util::set_verbosity(util::Verbosity::verbose);
  }
  if (args.has("--debug")) {
    util::set_verbosity(util::Verbosity::debug);
  }
}

// Removing and walking a deep tree (a hostile layer of 2000 nested directories) holds a descriptor per
// level; an ordinary user's soft limit is often 1024 while the hard one is far higher (20000 here).
void
raise_descriptor_limit() noexcept
{
  rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
}

} // namespace

int
run(int argc, char** argv)
{
  raise_descriptor_limit();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage(stderr);
    return k_exit_usage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(stdout);
    return k_exit_ok;
  }
  if (args[0] == "--version") {
    std::printf("whittle %s\n", WHITTLE_VERSION);
    return k_exit_ok;
  }
  try {
    for (const auto& c : commands()) {
      if (c.spec.name != args[0]) {
        continue;
      }
      ParsedArgs parsed = parse_args(c.spec, {args.begin() + 1, args.end()});
      if (parsed.help) {
        std::fputs(help_text(c.spec).c_str(), stdout);
        return k_exit_ok;
      }
      apply_global_flags(parsed);
      apply_environment_limits();
      if (c.spec.name == "trace" || c.spec.name == "slim" || c.spec.name == "verify") {
        // Rootless: a user namespace of whittle's own, entered while still single-threaded.
        trace::enter_rootless();
      }
      return c.run(parsed);
    }
    throw UsageError("unknown command `" + args[0] + "` (see `whittle --help`)");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "whittle: error: %s\n", util::terminal_safe(e.what()).c_str());
    return k_exit_usage;
  } catch (const Error& e) {
    std::fprintf(stderr, "whittle: error: %s\n", util::terminal_safe(e.what()).c_str());
    return k_exit_failed;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "whittle: error: out of memory\n");
    return k_exit_failed;
  } catch (const std::exception& e) {
    // Every failure whittle expects is an Error with a sentence; anything else (std::out_of_range from a
    // library, boost's filesystem_error, an nlohmann::json type_error) is a bug to fix where it is thrown.
    std::fprintf(stderr, "whittle: error: internal: %s (please report)\n",
                 util::terminal_safe(e.what()).c_str());
    return k_exit_failed;
  }
}

} // namespace whittle::cli
