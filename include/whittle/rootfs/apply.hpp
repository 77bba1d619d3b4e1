#pragma once
// Applying an image's layers in order: into the in-memory Tree, and optionally into a directory on disk.
// Safety rules (all in this stage): entry names are cleaned and refused if they climb out of the root or
// are absolute-after-cleaning-with-".."; whiteouts follow archive/whiteout; a hardlink must name a path that
// exists in the tree (this or a lower layer); on disk every path is opened component by component with
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) so no symlink in the image can lead a write out of the
// root (umoci's CVE class). Errors are BadInput naming the layer digest and the entry.
#include <whittle/oci/image.hpp>
#include <whittle/rootfs/tree.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace whittle::rootfs {

struct LayerStats
{
  uint64_t entries = 0;       // tar entries, whiteouts included
  uint64_t files = 0;         // non-whiteout entries
  uint64_t bytes = 0;         // regular-file content bytes in the layer
  uint64_t uncompressed = 0;  // tar stream bytes (== diff_id content size)
  uint64_t waste_bytes = 0;   // bytes of this layer's files that later layers hide, replace or delete
  uint64_t waste_files = 0;
};

struct ApplyOptions
{
  // When non-empty, also extract into this existing, empty directory.
  std::string extract_to;
  // Extraction as non-root, or into a filesystem that refuses them: skip chown/mknod/xattrs (warn once).
  bool preserve_owners = true;
  // Which layers to apply (all when empty).
  size_t layer_limit = SIZE_MAX;
};

struct ApplyResult
{
  Tree tree;
  std::vector<LayerStats> layers;
};

// Reads every layer once, in order (decoding of layer i+1 overlaps applying layer i on the second core),
// building the tree (and the extraction). Throws BadInput/Error.
ApplyResult apply_layers(const oci::Image& image, const ApplyOptions& options = {});

} // namespace whittle::rootfs
