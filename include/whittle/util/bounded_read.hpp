#pragma once
// The one reader for files whose content whittle does not control: profiles, rule files, anything a user
// or an image names. Only regular files are read (a FIFO would block forever, a device could stream
// without end), and never more than a cap, so a hostile or mistaken path costs at most cap bytes.
#include <cstdint>
#include <string>

namespace whittle::util {

// Reads the regular file at `path` (symlinks followed: users point at their files through links) into a
// string. `what` names the kind of file in errors ("profile", "rules"). Throws Error when it cannot be
// opened or read; BadInput when it is not a regular file (FIFO, device, socket, directory) or holds more
// than `cap` bytes, naming the file and the cap.
std::string read_bounded(const std::string& path, uint64_t cap, const std::string& what);

} // namespace whittle::util
