#include <sys/statvfs.h>
#include <whittle/rootfs/apply.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::slim {

ExtractedImage
extract_image(oci::Image image, const std::string& dir)
{
  rootfs::ApplyOptions ao;
  ao.extract_to = dir;
  rootfs::ApplyResult applied = rootfs::apply_layers(image, ao);
  return {std::move(image), std::move(applied.tree), dir};
}

std::string
work_parent(uint64_t need_bytes)
{
  struct statvfs st;
  if (::statvfs("/dev/shm", &st) == 0) {
    uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    if (free_bytes / 2 > need_bytes) {
      return "/dev/shm";
    }
  }
  return util::temp_root();
}

BuildPlan
plan_build(const ExtractedImage& src, const trace::Profile& profile, const BuildOptions& options)
{
  const oci::ImageConfig& cfg = src.image.config;
  RootFiles files(src.root);
  KeepOptions ko;
  ko.include_paths = options.include_paths;
  ko.include_exes = options.include_exes;
  ko.include_shell = options.include_shell;
  ko.exclude_patterns = options.exclude_patterns;
  ko.strip = options.strip;
  ko.rules = options.rules;
  ko.env = cfg.env();
  ko.workdir = cfg.working_dir().empty() ? "/" : cfg.working_dir();
  ko.entrypoint = cfg.entrypoint();
  std::vector<std::string> cmd = cfg.cmd();
  ko.entrypoint.insert(ko.entrypoint.end(), cmd.begin(), cmd.end());
  // A profile traced with a replaced command names the program it ran: keep that too.
  for (const auto& run : profile.runs) {
    if (!run.argv.empty() && run.argv != ko.entrypoint && ko.entrypoint.empty()) {
      ko.entrypoint = run.argv;
    }
  }

  BuildPlan plan;
  plan.keep = plan_keep_set(src.tree, files, profile, ko);
  plan.user = plan_user(cfg.user(), profile, options.user_mode, options.user_id);
  LayerOptions lo;
  lo.source_date_epoch = options.source_date_epoch;
  lo.user = plan.user;
  plan.entries = plan_layer(src.tree, files, plan.keep, lo);

  plan.report = make_report(src.tree, plan.keep);
  plan.report.user = plan.user;
  plan.report.source = src.image.ref.str();
  plan.report.source_digest = src.image.manifest_digest.str();

  ImageOptions& io = plan.image_options;
  io.compression = options.compression;
  io.source_date_epoch = options.source_date_epoch;
  io.user = plan.user;
  std::string writable;
  for (const auto& p : plan.report.hints.writable_paths) {
    writable += (writable.empty() ? "" : ",") + p;
  }
  io.labels = {
      {"io.whittle.read-only-rootfs", plan.report.hints.read_only_rootfs ? "true" : "false"},
      {"io.whittle.writable-paths", writable},
      {"org.opencontainers.image.base.name", src.image.ref.str()},
      {"org.opencontainers.image.base.digest", src.image.manifest_digest.str()},
  };
  io.history_created_by = "whittle: kept " + std::to_string(plan.report.paths_after) + " of " +
                          std::to_string(plan.report.paths_before) + " paths of " + src.image.ref.str() +
                          " in one layer";
  std::string removed;
  for (const auto& [reason, t] : plan.report.removed_by_reason) {
    removed += (removed.empty() ? "" : ", ") + reason + " " + std::to_string(t.paths);
  }
  io.history_comment = "removed by reason: " + (removed.empty() ? std::string("none") : removed) + "; user " +
                       (plan.user.user.empty() ? std::string("root") : plan.user.user);
  return plan;
}

ImageResult
write_build(const ExtractedImage& src, BuildPlan& plan, const oci::ImageRef& dest)
{
  RootFiles files(src.root);
  ImageResult r = write_image(src.image, plan.entries, files, plan.image_options, dest);
  plan.report.output = dest.str();
  plan.report.output_digest = r.manifest_digest.str();
  plan.report.layer_bytes = static_cast<uint64_t>(r.layer.size);
  return r;
}

std::string
default_artifacts_dir(const oci::ImageRef& dest)
{
  std::string p = dest.path;
  while (p.size() > 1 && p.back() == '/') {
    p.pop_back();
  }
  return p + ".whittle";
}

} // namespace whittle::slim
