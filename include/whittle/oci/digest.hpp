#pragma once
// Content digests "algorithm:hex". whittle verifies and writes sha256; sha512 is parsed and verified too.
#include <string>

namespace whittle::oci {

struct Digest
{
  std::string algorithm; // "sha256"
  std::string hex;       // lowercase

  // Parses "sha256:<64 hex>" (or "sha512:<128 hex>"). Throws BadInput naming `what` on anything else
  // (uppercase hex, wrong length, unknown algorithm, path characters).
  static Digest parse(const std::string& s, const std::string& what = "digest");
  // Returns the sha256 digest of data.
  static Digest of(const std::string& data);
  static Digest sha256(std::string hex) { return {"sha256", std::move(hex)}; }

  std::string str() const { return algorithm + ":" + hex; }
  // First 12 hex digits, for messages.
  std::string short_hex() const { return hex.substr(0, 12); }
  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;
};

} // namespace whittle::oci
