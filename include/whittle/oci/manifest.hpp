#pragma once
// Image manifests (OCI v1 and Docker v2 schema 2) and indexes (OCI index, Docker manifest list).
#include <string>
#include <vector>
#include <whittle/oci/descriptor.hpp>

namespace whittle::oci {

struct Manifest
{
  std::string media_type; // OCI or Docker manifest media type
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;

  // Parses and validates manifest JSON (schemaVersion 2, known config and layer media types). Throws
  // BadInput naming `what` on invalid JSON, a wrong schema, or an unknown media type.
  static Manifest parse(const std::string& json, const std::string& what);
  // Canonical bytes: the serialisation whittle writes (sorted keys, no whitespace), OCI media types.
  std::string serialize() const;
};

struct Index
{
  std::string media_type; // OCI index or Docker manifest list
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;

  static Index parse(const std::string& json, const std::string& what);
  std::string serialize() const;
};

// True for any layer media type whittle reads (OCI or Docker, tar/gzip/zstd, nondistributable).
bool is_layer_media_type(const std::string& mt);
// True for index / manifest-list media types.
bool is_index_media_type(const std::string& mt);
bool is_manifest_media_type(const std::string& mt);

} // namespace whittle::oci
