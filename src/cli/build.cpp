// `whittle build IMAGE --profile P.json [--profile ...] -o DST [options]`: the slimmed image from profiles
// traced earlier (no tracing here): extract, plan the keep set, write one layer, write the artifacts.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/cli/build_options.hpp>
#include <whittle/cli/command.hpp>
#include <whittle/cli/environment.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/slim/artifacts.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::cli {

std::vector<FlagSpec>
build_flags()
{
  return {
      {"--user", "", "keep|nonroot|UID[:GID]",
       "the user of the slimmed image (default nonroot: for a root image, build uses 65532:65532; slim tries "
       "65532:65532, the user the app switched to, then root, and keeps the first that verifies)"},
      {"--include-path", "", "PATH", "also keep PATH (a directory with everything below it)", true},
      {"--include-exe", "", "NAME", "also keep program NAME found on the image's PATH, with its libraries",
       true},
      {"--include-shell", "", "", "also keep /bin/sh and what it needs"},
      {"--exclude-pattern", "", "GLOB",
       "drop paths matching GLOB, even traced ones (a directory takes its subtree)", true},
      {"--rules", "", "FILE", "apply this rule file too (schema in docs/rules.md)", true},
      {"--no-strip", "", "", "do not apply the strip groups (docs, man, locales, headers, ...)"},
      {"--no-script-scan", "", "",
       "do not keep the programs that executed shell scripts name but the trace did not run"},
      {"--compression", "", "gzip|zstd|none", "layer compression (default gzip)"},
      {"--artifacts", "", "DIR",
       "write report.json, run-flags.txt, ... here (default: OUTPUT.whittle beside the output)"},
  };
}

std::string
rules_dir()
{
  const char* env = std::getenv("WHITTLE_PROFILES_DIR");
  if (env && *env) {
    return env;
  }
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    std::string bin = exe;
    std::string prefix = bin.substr(0, bin.rfind('/'));
    prefix = prefix.substr(0, prefix.rfind('/'));
    std::string installed = prefix + "/share/whittle/profiles";
    struct stat st;
    if (::stat((installed + "/base.json").c_str(), &st) == 0) {
      return installed;
    }
  }
  return WHITTLE_PROFILES_DIR;
}

slim::BuildOptions
parse_build_options(const ParsedArgs& args)
{
  slim::BuildOptions o;
  std::string user = args.get_or("--user", "nonroot");
  if (user == "keep") {
    o.user_mode = slim::UserMode::keep;
  } else if (user == "nonroot") {
    o.user_mode = slim::UserMode::nonroot;
  } else {
    o.user_mode = slim::UserMode::explicit_id;
    o.user_id = user;
    slim::plan_user("", {}, o.user_mode, user); // throws UsageError on a malformed id, before any work
  }
  o.include_paths = args.all("--include-path");
  o.include_exes = args.all("--include-exe");
  for (const char* flag : {"--include-path", "--include-exe"}) {
    for (const auto& v : args.all(flag)) {
      if (v.empty()) {
        throw UsageError(std::string(flag) + " needs a non-empty value");
      }
    }
  }
  o.include_shell = args.has("--include-shell");
  o.exclude_patterns = args.all("--exclude-pattern");
  for (const auto& g : o.exclude_patterns) {
    if (g.empty() || g[0] != '/') {
      throw UsageError("--exclude-pattern `" + g +
                       "`: must be an absolute path glob such as /usr/share/doc/**");
    }
  }
  o.strip = !args.has("--no-strip");
  o.script_scan = !args.has("--no-script-scan");
  if (auto c = args.get("--compression")) {
    auto parsed = archive::parse_compression(*c);
    if (!parsed) {
      throw UsageError("--compression `" + *c + "`: expected gzip, zstd or none");
    }
    o.compression = *parsed;
  }
  o.source_date_epoch = source_date_epoch();
  o.rules = slim::read_rules_dir(rules_dir());
  for (const auto& f : args.all("--rules")) {
    o.rules.push_back(slim::read_rules(f));
  }
  return o;
}

void
debug_plan(const slim::BuildPlan& plan)
{
  if (util::verbosity() != util::Verbosity::debug) {
    return;
  }
  for (const auto& p : plan.keep.keep.paths()) {
    std::string why;
    for (const auto& r : plan.keep.keep.reasons(p)) {
      why += " " + r;
    }
    util::debug("keep " + p + ":" + why);
  }
  for (const auto& [p, why] : plan.keep.removed) {
    util::debug("drop " + p + ": " + why);
  }
}

namespace {

int
run_build(const ParsedArgs& args)
{
  auto output = args.get("--output");
  if (!output) {
    throw UsageError("build needs -o DST (an image reference such as oci:DIR:TAG)");
  }
  std::vector<std::string> profile_files = args.all("--profile");
  if (profile_files.empty()) {
    throw UsageError("build needs at least one --profile PROFILE.json (from `whittle trace`)");
  }
  oci::ImageRef src_ref = oci::parse_reference(args.positional.at(0));
  oci::ImageRef dest = oci::parse_reference(*output, true);
  slim::BuildOptions options = parse_build_options(args);
  std::optional<oci::Platform> platform;
  if (auto p = args.get("--platform")) {
    platform = oci::Platform::parse(*p);
  }

  std::vector<trace::Profile> profiles;
  for (const auto& f : profile_files) {
    profiles.push_back(read_profile_file(f));
  }
  trace::Profile profile = profiles.size() == 1 ? profiles[0] : trace::merge_profiles(profiles);

  oci::Image image = oci::open_image(src_ref, platform);
  if (!profile.manifest_digest.empty() && profile.manifest_digest != image.manifest_digest.str()) {
    util::warn("the profile was traced on " + profile.manifest_digest + ", the image is " +
               image.manifest_digest.str() + ": paths that differ between them may be missing");
  }
  uint64_t size = 0;
  for (const auto& l : image.layers) {
    size += static_cast<uint64_t>(l.descriptor.size) * 4;
  }
  util::TempDir work = util::TempDir::work(util::WorkKind::build, slim::work_parent(size, temp_root()));
  std::string root = work.path() + "/rootfs";
  if (::mkdir(root.c_str(), 0755) != 0) {
    throw_errno("create `" + root + "`");
  }
  auto t0 = std::chrono::steady_clock::now();
  slim::ExtractedImage src = slim::extract_image(std::move(image), root);
  util::verbose("extracted " + src_ref.str() + " into " + root + " in " + ms_since(t0));
  t0 = std::chrono::steady_clock::now();
  slim::BuildPlan plan = slim::plan_build(src, profile, options);
  util::verbose("planned " + std::to_string(plan.keep.keep.size()) + " kept paths in " + ms_since(t0));
  debug_plan(plan);
  for (const auto& w : plan.keep.warnings) {
    util::warn(w);
  }
  finish_build(src, plan, dest, profile, args);
  return k_exit_ok;
}

} // namespace

void
finish_build(const slim::ExtractedImage& src, slim::BuildPlan& plan, const oci::ImageRef& dest,
             const trace::Profile& profile, const ParsedArgs& args)
{
  auto t0 = std::chrono::steady_clock::now();
  slim::write_build(src, plan, dest);
  util::verbose("wrote " + dest.str() + " in " + ms_since(t0));
  std::string art = args.get_or("--artifacts", slim::default_artifacts_dir(dest));
  slim::write_artifacts(art, plan.report, profile, src.image.platform.architecture);
  if (args.has("--json")) {
    std::cout << slim::report_json(plan.report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << util::terminal_safe(slim::report_summary(plan.report), true);
  }
}

trace::Profile
read_profile_file(const std::string& path)
{
  return trace::read_profile(path);
}

std::string
ms_since(std::chrono::steady_clock::time_point t)
{
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t);
  return std::to_string(ms.count()) + " ms";
}

Command
build_command()
{
  Command c;
  c.spec.name = "build";
  c.spec.usage = "IMAGE --profile P.json [--profile ...] -o DST [options]";
  c.spec.summary = "write the slimmed image for traced profiles (no tracing)";
  c.spec.description =
      "Keeps every path the profiles name that exists in IMAGE, with its parent directories, the symlinks "
      "on\n"
      "the way and their targets, the libraries and interpreters it needs (parsed from ELF headers and #!\n"
      "lines, resolved as ld.so does inside the image), the rule files of profiles/ that apply, and the\n"
      "--include-* paths; drops the rest and the strip groups; writes ONE layer with the original metadata,\n"
      "the config carried over, USER 65532:65532 when the image ran as root, read-only hints as labels.\n"
      "Artifacts (docs/artifacts.md) go to --artifacts DIR or OUTPUT.whittle. SOURCE_DATE_EPOCH clamps "
      "mtimes.";
  c.spec.flags = {
      {"--output", "-o", "DST", "the output image reference (required)"},
      {"--profile", "", "FILE", "a profile written by `whittle trace` (several are merged)", true},
      {"--platform", "", "OS/ARCH[/VARIANT]", "pick this platform from a multi-platform index"},
  };
  for (auto& f : build_flags()) {
    c.spec.flags.push_back(f);
  }
  c.spec.min_positional = 1;
  c.spec.max_positional = 1;
  c.run = run_build;
  return c;
}

} // namespace whittle::cli
