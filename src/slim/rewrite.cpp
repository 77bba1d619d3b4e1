#include <ctime>
#include <sys/stat.h>
#include <whittle/archive/tar_writer.hpp>
#include <whittle/oci/image_writer.hpp>
#include <whittle/slim/rewrite.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/number.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/sha256.hpp>

namespace whittle::slim {

namespace {

std::vector<std::string>
split(const std::string& s, char sep)
{
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    size_t j = s.find(sep, i);
    out.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) {
      return out;
    }
    i = j + 1;
  }
}

// Appends `line` to an /etc/passwd or /etc/group text unless an entry with the same name or id exists.
std::string
with_entry(const std::string& text, const std::string& name, const std::string& id, const std::string& line,
           size_t id_field)
{
  for (const auto& l : split(text, '\n')) {
    auto f = split(l, ':');
    if (f[0] == name || (f.size() > id_field && f[id_field] == id)) {
      return text;
    }
  }
  std::string out = text;
  if (!out.empty() && out.back() != '\n') {
    out += '\n';
  }
  return out + line + "\n";
}

std::string
tar_name(const std::string& canonical)
{
  return canonical.substr(1);
}

std::string
iso8601(int64_t t)
{
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

bool
is_root_user(const std::string& user)
{
  std::string u = split(user, ':')[0];
  return u.empty() || u == "0" || u == "root";
}

UserPlan
plan_user(const std::string& original_user, const trace::Profile& profile, UserMode mode,
          const std::string& id)
{
  UserPlan p;
  p.user = original_user;
  p.non_root = !is_root_user(original_user);
  auto parts = split(original_user, ':');
  if (auto u = util::parse_id(parts[0])) {
    p.uid = *u;
    p.gid = parts.size() > 1 ? util::parse_id(parts[1]).value_or(*u) : *u;
  }
  if (mode == UserMode::keep) {
    p.note = "kept the original user (--user keep)";
    return p;
  }
  if (mode == UserMode::explicit_id) {
    auto f = split(id, ':');
    auto uid = util::parse_id(f[0]);
    std::optional<uint32_t> gid = f.size() == 2 ? util::parse_id(f[1]) : uid;
    if (!uid || !gid || f.size() > 2) {
      throw UsageError("--user `" + id + "`: expected keep, nonroot or a numeric UID[:GID] (each 0 to " +
                       std::to_string(util::k_max_id) + ")");
    }
    p.uid = *uid;
    p.gid = *gid;
    p.user = std::to_string(*uid) + ":" + std::to_string(*gid);
    p.changed = p.user != original_user;
    p.non_root = *uid != 0;
    p.add_nonroot_entries = *uid == k_nonroot_id;
    p.note = "runs as " + p.user + " (--user)";
    return p;
  }
  if (p.non_root) {
    p.note = "the image already runs as `" + original_user + "`";
    return p;
  }
  std::string needs;
  for (const auto& run : profile.runs) {
    for (const auto& why : run.needs_root) {
      if (needs.find(why) == std::string::npos) {
        needs += (needs.empty() ? "" : ", ") + why;
      }
    }
  }
  if (!needs.empty()) {
    p.note = "kept root: the trace shows the app needs it (" + needs + ")";
    return p;
  }
  p.uid = p.gid = k_nonroot_id;
  p.user = "65532:65532";
  p.changed = true;
  p.non_root = true;
  p.add_nonroot_entries = true;
  p.note = "the image ran as root; it now runs as nonroot 65532:65532";
  return p;
}

namespace {

// Layer entries by canonical image path (sorted: the layer's order).
using EntryMap = std::map<std::string, LayerEntry>;

// An entry's mtime: clamped to SOURCE_DATE_EPOCH when that is set.
int64_t
clamp_mtime(int64_t t, const LayerOptions& options)
{
  return options.source_date_epoch && t > *options.source_date_epoch ? *options.source_date_epoch : t;
}

// The entry of kept node n at path. group_first maps a hardlink group's primary to the first kept name:
// the first member kept carries the content, the others become hardlinks to it.
LayerEntry
entry_of(const std::string& path, const rootfs::Node& n, const LayerOptions& options,
         std::map<std::string, std::string>& group_first)
{
  LayerEntry le;
  archive::TarEntry& e = le.entry;
  e.path = tar_name(path);
  e.mode = n.mode;
  e.uid = n.uid;
  e.gid = n.gid;
  e.mtime = clamp_mtime(n.mtime, options);
  e.xattrs = n.xattrs;
  switch (n.type) {
  case rootfs::NodeType::directory:
    e.type = archive::EntryType::directory;
    break;
  case rootfs::NodeType::symlink:
    e.type = archive::EntryType::symlink;
    e.link_target = n.link_target;
    break;
  case rootfs::NodeType::char_device:
  case rootfs::NodeType::block_device:
    e.type = n.type == rootfs::NodeType::char_device ? archive::EntryType::char_device
                                                     : archive::EntryType::block_device;
    e.dev_major = n.dev_major;
    e.dev_minor = n.dev_minor;
    break;
  case rootfs::NodeType::fifo:
    e.type = archive::EntryType::fifo;
    break;
  case rootfs::NodeType::regular: {
    std::string key = n.hardlink_of.empty() ? path : n.hardlink_of;
    auto [it, first] = group_first.emplace(key, path);
    if (first) {
      e.type = archive::EntryType::regular;
      e.size = n.size;
      le.source = path;
    } else {
      e.type = archive::EntryType::hardlink;
      e.link_target = tar_name(it->second);
    }
    break;
  }
  }
  return le;
}

// The entries of every kept path the tree holds, but the root.
EntryMap
kept_entries(const rootfs::Tree& tree, const KeepPlan& plan, const LayerOptions& options)
{
  EntryMap out;
  std::map<std::string, std::string> group_first;
  for (const auto& path : plan.keep.paths()) {
    if (path == "/") {
      continue;
    }
    if (const rootfs::Node* n = tree.find(path)) {
      out.emplace(path, entry_of(path, *n, options, group_first));
    }
  }
  return out;
}

// Hands what the app wrote to the new non-root user: the written directories (and the tmpfs ones writable
// by all, as podman's tmpfs root is owned by root) and the files it wrote in place.
void
grant_written_paths(EntryMap& out, const KeepPlan& plan, const LayerOptions& options)
{
  const UserPlan& u = options.user;
  for (const auto& d : plan.written_dirs) {
    auto it = out.find(d);
    if (it != out.end() && it->second.entry.type == archive::EntryType::directory) {
      it->second.entry.uid = u.uid;
      it->second.entry.gid = u.gid;
      it->second.entry.mode |= 0700;
    }
  }
  for (const auto& d : options.tmpfs_paths) {
    auto it = out.find(d);
    if (it != out.end() && it->second.entry.type == archive::EntryType::directory) {
      it->second.entry.mode |= 01777;
    }
  }
  // Files the app wrote in place (a log it appends to, a pid file it rewrites) as well: the new user
  // must be able to write them where no tmpfs covers them.
  for (const auto& f : plan.written_files) {
    auto it = out.find(f);
    if (it != out.end() && (it->second.entry.type == archive::EntryType::regular ||
                            it->second.entry.type == archive::EntryType::hardlink)) {
      it->second.entry.uid = u.uid;
      it->second.entry.gid = u.gid;
      it->second.entry.mode |= 0600;
    }
  }
}

// Adds an /etc directory entry unless out has one: the tree's /etc as it is, or a fresh one.
void
ensure_etc(EntryMap& out, const rootfs::Tree& tree, const LayerOptions& options)
{
  if (out.count("/etc")) {
    return;
  }
  LayerEntry dir;
  dir.entry.path = "etc";
  dir.entry.type = archive::EntryType::directory;
  if (const rootfs::Node* etc = tree.find("/etc")) {
    dir.entry.mode = etc->mode;
    dir.entry.uid = etc->uid;
    dir.entry.gid = etc->gid;
    dir.entry.mtime = clamp_mtime(etc->mtime, options);
  } else {
    dir.entry.mode = 0755;
    dir.entry.mtime = options.source_date_epoch.value_or(0);
  }
  out.emplace("/etc", dir);
}

// Adds the nonroot user and group to /etc/passwd and /etc/group (the files the paths resolve to, or new
// ones), unless an entry with that name or id is there already.
void
add_nonroot_entries(EntryMap& out, const rootfs::Tree& tree, const RootFiles& files,
                    const LayerOptions& options)
{
  struct Db
  {
    const char* path;
    const char* fresh;
    std::string line;
    size_t id_field;
  };
  const std::string id = std::to_string(k_nonroot_id);
  Db dbs[] = {
      {"/etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n",
       "nonroot:x:" + id + ":" + id + ":nonroot:/home/nonroot:/sbin/nologin", 2},
      {"/etc/group", "root:x:0:\n", "nonroot:x:" + id + ":", 2},
  };
  for (const auto& db : dbs) {
    rootfs::Resolution r = tree.resolve(db.path);
    std::string target = r.node && r.node->type == rootfs::NodeType::regular ? r.path : db.path;
    std::string text = db.fresh;
    int64_t mtime = options.source_date_epoch.value_or(0);
    if (r.node && r.node->type == rootfs::NodeType::regular) {
      text = files.read_small(r.path);
      mtime = clamp_mtime(r.node->mtime, options);
    }
    std::string updated = with_entry(text, "nonroot", id, db.line, db.id_field);
    auto it = out.find(target);
    if (it == out.end()) {
      ensure_etc(out, tree, options);
      LayerEntry le;
      le.entry.path = tar_name(target);
      le.entry.type = archive::EntryType::regular;
      le.entry.mode = r.node ? r.node->mode : 0644;
      le.entry.mtime = mtime;
      it = out.emplace(target, le).first;
    }
    LayerEntry& le = it->second;
    if (le.entry.type == archive::EntryType::hardlink) {
      continue; // a hardlinked passwd: left as it is rather than breaking the link
    }
    le.entry.size = updated.size();
    le.source.clear();
    le.data = updated;
  }
}

} // namespace

std::vector<LayerEntry>
plan_layer(const rootfs::Tree& tree, const RootFiles& files, const KeepPlan& plan,
           const LayerOptions& options)
{
  EntryMap out = kept_entries(tree, plan, options);
  if (options.user.changed && options.user.non_root) {
    grant_written_paths(out, plan, options);
  }
  if (options.user.add_nonroot_entries) {
    add_nonroot_entries(out, tree, files, options);
  }
  std::vector<LayerEntry> result;
  result.reserve(out.size());
  for (auto& [p, le] : out) {
    result.push_back(std::move(le));
  }
  return result;
}

LayerResult
write_layer(const std::vector<LayerEntry>& entries, const RootFiles& files, util::ByteSink& sink,
            const std::string& what)
{
  LayerResult r;
  util::HashingSink hashing(&sink);
  archive::TarWriter tar(hashing, what);
  for (const auto& le : entries) {
    ++r.entries;
    if (le.entry.type != archive::EntryType::regular) {
      tar.add(le.entry);
      continue;
    }
    if (le.data) {
      util::StringSource src(*le.data);
      tar.add(le.entry, &src);
      r.content_bytes += le.entry.size;
      continue;
    }
    util::Fd fd = files.open(le.source);
    if (!fd) {
      throw Error("write " + what + ": cannot open `" + le.source + "` in the extracted image `" +
                  files.dir() + "`");
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || static_cast<uint64_t>(st.st_size) != le.entry.size) {
      throw Error("write " + what + ": `" + le.source + "` in the extraction has " +
                  std::to_string(st.st_size) + " bytes, the image says " + std::to_string(le.entry.size));
    }
    util::FdSource src(fd.get(), le.source, 0, le.entry.size);
    tar.add(le.entry, &src);
    r.content_bytes += le.entry.size;
  }
  tar.finish();
  r.tar_bytes = hashing.size();
  r.diff_id = oci::Digest::sha256(hashing.hex_final());
  return r;
}

oci::ImageConfig
output_config(const oci::ImageConfig& src, const oci::Digest& diff_id, const ImageOptions& options)
{
  oci::ImageConfig cfg = src;
  cfg.set_diff_ids({diff_id});
  std::string created;
  if (options.source_date_epoch) {
    created = iso8601(*options.source_date_epoch);
  } else if (cfg.raw.contains("created") && cfg.raw["created"].is_string()) {
    created = cfg.raw["created"].get<std::string>();
  }
  std::vector<oci::HistoryEntry> history = cfg.history();
  for (auto& h : history) {
    h.empty_layer = true; // their layers are folded into the one new layer
  }
  history.push_back({created, options.history_created_by, options.history_comment, false});
  cfg.set_history(history);
  if (options.user.changed) {
    cfg.set_user(options.user.user);
  }
  for (const auto& [k, v] : options.labels) {
    cfg.set_label(k, v);
  }
  cfg.clear_on_build();
  return cfg;
}

std::vector<std::string>
config_notes(const oci::ImageConfig& src)
{
  std::vector<std::string> notes;
  std::vector<std::string> triggers = src.on_build();
  if (!triggers.empty()) {
    std::string list;
    for (const auto& t : triggers) {
      list += (list.empty() ? "`" : ", `") + t + "`";
    }
    notes.push_back("config OnBuild dropped (" + std::to_string(triggers.size()) + " trigger(s): " + list +
                    "): a build FROM the slimmed image would run them in a root "
                    "that no longer has what they need");
  }
  return notes;
}

ImageResult
write_image(const oci::Image& src, const std::vector<LayerEntry>& entries, const RootFiles& files,
            const ImageOptions& options, const oci::ImageRef& dest)
{
  oci::ImageWriter writer(dest, {options.source_date_epoch});
  archive::Compression c = options.compression;
  if (dest.transport == oci::Transport::docker_archive) {
    c = archive::Compression::none; // docker-archive layers are plain tar, as `docker save` writes them
  }
  std::string what = "slimmed layer for " + dest.str();
  ImageResult result;
  auto blob = writer.begin_blob();
  auto encoder = archive::make_encoder(c, *blob, what);
  result.layer_stats = write_layer(entries, files, *encoder, what);
  result.layer = blob->finish_blob(oci::layer_media_type(c));

  oci::ImageConfig cfg = output_config(src.config, result.layer_stats.diff_id, options);
  std::map<std::string, std::string> annotations;
  for (const auto& [k, v] : options.labels) {
    // docker-archive has no manifest annotations: there the config labels carry them alone.
    if (k.rfind("org.opencontainers.image.base.", 0) == 0 &&
        dest.transport != oci::Transport::docker_archive) {
      annotations[k] = v;
    }
  }
  result.manifest_digest = writer.commit(cfg, {result.layer}, annotations);
  return result;
}

} // namespace whittle::slim
