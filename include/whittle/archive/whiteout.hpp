#pragma once
// OCI/AUFS whiteouts, in one place (umoci keeps them in one file too). A layer deletes "dir/name" with an
// empty entry "dir/.wh.name", and hides everything that lower layers put in "dir" with "dir/.wh..wh..opq".
// Hazard: an opaque whiteout applies only to lower layers, never to entries of its own layer, whatever
// their order in the tar stream; a whiteout of a path and a new entry at that path in the same layer
// means "replace". Appliers must therefore collect a layer's whiteouts and apply them to the lower state
// before (or independent of) the layer's own entries.
#include <optional>
#include <string>
#include <string_view>

namespace whittle::archive {

inline constexpr std::string_view k_whiteout_prefix = ".wh.";
inline constexpr std::string_view k_opaque_whiteout = ".wh..wh..opq";

enum class WhiteoutKind
{
  none,
  remove,
  opaque
};

struct Whiteout
{
  WhiteoutKind kind = WhiteoutKind::none;
  std::string target; // canonical path removed (remove) or the directory made opaque (opaque)
};

// Classifies a canonical image path (see util::clean_in_root). Returns kind none for ordinary entries.
// Throws BadInput for a whiteout that names "." or ".." or is otherwise malformed (`what` names the layer).
Whiteout classify_whiteout(const std::string& canonical_path, const std::string& what);

// Returns the whiteout entry path ("dir/.wh.name") that removes canonical path p.
std::string whiteout_path_for(const std::string& p);

} // namespace whittle::archive
