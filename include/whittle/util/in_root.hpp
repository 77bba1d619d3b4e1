#pragma once
// Looking at and reading files of an extracted rootfs from the host side. The rootfs is untrusted (an
// image's content, and during a trace the app can rename, swap or link anything in it at any moment),
// while whittle runs as host root: so every lookup goes through openat2(root_fd, ..., RESOLVE_IN_ROOT |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), which never leaves the root even if a directory became a
// symlink since the caller resolved the path, and a file is opened for reading only after an O_PATH
// descriptor showed it is a regular file: opening a FIFO would block, a device would run its driver.
// Callers resolve image symlinks themselves (trace/path_resolver, slim's closure): a symlink met on the
// way here means the tree changed underneath, and the lookup fails.
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <whittle/util/fd.hpp>

namespace whittle::util {

// O_PATH | O_DIRECTORY descriptor of a rootfs directory, for the calls below. Throws Error.
Fd open_root(const std::string& dir);

struct InRootStat
{
  struct stat st;
  std::string link_target; // the stored target when st is a symlink
};

// lstat of an image path ("/usr/lib" or "usr/lib") below root_fd; nullopt if it does not exist or cannot
// be reached without following a symlink.
std::optional<InRootStat> lstat_in_root(int root_fd, std::string_view path);

// A read-only descriptor of the regular file at the image path, or an invalid Fd (errno set: ENOENT,
// ELOOP through a symlink, EINVAL when the path is not a regular file). Never opens anything else.
Fd open_regular_in_root(int root_fd, std::string_view path);

// A file-time barrier: every ctime/mtime the kernel stamped before the call is earlier than the returned
// time, and every one it stamps after the call is not. File times come from the coarse clock, which lags
// the real time by up to a tick or more, or (multigrain timestamps) from the real time itself: the call
// waits until the coarse clock has passed the real time of its start (a tick or two, 4-8 ms here). Used
// to tell which files an app touched after an extraction: ctime, unlike mtime, cannot be set back.
struct timespec file_time_barrier();

} // namespace whittle::util
