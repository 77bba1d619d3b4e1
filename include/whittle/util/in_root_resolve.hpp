#pragma once
// Resolving a path inside an image root the way the kernel resolves it in a chroot, one component at a
// time, over a lookup that says what is at a canonical path: the in-memory tree of an image
// (rootfs::Tree) and an extracted rootfs on disk (trace::RootResolver) are both walked by the same rules.
// Those rules, as Linux applies them:
// - ".." at the root (the floor) stays there; elsewhere it goes to the lexical parent of the directory
//   reached so far, which is a real directory because symlinks were already replaced by their targets.
// - A symlink in the middle of a path is always followed; the last one only with Follow::yes. A relative
//   target continues from the link's directory, an absolute one from the floor.
// - An empty target ends the walk (ENOENT), and so do a missing component (ENOENT) and a non-directory in
//   the middle (ENOTDIR): the rest of the path is then joined lexically, so the caller still sees where
//   the path pointed, and nothing exists there.
// - At most 40 links are followed in one walk (MAXSYMLINKS); the 41st ends it (ELOOP).
// Every image-derived string here (paths, link targets) is hostile: the walk never leaves the floor, and
// its work is bounded by the path length and the link limit.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace whittle::util {

enum class Follow
{
  no,
  yes
};

enum class PathKind
{
  missing,
  directory,
  regular,
  symlink,
  other,  // device, FIFO, socket
  opaque, // the lookup keeps this path apart (trace's /proc, /sys...): the walk stops there
};

struct PathEntry
{
  PathKind kind = PathKind::missing;
  std::string link_target; // symlinks: the target as stored
};

// What is at a canonical path, without following a symlink there. Called once per component walked
// (and once for the start directory when the walk ends there), so an implementation may cache; it must
// not throw for an ordinary filesystem failure (report missing). Returning opaque for a path stops the
// walk at it.
using PathLookup = std::function<PathEntry(const std::string& canonical)>;

struct InRootPath
{
  std::string path;                  // canonical path reached (after the links that were followed)
  PathKind kind = PathKind::missing; // what is at path; missing when the walk broke off
  // Symlinks followed on the way, in order: (canonical path of the link, its target as stored).
  std::vector<std::pair<std::string, std::string>> links;
  bool loop = false; // the walk ended after 40 links (ELOOP)

  // True when something is at path (not missing, not opaque).
  bool exists() const { return kind != PathKind::missing && kind != PathKind::opaque; }
};

// Interface.

// Resolves path in the root seen through lookup. A relative path starts at cwd, an absolute one (and
// every absolute link target) at floor; ".." never climbs above floor. cwd and floor are canonical, cwd at
// or below floor (else the walk starts at floor). With Follow::no a final symlink is not followed (kind
// symlink). Returns kind opaque with the lexical path when the walk reached a path the lookup keeps apart.
// Never fails: what cannot be reached is missing.
InRootPath resolve_in_root(std::string_view path, const PathLookup& lookup, Follow follow = Follow::yes,
                           std::string_view cwd = "/", std::string_view floor = "/");

} // namespace whittle::util
