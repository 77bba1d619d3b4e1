#pragma once
// Internal: JSON parsing and canonical serialisation shared by manifest, index and config code.
#include <nlohmann/json.hpp>
#include <string>

namespace whittle::oci::detail {

// Largest JSON document (index, manifest, config, docker manifest.json) whittle reads into memory.
inline constexpr size_t k_max_json_bytes = 4 << 20;

// Parses text; throws BadInput "parse WHAT: invalid JSON: ..." (also on duplicate-free but deep nesting
// nlohmann handles itself).
nlohmann::json parse_json(const std::string& text, const std::string& what);
// Canonical bytes: sorted keys (nlohmann objects are ordered maps), no whitespace. Throws Error on
// strings that are not valid UTF-8.
std::string canonical_dump(const nlohmann::json& j, const std::string& what);
// Keeps hostile bytes (newlines, escapes) out of messages; truncates long values.
std::string printable(const std::string& s);

} // namespace whittle::oci::detail
