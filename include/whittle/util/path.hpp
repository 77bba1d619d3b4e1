#pragma once
// Lexical path handling for paths inside an image. Image paths are kept in one canonical form:
// absolute, "/"-separated, no "." or ".." components, no trailing slash ("/" for the root).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace whittle::util {

// Returns the canonical image path of p, treating it as relative to the root: leading "./" and "/" are
// dropped, "." components removed, ".." applied lexically. Returns nullopt when ".." would climb above the
// root (the caller decides whether that is an error or, chroot-style, clamps it: see clamp_to_root).
std::optional<std::string> clean_in_root(std::string_view p);

// Like clean_in_root, but ".." at the root stays at the root, the way the kernel resolves it in a chroot.
std::string clamp_to_root(std::string_view p);

// Returns the parent of a canonical path ("/" for "/" and for top-level names).
std::string parent_path(std::string_view canonical);

// Returns the last component of a canonical path ("" for "/").
std::string base_name(std::string_view canonical);

// Joins a canonical directory and a relative or absolute path, then clamps to root.
std::string join_in_root(std::string_view dir, std::string_view rel);

// Splits a path into its non-empty components.
std::vector<std::string> split_components(std::string_view p);

// True if `path` equals `dir` or lies below it (both canonical).
bool is_within(std::string_view path, std::string_view dir);

// Shell glob match: "*", "?" and "[a-z]" stay within one component, "**" matches across "/"
// ("a/**" matches "a" and everything below it; "**/x" matches "x" at any depth).
bool glob_match(std::string_view pattern, std::string_view path);

} // namespace whittle::util
