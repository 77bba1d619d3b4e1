#pragma once
// The build options shared by `whittle build` and `whittle slim` (flags, parsing, the shipped rules
// directory), so both commands accept exactly the same ones.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>
#include <whittle/cli/args.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/trace/profile.hpp>

namespace whittle::cli {

// --user, --include-path, --include-exe, --include-shell, --exclude-pattern, --rules, --no-strip,
// --no-script-scan, --compression, --artifacts.
std::vector<FlagSpec> build_flags();

// Parses and checks them (before any work starts); loads the shipped rule files and every --rules file.
// Throws UsageError on a bad value, BadInput/Error on an unreadable or invalid rule file.
slim::BuildOptions parse_build_options(const ParsedArgs& args);

// Under --debug, prints every kept path with its reasons and every dropped path with its reason.
void debug_plan(const slim::BuildPlan& plan);

// The common end of `build` and `slim`: writes the planned image to dest, the artifacts (to --artifacts
// or beside dest) and prints the report on stdout (JSON with --json). Throws Error.
void finish_build(const slim::ExtractedImage& src, slim::BuildPlan& plan, const oci::ImageRef& dest,
                  const trace::Profile& profile, const ParsedArgs& args);

// The most a profile file may hold: a traced run of a large image names some 10^5 paths (about 10 MiB).
constexpr uint64_t k_max_profile_bytes = 64ULL << 20;

// Reads and parses a profile named on the command line (`build --profile`, `profile merge`) through
// util::read_bounded. Throws Error (unreadable) or BadInput (not a regular file, over the cap, invalid).
trace::Profile read_profile_file(const std::string& path);

// "N ms" since t, for the --verbose timings.
std::string ms_since(std::chrono::steady_clock::time_point t);

// The directory whittle's shipped rule files live in: $WHITTLE_PROFILES_DIR, else share/whittle/profiles
// beside the installed binary, else the source tree's profiles/.
std::string rules_dir();

} // namespace whittle::cli
