#pragma once
// The names in a directory, read through a descriptor of it (no path is built, so depth never matters).
#include <optional>
#include <string>
#include <vector>

namespace whittle::util {

// Interface.

// Returns the names in the directory open at dirfd, without "." and "..", in readdir order; dirfd stays
// open and its own offset is untouched (a duplicate is read). nullopt with errno set when it cannot be read.
std::optional<std::vector<std::string>> entry_names(int dirfd);

} // namespace whittle::util
