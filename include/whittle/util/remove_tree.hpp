#pragma once
// Removing a tree that may be hostile (an image's content, or what a traced app left in its work
// directory): relative to descriptors at every level, so a tree deeper than PATH_MAX is removed like any
// other and a symlink is unlinked, never followed; a read-only directory is made writable first.
#include <string>

namespace whittle::util {

// Removes the entry `name` of the directory open at `dirfd` (AT_FDCWD: a path), a directory with
// everything below it; a missing entry is not an error. Throws Error naming `shown` and the errno of the
// first failure, after removing all it could.
void remove_all_at(int dirfd, const std::string& name, const std::string& shown);

// remove_all_at(AT_FDCWD, path, path).
void remove_all(const std::string& path);

} // namespace whittle::util
