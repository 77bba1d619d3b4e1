#pragma once
// The build job as three steps shared by `whittle build`, `whittle slim` and `whittle verify`:
// extract the original image (pristine: nothing ever runs in it), plan (keep set, user, layer entries,
// report: pure data), write (the one-layer image). Keeping plan and write apart lets `slim` verify a
// written candidate before anything reaches the destination.
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <whittle/oci/image.hpp>
#include <whittle/rootfs/tree.hpp>
#include <whittle/slim/hardening.hpp>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/report.hpp>
#include <whittle/slim/rewrite.hpp>
#include <whittle/slim/root_files.hpp>
#include <whittle/trace/profile.hpp>

namespace whittle::slim {

struct ExtractedImage
{
  oci::Image image;
  rootfs::Tree tree;
  std::string root;                             // host directory holding the extraction
  std::map<std::string, std::string> overrides; // image path -> host file with pristine content
  // For a root an app ran in: a file whose ctime is at or after this changed after the extraction
  // (util::file_time_barrier). Zero when not known.
  struct timespec changed_since = {0, 0};

  RootFiles files() const { return RootFiles(root, overrides); }
};

// Applies every layer of image into dir (an existing empty directory). Throws BadInput/Error.
ExtractedImage extract_image(oci::Image image, const std::string& dir);

// Makes an extraction that an app has run in usable as a pristine one: every regular file the profile
// says was written, created or removed, or whose type, size or mtime on disk no longer matches the tree,
// or whose ctime is at or after src.changed_since when that is known (hardlink groups as one), gets its
// original content back from the layers as an override file in `dir`. Returns false (nothing usable) when
// some content cannot be recovered that way; the caller then extracts afresh. Reads only the layers that hold
// such files. Throws BadInput/Error from the layers.
bool restore_pristine(ExtractedImage& src, const trace::Profile& profile, const std::string& dir,
                      size_t* restored = nullptr);

// Where to put a work directory that will hold about need_bytes: /dev/shm (tmpfs, as fast as decoding)
// when it has twice that free, else `fallback` (cli's $TMPDIR or /tmp).
std::string work_parent(uint64_t need_bytes, const std::string& fallback);

struct BuildOptions
{
  std::vector<std::string> include_paths;
  std::vector<std::string> include_exes;
  std::vector<std::string> exclude_patterns;
  bool include_shell = false;
  bool strip = true;
  bool script_scan = true; // --no-script-scan turns it off
  std::vector<RuleSet> rules;
  UserMode user_mode = UserMode::nonroot;
  std::string user_id; // UserMode::explicit_id
  archive::Compression compression = archive::Compression::gzip;
  std::optional<int64_t> source_date_epoch;
  // slim's candidate loop: the user decided (instead of user_mode) and the capabilities it keeps. Unset
  // (build, slim --no-verify): plan_user decides, and a root user keeps the traced capabilities.
  std::optional<UserPlan> user;
  std::vector<std::string> capabilities;
  // Paths verify found missing, kept with their closure (reason verify-repair).
  std::set<std::string> repair_paths;
};

struct BuildPlan
{
  KeepPlan keep;
  UserPlan user;
  std::vector<LayerEntry> entries;
  ImageOptions image_options;
  Report report;
};

// Plans the slimmed image of `src` for `profile`, report.hardening included (make_hardening of the user,
// the write hints, the capabilities and the profile's syscalls). Throws UsageError for includes that do
// not exist.
BuildPlan plan_build(const ExtractedImage& src, const trace::Profile& profile, const BuildOptions& options);

// Writes the planned image to dest and completes the report's output fields. Throws Error.
ImageResult write_build(const ExtractedImage& src, BuildPlan& plan, const oci::ImageRef& dest);

// The default artifacts directory for an output reference: "<output path>.whittle".
std::string default_artifacts_dir(const oci::ImageRef& dest);

} // namespace whittle::slim
