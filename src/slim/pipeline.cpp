#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <whittle/archive/tar_reader.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/trace/idmap.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/in_root.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::slim {

ExtractedImage
extract_image(oci::Image image, const std::string& dir)
{
  rootfs::ApplyOptions ao;
  ao.extract_to = dir;
  // As for a trace: in rootless mode only the shifted ids exist in whittle's namespace. An unprivileged
  // `whittle build` (no namespace entered) writes no owners; the output takes them from the tree.
  if (::geteuid() == 0) {
    ao.id_shift = trace::sandbox_id_shift();
  } else {
    ao.preserve_owners = false;
  }
  rootfs::ApplyResult applied = rootfs::apply_layers(image, ao);
  return {std::move(image), std::move(applied.tree), dir};
}

namespace {

// True when `since` is known and `ctime` is at or after it: the file changed after the extraction, even
// if its size and mtime were put back.
bool
changed_after(const struct timespec& ctime, const struct timespec& since)
{
  if (since.tv_sec == 0 && since.tv_nsec == 0) {
    return false;
  }
  return ctime.tv_sec > since.tv_sec || (ctime.tv_sec == since.tv_sec && ctime.tv_nsec >= since.tv_nsec);
}

} // namespace

bool
restore_pristine(ExtractedImage& src, const trace::Profile& profile, const std::string& dir, size_t* restored)
{
  constexpr uint16_t k_writes = static_cast<uint16_t>(trace::Access::write) |
                                static_cast<uint16_t>(trace::Access::create) |
                                static_cast<uint16_t>(trace::Access::remove);
  // Content keys (a hardlink group's primary, else the path) that need their pristine bytes.
  std::set<std::string> dirty;
  auto key_of = [&](const std::string& path, const rootfs::Node& n) {
    return n.hardlink_of.empty() ? path : n.hardlink_of;
  };
  for (const auto& [path, rec] : profile.files) {
    if ((rec.access & k_writes) == 0) {
      continue;
    }
    rootfs::Resolution r = src.tree.resolve(path, rootfs::Follow::no);
    if (r.node && r.node->type == rootfs::NodeType::regular) {
      dirty.insert(key_of(r.path, *r.node));
    }
  }
  // Looked up below the root without following links: the app may have left a link where a directory was.
  util::Fd root = util::open_root(src.root);
  for (const auto& [path, node] : src.tree.nodes()) {
    if (node.type != rootfs::NodeType::regular) {
      continue;
    }
    auto st = util::lstat_in_root(root.get(), path);
    if (!st || !S_ISREG(st->st.st_mode) || static_cast<uint64_t>(st->st.st_size) != node.size ||
        st->st.st_mtime != node.mtime || changed_after(st->st.st_ctim, src.changed_since)) {
      dirty.insert(key_of(path, node));
    }
  }
  if (restored) {
    *restored = dirty.size();
  }
  if (dirty.empty()) {
    return true;
  }
  // Which layer last wrote each key: read only those layers, and from each only those entries.
  std::map<size_t, std::set<std::string>> by_layer;
  for (const auto& k : dirty) {
    const rootfs::Node* n = src.tree.find(k);
    if (!n || n->layer < 0) {
      return false;
    }
    by_layer[static_cast<size_t>(n->layer)].insert(k);
  }
  std::map<std::string, std::string> found; // key -> host file
  size_t counter = 0;
  for (const auto& [layer, keys] : by_layer) {
    auto stream = oci::open_layer(src.image, layer);
    archive::TarReader tar(*stream, "layer " + std::to_string(layer) + " of " + src.image.ref.str());
    archive::TarEntry e;
    while (tar.next(e)) {
      auto p = util::clean_in_root(e.path);
      if (!p || !keys.count(*p)) {
        continue;
      }
      if (e.type != archive::EntryType::regular) {
        found.erase(*p); // a hardlink entry (or a later replacement): not recoverable here
        continue;
      }
      std::string host = dir + "/" + std::to_string(counter++);
      util::Fd fd(::open(host.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!fd) {
        throw_errno("create `" + host + "`");
      }
      util::FdSink sink(fd.get(), host);
      util::copy_stream(tar.data(), sink);
      if (!fd.close()) {
        throw_errno("close `" + host + "`");
      }
      found[*p] = host;
    }
    util::drain(*stream); // the layer's digest and diff_id are checked at its end
  }
  for (const auto& k : dirty) {
    auto it = found.find(k);
    struct stat st;
    if (it == found.end() || ::stat(it->second.c_str(), &st) != 0 ||
        static_cast<uint64_t>(st.st_size) != src.tree.find(k)->size) {
      return false;
    }
    src.overrides[k] = it->second;
    for (const auto& other : src.tree.hardlinks_of(k)) {
      src.overrides[other] = it->second;
    }
  }
  return true;
}

std::string
work_parent(uint64_t need_bytes, const std::string& fallback)
{
  struct statvfs st;
  if (::statvfs("/dev/shm", &st) == 0) {
    uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    if (free_bytes / 2 > need_bytes) {
      return "/dev/shm";
    }
  }
  return fallback;
}

BuildPlan
plan_build(const ExtractedImage& src, const trace::Profile& profile, const BuildOptions& options)
{
  const oci::ImageConfig& cfg = src.image.config;
  RootFiles files = src.files();
  KeepOptions ko;
  ko.include_paths = options.include_paths;
  ko.include_exes = options.include_exes;
  ko.include_shell = options.include_shell;
  ko.exclude_patterns = options.exclude_patterns;
  ko.repair_paths.assign(options.repair_paths.begin(), options.repair_paths.end());
  ko.strip = options.strip;
  ko.script_scan = options.script_scan;
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
  plan.user =
      options.user ? *options.user : plan_user(cfg.user(), profile, options.user_mode, options.user_id);
  plan.report = make_report(src.tree, plan.keep);
  LayerOptions lo;
  lo.source_date_epoch = options.source_date_epoch;
  lo.user = plan.user;
  if (plan.report.hints.read_only_rootfs) {
    lo.tmpfs_paths = plan.report.hints.writable_paths;
  }
  plan.entries = plan_layer(src.tree, files, plan.keep, lo);

  plan.report.user = plan.user;
  plan.report.hardening =
      make_hardening(plan.user, plan.report.hints,
                     options.user ? options.capabilities : traced_capabilities(profile), profile.syscalls);
  plan.report.source = src.image.ref.str();
  plan.report.source_digest = src.image.manifest_digest.str();
  for (const auto& note : config_notes(cfg)) {
    plan.report.warnings.push_back(note);
  }

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
  RootFiles files = src.files();
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
