#pragma once
// An environment held as a list of "KEY=VALUE" strings: an image config's Env, the environment an app is
// started with. The list may repeat a key (a hostile or carelessly built image). The last entry wins, as
// when podman merges an image's Env into a container's and as the --env flag replaces every entry of its
// key; whittle reads a repeated key the same way everywhere.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace whittle::util {

// Returns the value of the last entry of `env` whose key is `name` ("" for "NAME="), or nullopt when no
// entry has that key. An entry without '=' has no value and is never a match.
std::optional<std::string> env_lookup(const std::vector<std::string>& env, std::string_view name);

// The same over a NULL-terminated envp array, returning a pointer into the matching entry (nullptr when
// absent). Allocation-free: usable between fork and exec.
const char* env_lookup(char* const* envp, std::string_view name) noexcept;

// Replaces every entry of `entry`'s key with `entry` ("KEY=VALUE"), or appends it when the key is absent.
void env_set(std::vector<std::string>& env, const std::string& entry);

} // namespace whittle::util
