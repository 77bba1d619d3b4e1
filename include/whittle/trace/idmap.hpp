#pragma once
// The user namespace of the sandbox: which ids of whittle's namespace the app's ids 0..count-1 stand for
// (util::IdShift, also used to shift owners at extraction), and writing the sandbox's uid_map/gid_map.
//   - whittle is root in the initial namespace: a fixed high range, k_root_id_base.. (65536 ids), used by
//     no login user or subordinate range on ordinary systems;
//   - whittle runs in a user namespace (rootless mode, trace/rootless, or a container): the ids it holds
//     from 1 upward (the subordinate range newuidmap gave it), else the single id 0 (single-id mode: the
//     app runs as whittle's own id, every file appears owned by root, setuid to another id fails).
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>
#include <whittle/util/id_shift.hpp>

namespace whittle::trace {

constexpr uint32_t k_root_id_base = 2147418112; // 2^31 - 65536
constexpr uint32_t k_root_id_count = 65536;

// One line of /proc/PID/uid_map: ids inside..inside+count-1 are outside..outside+count-1 of the reader's
// namespace.
struct IdRange
{
  uint32_t inside = 0;
  uint32_t outside = 0;
  uint32_t count = 0;
};

// Interface.

// Parses the text of a uid_map/gid_map file; malformed lines are skipped.
std::vector<IdRange> parse_id_map(const std::string& text);

// The id inside the namespace of `outer` (an id of the reader's namespace) under map; nullopt-like
// UINT32_MAX when unmapped.
uint32_t inner_id(const std::vector<IdRange>& map, uint32_t outer);

// The shift for the given maps of whittle's own namespace (pure: for tests), as described above. Returns
// an inactive shift when no id is usable.
util::IdShift choose_id_shift(const std::vector<IdRange>& uid_map, const std::vector<IdRange>& gid_map);

// choose_id_shift on /proc/self/{uid,gid}_map. Throws SandboxError when whittle holds no usable id (an
// unprivileged user outside a user namespace: trace/rootless enters one first).
util::IdShift sandbox_id_shift();

// "0 BASE COUNT\n": the line of the sandbox's uid_map and gid_map.
std::string id_map_line(const util::IdShift& shift);

// The text of the sandbox's uid_map or gid_map for shift, given whittle's own map of that kind: the range
// base..base+count-1 split where whittle's own extents split it, one line each (the kernel maps each line
// through a single extent of the parent's map: rootless, id 0 and ids 1.. are two extents). Pure.
std::string id_map_text(const util::IdShift& shift, const std::vector<IdRange>& own);

// True when /proc/self/setgroups says "allow" (false in single-id rootless mode, where the kernel demands
// deny; the sandbox then keeps its groups and the app cannot call setgroups).
bool setgroups_allowed();

// Parent side: writes the uid_map and gid_map of the user namespace of pid. Throws SandboxError.
void write_id_maps(pid_t pid, const util::IdShift& shift);

// The ids of a rootfs whittle did not extract (`trace --rootfs DIR`): the sandbox's shift, and whether the
// rootfs is mounted idmapped so that its owners on disk (never changed) appear shifted.
struct GivenRootfsIds
{
  util::IdShift shift;
  bool idmap = false;
};

// Pure (for tests): dir_owner is the uid of DIR itself, maps those of whittle's namespace.
//   - DIR owned by the sandbox's root (base + 0): extracted by whittle and kept, already shifted: as is;
//   - else, as root: its owners are the image's own ids; mounted idmapped (MOUNT_ATTR_IDMAP with the
//     sandbox's user namespace), a file owned by 0 is root's inside, one owned by 1000 is 1000's;
//   - else, rootless (no idmapped mount: the filesystem belongs to the host's namespace, where whittle holds
//     no capability): the sandbox takes whittle's namespace's ids unshifted, 0..min(count, 65536)-1, as
//     `podman unshare` shows them: the invoking user's files are root's inside, a file chowned to 1000 in
//     `podman unshare` is 1000's. The app's root is then the invoking user, as in single-id mode.
// An inactive shift when no id is usable.
GivenRootfsIds choose_given_rootfs_ids(uint32_t dir_owner, const std::vector<IdRange>& uid_map,
                                       const std::vector<IdRange>& gid_map);

// choose_given_rootfs_ids for DIR and /proc/self/{uid,gid}_map. Throws SandboxError (DIR cannot be
// stat'ed, or whittle holds no usable id).
GivenRootfsIds given_rootfs_ids(const std::string& dir);

} // namespace whittle::trace
