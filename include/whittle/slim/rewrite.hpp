#pragma once
// Writing the slimmed image: ONE new layer holding the kept nodes in sorted path order with their original
// metadata and content (read from the pristine extraction, never from what the app wrote during a trace),
// plus a config carried over from the original with the new user, labels, history and diff_id.
// Planned first (plan_layer: a list of tar entries, testable and printable), then written (write_layer).
//
// Determinism: entries are sorted; uname/gname are dropped; mtimes are clamped to SOURCE_DATE_EPOCH when
// set; new content (the nonroot passwd/group lines) gets the original file's mtime, or SOURCE_DATE_EPOCH,
// or 0; the history entry's time is SOURCE_DATE_EPOCH or the original config's `created`, so the same
// image and profile give the same manifest digest.
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <whittle/archive/compression.hpp>
#include <whittle/archive/tar_entry.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/rootfs/tree.hpp>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/root_files.hpp>
#include <whittle/trace/profile.hpp>

namespace whittle::slim {

inline constexpr uint32_t k_nonroot_id = 65532;

// What the slimmed image runs as.
struct UserPlan
{
  std::string user;      // config User to write ("" = leave the original value)
  bool changed = false;  // user differs from the original's
  bool non_root = false; // the new user is not root
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool add_nonroot_entries = false; // add "nonroot" to /etc/passwd and /etc/group
  std::string note;                 // why (e.g. "kept root: the trace saw setuid")
};

// True for a config User that means root: "", "0", "root", "0:0", "root:root", "0:x"...
bool is_root_user(const std::string& user);

// Decides the user. mode keep: the original; nonroot: 65532:65532 if the image runs as root (unless the
// profile says the app needs root, then root is kept and note says why); explicit_id: `id` ("UID[:GID]",
// numeric; throws UsageError otherwise).
UserPlan plan_user(const std::string& original_user, const trace::Profile& profile, UserMode mode,
                   const std::string& id = "");

// One entry of the new layer: header plus where its content comes from.
struct LayerEntry
{
  archive::TarEntry entry;
  std::string source; // regular files: canonical image path to read from RootFiles ("" if `data` is used)
  std::optional<std::string> data; // synthesized content (passwd/group with the nonroot entries)
};

struct LayerOptions
{
  std::optional<int64_t> source_date_epoch;
  UserPlan user;
  // The written directories the hints put a tmpfs on. A podman tmpfs's root keeps the directory's mode
  // but is owned by root, so for a new non-root user these get mode 1777 (as /tmp) besides its owner.
  std::vector<std::string> tmpfs_paths;
};

// The sorted entries of the new layer. Hardlinks stay hardlinks: the first kept name (in sorted order) of
// a group carries the content, the others link to it. Written directories and files are chowned to a
// new non-root user (it must write where the app wrote as root).
std::vector<LayerEntry> plan_layer(const rootfs::Tree& tree, const RootFiles& files, const KeepPlan& plan,
                                   const LayerOptions& options);

struct LayerResult
{
  oci::Digest diff_id;
  uint64_t tar_bytes = 0;
  uint64_t content_bytes = 0;
  uint64_t entries = 0;
};

// Writes the entries as a tar into sink (which is finished). Throws Error if a file cannot be opened or
// its size differs from the plan.
LayerResult write_layer(const std::vector<LayerEntry>& entries, const RootFiles& files, util::ByteSink& sink,
                        const std::string& what);

struct ImageOptions
{
  archive::Compression compression = archive::Compression::gzip;
  // Dates whittle's history entry and, for an archive destination, its tar entries (cli: SOURCE_DATE_EPOCH).
  std::optional<int64_t> source_date_epoch;
  UserPlan user;
  std::map<std::string, std::string> labels; // added to the config (and base.* also as manifest annotations)
  std::string history_created_by;
  std::string history_comment;
};

struct ImageResult
{
  oci::Digest manifest_digest;
  oci::Descriptor layer;
  LayerResult layer_stats;
};

// The slimmed image's config: src's whole, so every runtime field is carried over unchanged (Entrypoint,
// Cmd, Env, WorkingDir, ExposedPorts, Volumes, Labels, StopSignal, Healthcheck, Shell and those whittle does
// not model), except: rootfs.diff_ids is {diff_id}; history gains whittle's entry and marks the old ones
// empty; User is options.user's when it changed; options.labels are added (replacing equal keys); OnBuild
// is dropped (config_notes says so), since a `FROM` of the slimmed image would run its triggers against
// a root that no longer has what they expect.
oci::ImageConfig output_config(const oci::ImageConfig& src, const oci::Digest& diff_id,
                               const ImageOptions& options);

// What output_config drops or cannot keep, as sentences for the report's warnings ("" fields quoted).
std::vector<std::string> config_notes(const oci::ImageConfig& src);

// Writes the image to dest atomically: the layer, the config derived from src's, the manifest. Throws Error.
ImageResult write_image(const oci::Image& src, const std::vector<LayerEntry>& entries, const RootFiles& files,
                        const ImageOptions& options, const oci::ImageRef& dest);

} // namespace whittle::slim
