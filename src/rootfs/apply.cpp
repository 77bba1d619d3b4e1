#include "layer_feed.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <sys/statvfs.h>
#include <thread>
#include <whittle/archive/whiteout.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/rootfs/extract.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/path.hpp>

namespace whittle::rootfs {

namespace {

using detail::FeedItem;

uint64_t g_default_max_image_bytes = uint64_t{64} << 30;

// Bytes a tar header takes, counted for every entry so that millions of empty files count too.
constexpr uint64_t k_entry_overhead = 512;
// How often (in bytes written) extraction samples the free space again.
constexpr uint64_t k_free_space_period = uint64_t{64} << 20;

std::string
human(uint64_t bytes)
{
  char buf[48];
  if (bytes >= (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / static_cast<double>(1ULL << 30));
  } else if (bytes >= (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / static_cast<double>(1ULL << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

std::optional<uint64_t>
available_bytes(const std::string& dir)
{
  struct statvfs fs;
  if (::statvfs(dir.c_str(), &fs) != 0) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

// The image cap on what the layers decode to (exact per layer, checked as each layer ends), and, when
// extracting, what is written (a header's worth per entry, content chunk by chunk before it is written)
// against the free space of the target's filesystem.
class SizeBudget
{
public:
  SizeBudget(const oci::Image& image, size_t count, const ApplyOptions& options)
      : m_cap(options.max_image_bytes), m_floor(options.free_space_floor), m_dir(options.extract_to)
  {
    if (m_dir.empty()) {
      return;
    }
    auto avail = available_bytes(m_dir);
    if (!avail) {
      return; // an odd filesystem without statvfs: the image cap still holds
    }
    // The compressed sizes are a lower bound of what the layers unpack to: if even they do not fit, stop
    // before writing anything. They are the manifest's claim (checked as each blob is read), so the
    // message names the largest.
    uint64_t compressed = 0;
    size_t largest = 0;
    for (size_t i = 0; i < count; ++i) {
      compressed += static_cast<uint64_t>(std::max<int64_t>(image.layers[i].descriptor.size, 0));
      if (image.layers[i].descriptor.size > image.layers[largest].descriptor.size) {
        largest = i;
      }
    }
    if (compressed + m_floor > *avail) {
      const oci::Descriptor& big = image.layers[largest].descriptor;
      throw Error("extract `" + image.ref.str() + "` into `" + m_dir + "`: the manifest gives its layers " +
                  human(compressed) + " compressed (layer " + big.digest.str() + " " +
                  human(static_cast<uint64_t>(big.size)) +
                  "), and they unpack to more, but the filesystem has " + human(*avail) +
                  " free and whittle leaves " + human(m_floor) +
                  " of it: free some space or extract elsewhere (--workdir)");
    }
    m_budget = *avail - m_floor;
    m_watching = true;
  }

  // Before an entry is written: its metadata.
  void entry() { charge(k_entry_overhead); }

  // Before n bytes of content are written.
  void charge(uint64_t n)
  {
    if (!m_watching) {
      return;
    }
    m_written += n;
    if (m_written > m_budget) {
      throw Error("extracting it would leave less than " + human(m_floor) + " free on the filesystem of `" +
                  m_dir + "` (" + human(m_budget + m_floor) + " were free at the start, " + human(m_written) +
                  " extracted): free some space or extract elsewhere (--workdir)");
    }
    if (m_written - m_sampled_at >= k_free_space_period) {
      m_sampled_at = m_written;
      auto avail = available_bytes(m_dir);
      if (avail && *avail < m_floor + n) {
        throw Error("the filesystem of `" + m_dir + "` is down to " + human(*avail) +
                    " free (whittle leaves " + human(m_floor) +
                    "): free some space or extract elsewhere (--workdir)");
      }
    }
  }

  // After layer `what` decoded to `uncompressed` bytes.
  void layer_end(uint64_t uncompressed, const std::string& what)
  {
    m_decoded += uncompressed;
    if (m_cap != 0 && m_decoded > m_cap) {
      throw BadInput("apply " + what + ": the image's layers decode to more than " + human(m_cap) +
                     " in all (WHITTLE_MAX_IMAGE_BYTES)");
    }
  }

private:
  uint64_t m_cap;
  uint64_t m_floor;
  std::string m_dir;
  bool m_watching = false;
  uint64_t m_budget = 0;
  uint64_t m_written = 0;
  uint64_t m_sampled_at = 0;
  uint64_t m_decoded = 0;
};

// Reads the content of the current entry from the feed, up to its data_end item.
class FeedContent : public util::ByteSource
{
public:
  FeedContent(detail::LayerFeed& feed, size_t layer, SizeBudget& budget)
      : m_feed(feed), m_layer(layer), m_budget(budget)
  {
  }
  size_t read(void* buf, size_t n) override
  {
    while (m_pos == m_chunk.size()) {
      if (m_ended) {
        return 0;
      }
      FeedItem item = m_feed.pop(m_layer);
      if (item.kind == FeedItem::Kind::error) {
        std::rethrow_exception(item.error);
      }
      if (item.kind == FeedItem::Kind::data_end) {
        m_ended = true;
        return 0;
      }
      if (item.kind != FeedItem::Kind::data) {
        throw Error("internal error: layer feed out of step");
      }
      m_chunk = std::move(item.data);
      m_pos = 0;
    }
    size_t k = std::min(n, m_chunk.size() - m_pos);
    m_budget.charge(k); // before the extractor writes it
    std::memcpy(buf, m_chunk.data() + m_pos, k);
    m_pos += k;
    return k;
  }

private:
  detail::LayerFeed& m_feed;
  size_t m_layer;
  SizeBudget& m_budget;
  std::string m_chunk;
  size_t m_pos = 0;
  bool m_ended = false;
};

// Applies one layer's entries to the tree (and the extraction), in stream order.
class LayerApplier
{
public:
  LayerApplier(Tree& tree, Extractor* extractor, std::vector<LayerStats>& stats, int layer, std::string what)
      : m_tree(tree), m_extractor(extractor), m_stats(stats), m_layer(layer), m_what(std::move(what))
  {
    m_on_removed = [this](const std::string&, const Node& node, bool counted) {
      if (node.layer < 0 || node.type == NodeType::directory) {
        return;
      }
      LayerStats& s = m_stats.at(static_cast<size_t>(node.layer));
      ++s.waste_files;
      if (counted && node.type == NodeType::regular) {
        s.waste_bytes += node.size;
      }
    };
  }

  void apply(const archive::TarEntry& e, util::ByteSource* content);

private:
  [[noreturn]] void refuse(const std::string& cause) const { throw BadInput(cause); }
  std::string clean(const std::string& raw, const char* what) const;
  void check_parents(const std::string& path) const;
  void hide_lower(const std::string& top, bool include_top);
  Node node_of(const archive::TarEntry& e) const;

  Tree& m_tree;
  Extractor* m_extractor;
  std::vector<LayerStats>& m_stats;
  int m_layer;
  std::string m_what;
  RemovedFn m_on_removed;
};

std::string
LayerApplier::clean(const std::string& raw, const char* what) const
{
  // Absolute names are refused, not stripped: no image builder writes them, so one is a sign of a
  // crafted layer (as are names with "../").
  if (!raw.empty() && raw[0] == '/') {
    refuse(std::string(what) + " is absolute");
  }
  std::optional<std::string> c = util::clean_in_root(raw);
  if (!c) {
    refuse(std::string(what) + " escapes the root");
  }
  return *c;
}

void
LayerApplier::check_parents(const std::string& path) const
{
  std::string cur;
  auto parts = util::split_components(path);
  for (size_t k = 0; k + 1 < parts.size(); ++k) {
    cur += "/" + parts[k];
    const Node* n = m_tree.find(cur);
    if (!n) {
      return; // the rest is created as implicit directories
    }
    if (n->type == NodeType::symlink) {
      refuse("parent `" + cur + "` is a symlink (to `" + n->link_target +
             "`): entries are never written through symlinks");
    }
    if (n->type != NodeType::directory) {
      refuse("parent `" + cur + "` is not a directory");
    }
  }
}

// Whiteouts act on lower layers only (archive/whiteout.hpp): a node this layer wrote survives, before or
// after the whiteout in the stream, and so does a lower directory still holding such a node.
void
LayerApplier::hide_lower(const std::string& top, bool include_top)
{
  std::vector<std::string> paths = m_tree.descendants(top);
  if (include_top && top != "/" && m_tree.find(top)) {
    paths.insert(paths.begin(), top);
  }
  const auto& nodes = m_tree.nodes();
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
    const Node* n = m_tree.find(*it);
    if (!n || n->layer == m_layer) {
      continue;
    }
    if (n->type == NodeType::directory) {
      auto child = nodes.lower_bound(*it + "/");
      if (child != nodes.end() && child->first.compare(0, it->size() + 1, *it + "/") == 0) {
        continue;
      }
    }
    m_tree.remove(*it, m_on_removed);
    if (m_extractor) {
      m_extractor->remove(*it);
    }
  }
}

Node
LayerApplier::node_of(const archive::TarEntry& e) const
{
  Node n;
  n.type = node_type_of(e.type);
  n.mode = e.mode & 07777;
  n.uid = e.uid;
  n.gid = e.gid;
  n.size = e.type == archive::EntryType::regular ? e.size : 0;
  n.mtime = e.mtime;
  if (e.type == archive::EntryType::symlink) {
    n.link_target = e.link_target;
  }
  n.dev_major = e.dev_major;
  n.dev_minor = e.dev_minor;
  n.xattrs = e.xattrs;
  n.layer = m_layer;
  return n;
}

void
LayerApplier::apply(const archive::TarEntry& e, util::ByteSource* content)
{
  LayerStats& st = m_stats.at(static_cast<size_t>(m_layer));
  ++st.entries;
  std::string path = clean(e.path, "path");
  archive::Whiteout w = archive::classify_whiteout(path, m_what);
  if (w.kind != archive::WhiteoutKind::none) {
    check_parents(path);
    hide_lower(w.target, w.kind == archive::WhiteoutKind::remove);
    return;
  }
  ++st.files;
  if (e.type == archive::EntryType::regular) {
    st.bytes += e.size;
  }
  Node node = node_of(e);
  if (path == "/") {
    if (node.type != NodeType::directory) {
      refuse("the root must be a directory, not a " + to_string(node.type));
    }
    m_tree.put("/", node);
    return;
  }
  check_parents(path);

  std::string target;
  if (e.type == archive::EntryType::hardlink) {
    target = clean(e.link_target, "hardlink target");
    if (target == path) {
      refuse("hardlink to itself");
    }
    check_parents(target);
    const Node* t = m_tree.find(target);
    if (!t) {
      refuse("hardlink target `" + target + "` does not exist in this or a lower layer");
    }
    if (t->type == NodeType::directory) {
      refuse("hardlink target `" + target + "` is a directory");
    }
    if (util::is_within(target, path)) {
      refuse("hardlink replaces the directory holding its target `" + target + "`");
    }
    node.hardlink_of = target;
  }

  const Node* old = m_tree.find(path);
  bool replace = old && !(old->type == NodeType::directory && node.type == NodeType::directory);
  m_tree.put(path, node, m_on_removed);
  if (!m_extractor) {
    return;
  }
  if (replace) {
    m_extractor->remove(path);
  }
  switch (node.type) {
  case NodeType::directory:
    m_extractor->make_directory(path);
    break;
  case NodeType::regular:
    if (!target.empty()) {
      m_extractor->make_hardlink(path, target);
    } else {
      util::StringSource empty("");
      m_extractor->write_file(path, node, content ? *content : empty);
    }
    break;
  case NodeType::symlink:
    m_extractor->make_symlink(path, node);
    break;
  default:
    m_extractor->make_special(path, node);
    break;
  }
}

} // namespace

uint64_t
default_max_image_bytes()
{
  return g_default_max_image_bytes;
}

void
set_default_max_image_bytes(uint64_t bytes)
{
  g_default_max_image_bytes = bytes;
}

ApplyResult
apply_layers(const oci::Image& image, const ApplyOptions& options)
{
  ApplyResult result;
  size_t count = std::min(options.layer_limit, image.layers.size());
  SizeBudget budget(image, count, options);
  result.layers.resize(count);
  std::unique_ptr<Extractor> extractor;
  if (!options.extract_to.empty()) {
    extractor = std::make_unique<Extractor>(
        options.extract_to, options.preserve_owners ? Owners::preserve : Owners::skip, options.id_shift);
  }
  unsigned workers = std::min(2u, std::max(1u, std::thread::hardware_concurrency()));
  detail::LayerFeed feed(image, count, extractor ? detail::Content::deliver : detail::Content::skip, workers);

  for (size_t i = 0; i < count; ++i) {
    std::string what = "layer " + image.layers[i].descriptor.digest.str() + " of `" + image.ref.str() + "`";
    LayerApplier applier(result.tree, extractor.get(), result.layers, static_cast<int>(i), what);
    for (;;) {
      FeedItem item = feed.pop(i);
      if (item.kind == FeedItem::Kind::error) {
        std::rethrow_exception(item.error);
      }
      if (item.kind == FeedItem::Kind::layer_end) {
        result.layers[i].uncompressed = item.uncompressed;
        budget.layer_end(item.uncompressed, what);
        break;
      }
      if (item.kind != FeedItem::Kind::entry) {
        throw Error("internal error: layer feed out of step in " + what);
      }
      const archive::TarEntry& e = item.entry;
      bool has_content = extractor && e.type == archive::EntryType::regular && e.size > 0;
      FeedContent content(feed, i, budget);
      try {
        budget.entry();
        applier.apply(e, has_content ? &content : nullptr);
      } catch (const BadInput& err) {
        throw BadInput("apply " + what + ": entry `" + e.path + "`: " + err.what());
      } catch (const Error& err) {
        throw Error("apply " + what + ": entry `" + e.path + "`: " + err.what());
      }
      if (has_content) {
        util::drain(content); // entries not written (e.g. a whiteout with content) still consume theirs
      }
    }
  }
  if (extractor) {
    extractor->finish(result.tree);
  }
  return result;
}

} // namespace whittle::rootfs
