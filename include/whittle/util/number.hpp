#pragma once
// Strict parsing of the numbers whittle reads from outside (flags, environment variables, names of files
// in shared directories, image files). The whole text must be the number: decimal digits only, no sign,
// space or base prefix, within the target's range. std::stoul would read "2abc" as 2, "-1" as ULONG_MAX
// and throw a one-word std::out_of_range on 20 digits; these return nullopt and let the caller name the
// flag, file or variable in its error.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace whittle::util {

// Returns the value of `text` if it is one or more decimal digits and at most `max`; nullopt otherwise.
std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max = UINT64_MAX);

// The largest user or group id accepted: (uid_t)-1 = 4294967295 means "leave unchanged" to setresuid and
// chown, so it is never a real id.
constexpr uint32_t k_max_id = 4294967294U;

// A numeric user or group id, 0 to k_max_id; nullopt otherwise.
std::optional<uint32_t> parse_id(std::string_view text);

// A byte count: decimal digits with an optional K, M, G or T suffix (either case) or KiB, MiB, GiB, TiB
// (powers of 1024). Returns nullopt when malformed, zero, or over UINT64_MAX once multiplied.
std::optional<uint64_t> parse_size(std::string_view text);

// A duration in seconds: a decimal number ("30", "1.5"; no sign, exponent, inf or nan), greater than zero
// and at most max_seconds. Returns it in milliseconds, rounded, at least 1 ms; nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text, double max_seconds);

} // namespace whittle::util
