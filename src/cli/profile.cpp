// `whittle profile merge A B ... -o C`: unite the profiles of several traced runs of one image.
#include <iostream>
#include <nlohmann/json.hpp>
#include <whittle/cli/build_options.hpp>
#include <whittle/cli/command.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>

namespace whittle::cli {

namespace {

int
run_profile(const ParsedArgs& args)
{
  const std::string& action = args.positional.at(0);
  if (action != "merge") {
    throw UsageError("unknown profile action `" + action + "` (expected: merge)");
  }
  if (args.positional.size() < 2) {
    throw UsageError("profile merge needs at least one input profile");
  }
  auto output = args.get("--output");
  if (!output) {
    throw UsageError("profile merge needs -o OUTPUT.json");
  }
  std::vector<trace::Profile> profiles;
  for (size_t i = 1; i < args.positional.size(); ++i) {
    profiles.push_back(read_profile_file(args.positional[i]));
  }
  trace::Profile merged = trace::merge_profiles(profiles, args.has("--allow-mixed"));
  trace::write_profile(merged, *output);
  util::info("merged " + std::to_string(profiles.size()) + " profiles (" +
             std::to_string(merged.runs.size()) + " runs, " + std::to_string(merged.files.size()) +
             " files) into " + *output);
  if (args.has("--json")) {
    nlohmann::json j = {{"output", *output},
                        {"inputs", profiles.size()},
                        {"runs", merged.runs.size()},
                        {"files", merged.files.size()},
                        {"manifest_digest", merged.manifest_digest}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return k_exit_ok;
}

} // namespace

Command
profile_command()
{
  Command c;
  c.spec.name = "profile";
  c.spec.usage = "merge PROFILE... -o OUTPUT.json";
  c.spec.summary = "merge the tracer profiles of several runs";
  c.spec.description =
      "merge: unites profiles of the same image: runs are concatenated, each file's accesses or-ed, syscall\n"
      "sets united (kept only if every input has one). Profiles of different images (manifest digests) are\n"
      "refused unless --allow-mixed. With --json a summary (output, input, run and file counts) is printed\n"
      "on stdout.";
  c.spec.flags = {
      {"--output", "-o", "FILE", "write the merged profile here"},
      {"--allow-mixed", "", "", "merge profiles of different images"},
  };
  c.spec.min_positional = 2;
  c.spec.max_positional = 1000;
  c.run = run_profile;
  return c;
}

} // namespace whittle::cli
