#pragma once
// The final root filesystem of an image as an in-memory index (path -> node), built by applying the layers
// in order with whiteouts. Later stages query it (what exists, what a path resolves to, sizes) without
// touching disk. Paths are canonical image paths (util::clean_in_root): "/usr/bin/python3".
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <whittle/archive/tar_entry.hpp>
#include <whittle/util/in_root_resolve.hpp>

namespace whittle::rootfs {

enum class NodeType
{
  regular,
  directory,
  symlink,
  char_device,
  block_device,
  fifo
};

std::string to_string(NodeType t);

struct Node
{
  NodeType type = NodeType::regular;
  uint32_t mode = 0644; // permission bits only
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0; // regular files
  int64_t mtime = 0;
  std::string link_target; // symlinks: target as stored
  std::string hardlink_of; // hardlinks: canonical path of the group's primary name (which has this empty).
                           // Metadata and size are copied from the primary, as the kernel shows one inode.
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::map<std::string, std::string> xattrs;
  int layer = -1;        // index of the layer that last wrote this node
  bool implicit = false; // a parent directory no layer listed (created 0755 root:root)
};

// The result of resolving a path the way the kernel would inside a chroot at the image root.
struct Resolution
{
  std::string path;                  // canonical final path (may not exist)
  const Node* node = nullptr;        // nullptr if missing
  std::vector<std::string> symlinks; // canonical paths of every symlink followed on the way, in order
  bool loop = false;                 // too many links (ELOOP)
};

using Follow = util::Follow;

// Called for every node a removal takes out of the tree (also the old node a put() replaces). `counted`
// is false when the node's content survives under another name (a hardlink group's primary that was
// removed while other names remain: the next name is promoted), so waste accounting can skip it.
using RemovedFn = std::function<void(const std::string& path, const Node& node, bool counted)>;

class Tree
{
public:
  Tree();

  // Node at a canonical path, no link resolution; nullptr if absent.
  const Node* find(const std::string& path) const;
  Node* find_mutable(const std::string& path);
  // Resolves p (absolute, or relative to `cwd`) in-root by the kernel's rules (util/in_root_resolve.hpp):
  // ".." stops at "/", absolute link targets restart at the image root. With Follow::no the last component
  // is not followed.
  Resolution resolve(const std::string& p, Follow follow = Follow::yes, const std::string& cwd = "/") const;
  // Direct children of a directory (canonical paths, sorted).
  std::vector<std::string> children(const std::string& dir) const;
  // Every path below dir (not dir itself), sorted.
  std::vector<std::string> descendants(const std::string& dir) const;

  // Inserts or replaces a node; creates missing parents as implicit directories (a non-directory parent is
  // replaced by an implicit directory; layer application refuses that case before calling put). A
  // directory replacing a directory keeps its children; anything else replacing a directory removes its
  // subtree. A node with hardlink_of set joins that primary's group (hardlink_of must name an existing
  // primary; a name of a hardlink is mapped to its primary). `on_removed` sees every node taken out.
  void put(const std::string& path, Node node, const RemovedFn& on_removed = {});
  // Removes a path and its subtree (nothing for "/" itself: its children are removed); returns the
  // removed regular-file bytes that no remaining name still holds (for waste accounting). Removing the
  // primary of a hardlink group promotes the smallest remaining name to primary.
  uint64_t remove(const std::string& path, const RemovedFn& on_removed = {});
  // Removes everything below dir, keeping dir; returns removed bytes as remove() does.
  uint64_t clear_children(const std::string& dir, const RemovedFn& on_removed = {});
  // Other names of a hardlink group's primary (sorted); empty if none.
  std::vector<std::string> hardlinks_of(const std::string& primary) const;

  const std::map<std::string, Node>& nodes() const { return m_nodes; }
  size_t size() const { return m_nodes.size(); }
  // Sum of regular file sizes (hardlinks counted once).
  uint64_t total_bytes() const;

private:
  // Takes [first, last) out of m_nodes, keeps hardlink groups consistent, reports removals.
  uint64_t erase_range(std::map<std::string, Node>::iterator first,
                       std::map<std::string, Node>::iterator last, const RemovedFn& on_removed);
  void ensure_parents(const std::string& path, int layer, const RemovedFn& on_removed);

  std::map<std::string, Node> m_nodes;                  // always contains "/"
  std::map<std::string, std::set<std::string>> m_links; // primary -> its other names
};

// Converts a tar entry's type to a node type (hardlinks become regular with hardlink_of set by the caller).
NodeType node_type_of(archive::EntryType t);

} // namespace whittle::rootfs
