#include <utility>
#include <whittle/rootfs/tree.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/path.hpp>

namespace whittle::rootfs {

namespace {

// "/" -> "/", "/a" -> "/a/": the prefix every descendant of dir starts with.
std::string
subtree_prefix(const std::string& dir)
{
  return dir == "/" ? std::string("/") : dir + "/";
}

bool
starts_with(const std::string& s, const std::string& prefix)
{
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string
child_path(const std::string& dir, const std::string& name)
{
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// What the shared in-root walk sees of a node (nullptr: nothing there).
util::PathEntry
entry_of(const Node* n)
{
  if (!n) {
    return {};
  }
  switch (n->type) {
  case NodeType::directory:
    return {util::PathKind::directory, {}};
  case NodeType::regular:
    return {util::PathKind::regular, {}};
  case NodeType::symlink:
    return {util::PathKind::symlink, n->link_target};
  case NodeType::char_device:
  case NodeType::block_device:
  case NodeType::fifo:
    return {util::PathKind::other, {}};
  }
  return {util::PathKind::other, {}};
}

Node
implicit_dir(int layer)
{
  Node n;
  n.type = NodeType::directory;
  n.mode = 0755;
  n.layer = layer;
  n.implicit = true;
  return n;
}

} // namespace

std::string
to_string(NodeType t)
{
  switch (t) {
  case NodeType::regular:
    return "file";
  case NodeType::directory:
    return "dir";
  case NodeType::symlink:
    return "symlink";
  case NodeType::char_device:
    return "char";
  case NodeType::block_device:
    return "block";
  case NodeType::fifo:
    return "fifo";
  }
  return "unknown";
}

NodeType
node_type_of(archive::EntryType t)
{
  switch (t) {
  case archive::EntryType::regular:
  case archive::EntryType::hardlink:
    return NodeType::regular;
  case archive::EntryType::directory:
    return NodeType::directory;
  case archive::EntryType::symlink:
    return NodeType::symlink;
  case archive::EntryType::char_device:
    return NodeType::char_device;
  case archive::EntryType::block_device:
    return NodeType::block_device;
  case archive::EntryType::fifo:
    return NodeType::fifo;
  }
  return NodeType::regular;
}

Tree::Tree()
{
  Node root;
  root.type = NodeType::directory;
  root.mode = 0755;
  root.implicit = true;
  m_nodes.emplace("/", root);
}

const Node*
Tree::find(const std::string& path) const
{
  auto it = m_nodes.find(path);
  return it == m_nodes.end() ? nullptr : &it->second;
}

Node*
Tree::find_mutable(const std::string& path)
{
  auto it = m_nodes.find(path);
  return it == m_nodes.end() ? nullptr : &it->second;
}

Resolution
Tree::resolve(const std::string& p, Follow follow, const std::string& cwd) const
{
  util::InRootPath walked = util::resolve_in_root(
      p, [this](const std::string& path) { return entry_of(find(path)); }, follow, util::clamp_to_root(cwd));
  Resolution r;
  r.path = std::move(walked.path);
  r.node = walked.exists() ? find(r.path) : nullptr;
  r.loop = walked.loop;
  r.symlinks.reserve(walked.links.size());
  for (auto& link : walked.links) {
    r.symlinks.push_back(std::move(link.first));
  }
  return r;
}

std::vector<std::string>
Tree::children(const std::string& dir) const
{
  std::vector<std::string> out;
  std::string prefix = subtree_prefix(dir);
  auto it = m_nodes.lower_bound(prefix);
  while (it != m_nodes.end() && starts_with(it->first, prefix)) {
    if (it->first.size() == prefix.size()) { // "/" itself
      ++it;
      continue;
    }
    size_t slash = it->first.find('/', prefix.size());
    if (slash == std::string::npos) {
      out.push_back(it->first);
      ++it;
      continue;
    }
    // A grandchild: skip the whole subtree of its top component ('0' sorts right after '/').
    it = m_nodes.lower_bound(it->first.substr(0, slash) + "0");
  }
  return out;
}

std::vector<std::string>
Tree::descendants(const std::string& dir) const
{
  std::vector<std::string> out;
  std::string prefix = subtree_prefix(dir);
  for (auto it = m_nodes.lower_bound(prefix); it != m_nodes.end() && starts_with(it->first, prefix); ++it) {
    if (it->first != dir) {
      out.push_back(it->first);
    }
  }
  return out;
}

std::vector<std::string>
Tree::hardlinks_of(const std::string& primary) const
{
  auto it = m_links.find(primary);
  if (it == m_links.end()) {
    return {};
  }
  return {it->second.begin(), it->second.end()};
}

uint64_t
Tree::erase_range(std::map<std::string, Node>::iterator first, std::map<std::string, Node>::iterator last,
                  const RemovedFn& on_removed)
{
  std::vector<std::pair<std::string, Node>> removed;
  for (auto it = first; it != last; ++it) {
    removed.emplace_back(it->first, std::move(it->second));
  }
  m_nodes.erase(first, last);

  // Names leave their groups first, so a primary's promotion only considers surviving names.
  for (const auto& [path, node] : removed) {
    if (!node.hardlink_of.empty()) {
      auto g = m_links.find(node.hardlink_of);
      if (g != m_links.end()) {
        g->second.erase(path);
      }
    }
  }
  uint64_t bytes = 0;
  for (const auto& [path, node] : removed) {
    bool counted = node.hardlink_of.empty();
    if (node.hardlink_of.empty()) {
      auto g = m_links.find(path);
      if (g != m_links.end()) {
        std::set<std::string> rest = std::move(g->second);
        m_links.erase(g);
        if (!rest.empty()) {
          counted = false;
          std::string heir = *rest.begin();
          rest.erase(rest.begin());
          m_nodes.at(heir).hardlink_of.clear();
          for (const auto& other : rest) {
            m_nodes.at(other).hardlink_of = heir;
          }
          if (!rest.empty()) {
            m_links[heir] = std::move(rest);
          }
        }
      }
    }
    if (counted && node.type == NodeType::regular) {
      bytes += node.size;
    }
    if (on_removed) {
      on_removed(path, node, counted);
    }
  }
  return bytes;
}

uint64_t
Tree::remove(const std::string& path, const RemovedFn& on_removed)
{
  if (path == "/") {
    return clear_children(path, on_removed);
  }
  auto first = m_nodes.find(path);
  if (first == m_nodes.end()) {
    return 0;
  }
  auto last = m_nodes.lower_bound(path + "0"); // past "path/..." (and "path-x" < "path/" stays before)
  // Entries between path and path+"0" that are not below path (e.g. "path-x", "path.d") must survive:
  // erase path itself, then the "path/" range.
  uint64_t bytes = 0;
  auto sub_first = m_nodes.lower_bound(path + "/");
  if (sub_first != m_nodes.end() && starts_with(sub_first->first, path + "/")) {
    bytes += erase_range(sub_first, last, on_removed);
  }
  first = m_nodes.find(path);
  bytes += erase_range(first, std::next(first), on_removed);
  return bytes;
}

uint64_t
Tree::clear_children(const std::string& dir, const RemovedFn& on_removed)
{
  std::string prefix = subtree_prefix(dir);
  auto first = m_nodes.lower_bound(prefix);
  if (first != m_nodes.end() && first->first == "/") {
    ++first;
  }
  auto last = first;
  while (last != m_nodes.end() && starts_with(last->first, prefix)) {
    ++last;
  }
  return erase_range(first, last, on_removed);
}

void
Tree::ensure_parents(const std::string& path, int layer, const RemovedFn& on_removed)
{
  std::string cur = "/";
  auto parts = util::split_components(path);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    cur = child_path(cur, parts[i]);
    auto it = m_nodes.find(cur);
    if (it != m_nodes.end() && it->second.type == NodeType::directory) {
      continue;
    }
    if (it != m_nodes.end()) {
      erase_range(it, std::next(it), on_removed);
    }
    m_nodes.emplace(cur, implicit_dir(layer));
  }
}

void
Tree::put(const std::string& path, Node node, const RemovedFn& on_removed)
{
  if (path == "/") {
    Node& root = m_nodes.at("/");
    node.type = NodeType::directory;
    node.hardlink_of.clear();
    root = std::move(node);
    return;
  }
  std::string primary;
  if (!node.hardlink_of.empty()) {
    const Node* t = find(node.hardlink_of);
    if (!t || t->type == NodeType::directory) {
      throw Error("link `" + path + "` to `" + node.hardlink_of + "`: no such file in the tree");
    }
    primary = t->hardlink_of.empty() ? node.hardlink_of : t->hardlink_of;
    if (primary == path) {
      throw Error("link `" + path + "` to itself");
    }
  }
  ensure_parents(path, node.layer, on_removed);
  auto it = m_nodes.find(path);
  if (it != m_nodes.end()) {
    if (it->second.type == NodeType::directory && node.type == NodeType::directory) {
      node.hardlink_of.clear();
      it->second = std::move(node);
      return;
    }
    remove(path, on_removed);
    if (!primary.empty() && !find(primary)) {
      // `path` was a directory holding the target ("d" linking to "d/x"): replacing it removed the target.
      throw Error("link `" + path + "` to `" + primary +
                  "`: the link replaces a directory holding its target");
    }
  }
  if (!primary.empty()) {
    // A hardlink's metadata is its primary's inode.
    const Node& t = m_nodes.at(primary);
    int layer = node.layer;
    node = t;
    node.layer = layer;
    node.implicit = false;
    node.hardlink_of = primary;
    m_links[primary].insert(path);
  }
  m_nodes.emplace(path, std::move(node));
}

uint64_t
Tree::total_bytes() const
{
  uint64_t total = 0;
  for (const auto& [path, node] : m_nodes) {
    if (node.type == NodeType::regular && node.hardlink_of.empty()) {
      total += node.size;
    }
  }
  return total;
}

} // namespace whittle::rootfs
