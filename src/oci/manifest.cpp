#include "json_util.hpp"

#include <array>
#include <whittle/oci/manifest.hpp>
#include <whittle/oci/media_types.hpp>
#include <whittle/util/error.hpp>

namespace whittle::oci {

using detail::printable;
using nlohmann::json;
namespace mt = media_type;

namespace {

constexpr std::array<std::string_view, 11> k_layer_types = {
    mt::k_oci_layer,
    mt::k_oci_layer_gzip,
    mt::k_oci_layer_zstd,
    mt::k_oci_layer_nondist,
    mt::k_oci_layer_nondist_gzip,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    mt::k_docker_layer,
    mt::k_docker_layer_gzip,
    mt::k_docker_layer_zstd,
    "application/vnd.docker.image.rootfs.foreign.diff.tar",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

void
check_schema_version(const json& j, const std::string& what)
{
  auto it = j.find("schemaVersion");
  if (it == j.end()) {
    throw BadInput("parse " + what + ": missing field `schemaVersion`");
  }
  if (!it->is_number_integer() || it->get<int64_t>() != 2) {
    throw BadInput("parse " + what + ": unsupported schemaVersion " + printable(it->dump()) +
                   " (expected 2)");
  }
}

std::string
media_type_field(const json& j, const std::string& what, std::string_view fallback)
{
  auto it = j.find("mediaType");
  if (it == j.end() || it->is_null()) {
    return std::string(fallback);
  }
  if (!it->is_string()) {
    throw BadInput("parse " + what + ": field `mediaType` is not a string");
  }
  return it->get<std::string>();
}

std::map<std::string, std::string>
annotations_field(const json& j, const std::string& what)
{
  std::map<std::string, std::string> out;
  auto it = j.find("annotations");
  if (it == j.end() || it->is_null()) {
    return out;
  }
  if (!it->is_object()) {
    throw BadInput("parse " + what + ": field `annotations` is not an object");
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      throw BadInput("parse " + what + ": annotation `" + printable(k) + "` is not a string");
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

const json&
array_field(const json& j, const char* name, const std::string& what)
{
  auto it = j.find(name);
  if (it == j.end()) {
    throw BadInput("parse " + what + ": missing field `" + name + "`");
  }
  if (!it->is_array()) {
    throw BadInput("parse " + what + ": field `" + name + "` is not an array");
  }
  return *it;
}

} // namespace

bool
is_layer_media_type(const std::string& m)
{
  for (auto t : k_layer_types) {
    if (m == t) {
      return true;
    }
  }
  return false;
}

bool
is_index_media_type(const std::string& m)
{
  return m == mt::k_oci_index || m == mt::k_docker_manifest_list;
}

bool
is_manifest_media_type(const std::string& m)
{
  return m == mt::k_oci_manifest || m == mt::k_docker_manifest;
}

Manifest
Manifest::parse(const std::string& text, const std::string& what)
{
  json j = detail::parse_json(text, what);
  if (!j.is_object()) {
    throw BadInput("parse " + what + ": not a JSON object");
  }
  check_schema_version(j, what);
  Manifest m;
  m.media_type = media_type_field(j, what, mt::k_oci_manifest);
  if (is_index_media_type(m.media_type)) {
    throw BadInput("parse " + what + ": is an image index (" + m.media_type + "), not a manifest");
  }
  if (!is_manifest_media_type(m.media_type)) {
    throw BadInput("parse " + what + ": unknown manifest media type `" + printable(m.media_type) + "`");
  }
  auto cfg = j.find("config");
  if (cfg == j.end()) {
    throw BadInput("parse " + what + ": missing field `config`");
  }
  m.config = Descriptor::from_json(*cfg, what + " config");
  if (m.config.media_type != mt::k_oci_config && m.config.media_type != mt::k_docker_config) {
    throw BadInput("parse " + what + ": unknown config media type `" + printable(m.config.media_type) +
                   "` (not a container image)");
  }
  const json& layers = array_field(j, "layers", what);
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string lwhat = what + " layer " + std::to_string(i);
    Descriptor d = Descriptor::from_json(layers[i], lwhat);
    if (!is_layer_media_type(d.media_type)) {
      throw BadInput("parse " + lwhat + ": unknown layer media type `" + printable(d.media_type) + "`");
    }
    m.layers.push_back(std::move(d));
  }
  m.annotations = annotations_field(j, what);
  return m;
}

std::string
Manifest::serialize() const
{
  json j = {{"schemaVersion", 2}, {"mediaType", media_type}, {"config", config.to_json()}};
  json list = json::array();
  for (const auto& d : layers) {
    list.push_back(d.to_json());
  }
  j["layers"] = list;
  if (!annotations.empty()) {
    j["annotations"] = annotations;
  }
  return detail::canonical_dump(j, "manifest");
}

Index
Index::parse(const std::string& text, const std::string& what)
{
  json j = detail::parse_json(text, what);
  if (!j.is_object()) {
    throw BadInput("parse " + what + ": not a JSON object");
  }
  check_schema_version(j, what);
  Index idx;
  idx.media_type = media_type_field(j, what, mt::k_oci_index);
  if (is_manifest_media_type(idx.media_type)) {
    throw BadInput("parse " + what + ": is an image manifest (" + idx.media_type + "), not an index");
  }
  if (!is_index_media_type(idx.media_type)) {
    throw BadInput("parse " + what + ": unknown index media type `" + printable(idx.media_type) + "`");
  }
  const json& manifests = array_field(j, "manifests", what);
  for (size_t i = 0; i < manifests.size(); ++i) {
    idx.manifests.push_back(Descriptor::from_json(manifests[i], what + " entry " + std::to_string(i)));
  }
  idx.annotations = annotations_field(j, what);
  return idx;
}

std::string
Index::serialize() const
{
  json j = {{"schemaVersion", 2}, {"mediaType", media_type}};
  json list = json::array();
  for (const auto& d : manifests) {
    list.push_back(d.to_json());
  }
  j["manifests"] = list;
  if (!annotations.empty()) {
    j["annotations"] = annotations;
  }
  return detail::canonical_dump(j, "index");
}

} // namespace whittle::oci
