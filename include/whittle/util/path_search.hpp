#pragma once
// The search execvp makes for a program name, over image paths: whittle runs it on the in-memory tree
// (slim, to keep what the app will exec), on the extracted root (trace, to name the program it starts)
// and inside the sandbox before execve (an exec probe), and all three must find the same file.
// The rules are POSIX's and glibc's: a name containing '/' is not searched; otherwise each ':'-separated
// entry of PATH is tried in order, an empty entry (leading, trailing or "::") meaning the working
// directory and a relative entry being relative to it; the first entry holding an executable regular
// file wins.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace whittle::util {

// The PATH of a process whose environment has none (what docker and podman give a container).
constexpr const char* k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The entries of a PATH value in search order, each as written ("" for the working directory).
// Allocation-free: usable between fork and exec.
class PathEntries
{
public:
  explicit PathEntries(std::string_view path_value) noexcept : m_rest(path_value) {}
  // Sets `entry` to the next entry and returns true; false once every entry was returned.
  bool next(std::string_view& entry) noexcept;

private:
  std::string_view m_rest;
  bool m_done = false;
};

// Returns the image path of `name` as execvp would find it with PATH = `path_value` and working directory
// `cwd` (canonical): for a name with '/', `name` joined to `cwd` when `is_executable` accepts it; else the
// first `entry/name` (joined to `cwd`) that `is_executable` accepts. `is_executable` gets canonical image
// paths and says whether one is an executable regular file (following symlinks). Returns nullopt for an
// empty name or when nothing matches. Throws only what `is_executable` throws.
std::optional<std::string> find_on_path(std::string_view name, std::string_view path_value,
                                        std::string_view cwd,
                                        const std::function<bool(const std::string&)>& is_executable);

} // namespace whittle::util
