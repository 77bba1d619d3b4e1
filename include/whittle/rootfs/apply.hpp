#pragma once
// Applying an image's layers in order: into the in-memory Tree, and optionally into a directory on disk.
// Safety rules (all in this stage), each a BadInput "apply layer DIGEST of `REF`: entry `NAME`: cause":
//  - names are cleaned lexically (util::clean_in_root); a name that climbs above the root ("../x",
//    "a/../../x") is refused, and so is any absolute name ("/etc/x"): image builders never write them,
//    so one marks a crafted layer (tar would strip the "/"; we refuse instead);
//  - an entry whose parent path, in the tree as it stands (this layer's earlier entries and all lower
//    layers), crosses a symlink is refused ("evil -> /" then "evil/etc/passwd"), as is one whose parent
//    is not a directory; real layers (overlay diffs) always name the real path. Links themselves may
//    point anywhere: they are stored as written and resolved in-root by Tree::resolve;
//  - a hardlink must name, by a clean relative path not crossing a symlink, a non-directory that exists
//    in this or a lower layer;
//  - whiteouts follow archive/whiteout: they hide lower layers only, whatever their place in the stream.
// On disk (rootfs/extract) every path is additionally opened with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) and the last component is never followed, so even a rule
// missed above cannot lead a write out of the root (umoci's CVE class).
// Size: the layers together may decode to at most max_image_bytes (the exact tar stream bytes,
// checked as each layer ends; a layer alone is bounded by the archive's WHITTLE_MAX_LAYER_BYTES), else a
// BadInput naming the layer that crossed it. Extraction first compares the filesystem's free space with
// the compressed size of the layers the manifest gives (a lower bound of what they unpack to) and refuses
// to start when that cannot fit above free_space_floor; while extracting, what is written (512 bytes per
// entry, content chunk by chunk before it is written) must stay under the free space found at the start
// minus the floor (and the free space is sampled again every 64 MiB), else it stops with an Error naming
// the layer and the entry, so an extraction never fills the disk.
#include <cstdint>
#include <string>
#include <vector>
#include <whittle/oci/image.hpp>
#include <whittle/rootfs/tree.hpp>
#include <whittle/util/id_shift.hpp>

namespace whittle::rootfs {

struct LayerStats
{
  uint64_t entries = 0;      // tar entries, whiteouts included
  uint64_t files = 0;        // non-whiteout entries
  uint64_t bytes = 0;        // regular-file content bytes in the layer
  uint64_t uncompressed = 0; // tar stream bytes (== diff_id content size)
  uint64_t waste_bytes = 0;  // bytes of this layer's files that later layers hide, replace or delete
  uint64_t waste_files = 0;
};

// The total cap ApplyOptions starts with: 64 GiB until set_default_max_image_bytes replaced it.
uint64_t default_max_image_bytes();
// Makes `bytes` the process-wide default (cli does, from WHITTLE_MAX_IMAGE_BYTES, before any work
// starts: not safe while another thread builds ApplyOptions).
void set_default_max_image_bytes(uint64_t bytes);

struct ApplyOptions
{
  // When non-empty, also extract into this existing, empty directory.
  std::string extract_to;
  // Extraction: chown and device nodes when true and running as root (otherwise, or when false, they are
  // skipped with one warning); xattrs the filesystem refuses are skipped with one warning.
  bool preserve_owners = true;
  // Extraction: owners as the sandbox's user namespace needs them (see rootfs/extract); none by default.
  util::IdShift id_shift;
  // Which layers to apply (all when empty).
  size_t layer_limit = SIZE_MAX;
  // The cap on all layers' decoded bytes together (0: no cap); the free space extraction leaves.
  uint64_t max_image_bytes = default_max_image_bytes();
  uint64_t free_space_floor = uint64_t{256} << 20;
};

struct ApplyResult
{
  Tree tree;
  std::vector<LayerStats> layers;
};

// Reads every layer once, in order, each to the end of its stream so its blob digest and diff_id are
// verified (decoding of layer i+1 overlaps applying layer i on the second core; memory stays bounded: at
// most a few MiB of queued entries and content per layer in flight, never a whole layer), building the
// tree (and the extraction, whose directories get their final metadata at the end). LayerStats::waste_*
// count, per layer, its non-directory nodes later removed or replaced (bytes only while no other
// hardlinked name keeps the content). Throws BadInput (hostile or corrupt image, or more than
// max_image_bytes) or Error (I/O, or not enough free space for the extraction).
ApplyResult apply_layers(const oci::Image& image, const ApplyOptions& options = {});

} // namespace whittle::rootfs
