#include "json_util.hpp"

#include <whittle/util/error.hpp>

namespace whittle::oci::detail {

namespace {

// Refuses absurd nesting before the recursive parser sees it (hostile inputs).
constexpr int k_max_depth = 64;

bool
too_deep(const std::string& text)
{
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > k_max_depth) {
        return true;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

} // namespace

nlohmann::json
parse_json(const std::string& text, const std::string& what)
{
  if (text.size() > k_max_json_bytes) {
    throw BadInput("parse " + what + ": larger than the limit of " + std::to_string(k_max_json_bytes) +
                   " bytes");
  }
  if (too_deep(text)) {
    throw BadInput("parse " + what + ": JSON nested deeper than " + std::to_string(k_max_depth) + " levels");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw BadInput("parse " + what + ": invalid JSON: " + e.what());
  }
}

std::string
canonical_dump(const nlohmann::json& j, const std::string& what)
{
  try {
    return j.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error("serialise " + what + ": " + e.what());
  }
}

std::string
printable(const std::string& s)
{
  std::string out;
  for (char c : s.substr(0, 120)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return s.size() > 120 ? out + "..." : out;
}

} // namespace whittle::oci::detail
