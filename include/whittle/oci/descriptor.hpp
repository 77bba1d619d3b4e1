#pragma once
// OCI content descriptors, platforms, and their JSON forms.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <whittle/oci/digest.hpp>

namespace whittle::oci {

struct Platform
{
  std::string os = "linux";
  std::string architecture; // GOARCH names: amd64, arm64, ...
  std::string variant;      // "v8", or ""

  // Parses "OS/ARCH[/VARIANT]"; throws UsageError otherwise.
  static Platform parse(const std::string& s);
  // The host's platform (linux/amd64 on x86_64, linux/arm64 on aarch64, ...).
  static Platform host();
  std::string str() const;
  // True if an image for `other` runs here as `this` asks (variant ignored when this has none).
  bool matches(const Platform& other) const;
  bool operator==(const Platform&) const = default;
};

struct Descriptor
{
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;

  // Throws BadInput naming `what` on a missing/ill-typed field, negative size or bad digest.
  static Descriptor from_json(const nlohmann::json& j, const std::string& what);
  nlohmann::json to_json() const;
};

} // namespace whittle::oci
