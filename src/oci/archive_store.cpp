#include "json_util.hpp"
#include "stores.hpp"

#include <regex>
#include <whittle/archive/compression.hpp>
#include <whittle/oci/image_config.hpp>
#include <whittle/oci/media_types.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/sha256.hpp>

namespace whittle::oci::detail {

namespace {

using nlohmann::json;

class OciArchiveStore : public OciSource
{
public:
  explicit OciArchiveStore(const std::string& file) : m_index(std::make_shared<TarIndex>(file))
  {
    if (!m_index->find("oci-layout")) {
      throw BadInput("open oci-archive `" + file + "`: no `oci-layout` member (not an oci-archive)");
    }
    std::string what = "`oci-layout` of `" + file + "`";
    json j = parse_json(m_index->read_small("oci-layout", what), what);
    if (!j.is_object() || !j.contains("imageLayoutVersion") || !j["imageLayoutVersion"].is_string()) {
      throw BadInput("parse " + what + ": missing string field `imageLayoutVersion`");
    }
  }

  std::unique_ptr<util::ByteSource> open(const Descriptor& d) const override
  {
    std::string what = "blob " + d.digest.str() + " in `" + m_index->file() + "`";
    const TarIndex::Member* m = m_index->find("blobs/" + d.digest.algorithm + "/" + d.digest.hex);
    if (!m) {
      throw BadInput("open " + what + ": missing");
    }
    return verified(TarIndex::open(m_index, *m), d, what);
  }

  std::string name() const override { return "`" + m_index->file() + "`"; }

  std::string read_index() const override
  {
    return m_index->read_small("index.json", "`index.json` of `" + m_index->file() + "`");
  }

private:
  std::shared_ptr<const TarIndex> m_index;
};

class DockerArchiveStore : public BlobStore
{
public:
  DockerArchiveStore(std::shared_ptr<const TarIndex> index, std::map<Digest, std::string> members)
      : m_index(std::move(index)), m_members(std::move(members))
  {
  }

  std::unique_ptr<util::ByteSource> open(const Descriptor& d) const override
  {
    std::string what = "blob " + d.digest.str() + " in `" + m_index->file() + "`";
    auto it = m_members.find(d.digest);
    const TarIndex::Member* m = it == m_members.end() ? nullptr : m_index->find(it->second);
    if (!m) {
      throw BadInput("open " + what + ": missing");
    }
    return verified(TarIndex::open(m_index, *m), d, what + " (`" + it->second + "`)");
  }

  std::string name() const override { return "`" + m_index->file() + "`"; }

private:
  std::shared_ptr<const TarIndex> m_index;
  std::map<Digest, std::string> m_members;
};

std::vector<std::string>
string_array(const json& entry, const char* key, const std::string& what, bool required)
{
  std::vector<std::string> out;
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) {
    if (required) {
      throw BadInput("parse " + what + ": missing field `" + key + "`");
    }
    return out;
  }
  if (!it->is_array()) {
    throw BadInput("parse " + what + ": field `" + key + "` is not an array");
  }
  for (const auto& s : *it) {
    if (!s.is_string()) {
      throw BadInput("parse " + what + ": field `" + key + "` holds a non-string");
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::string
hash_member(const std::shared_ptr<const TarIndex>& index, const TarIndex::Member& m)
{
  auto src = TarIndex::open(index, m);
  util::HashingSink sink;
  util::copy_stream(*src, sink);
  return sink.hex_final();
}

} // namespace

std::shared_ptr<OciSource>
open_oci_archive_store(const std::string& file)
{
  return std::make_shared<OciArchiveStore>(file);
}

std::string
normalise_docker_name(const std::string& name)
{
  std::string n = name;
  auto at = n.find('@');
  if (at != std::string::npos) {
    n.erase(at);
  }
  for (const char* prefix : {"docker.io/", "index.docker.io/"}) {
    if (n.rfind(prefix, 0) == 0) {
      n.erase(0, std::strlen(prefix));
    }
  }
  if (n.rfind("library/", 0) == 0) {
    n.erase(0, 8);
  }
  auto slash = n.rfind('/');
  if (n.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos) {
    n += ":latest";
  }
  return n;
}

DockerImage
open_docker_archive(const ImageRef& ref)
{
  auto index = std::make_shared<const TarIndex>(ref.path);
  const std::string& file = ref.path;
  std::string mwhat = "`manifest.json` of `" + file + "`";
  if (!index->find("manifest.json")) {
    throw BadInput("open docker-archive `" + file + "`: no `manifest.json` member (not a docker-archive)");
  }
  json list = parse_json(index->read_small("manifest.json", mwhat), mwhat);
  if (!list.is_array() || list.empty()) {
    throw BadInput("parse " + mwhat + ": expected a non-empty array of images");
  }
  std::vector<std::string> all_tags;
  std::optional<size_t> chosen;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) {
      throw BadInput("parse " + mwhat + ": entry " + std::to_string(i) + " is not an object");
    }
    for (const auto& t : string_array(list[i], "RepoTags", mwhat, false)) {
      all_tags.push_back(t);
      if (!ref.tag.empty() && !chosen && normalise_docker_name(t) == normalise_docker_name(ref.tag)) {
        chosen = i;
      }
    }
  }
  std::string tags_text;
  for (const auto& t : all_tags) {
    tags_text += (tags_text.empty() ? "" : ", ") + printable(t);
  }
  if (!ref.tag.empty() && !chosen) {
    throw BadInput(
        "find image `" + printable(ref.tag) + "` in `" + file +
        "`: no such name; the archive holds: " + (tags_text.empty() ? "untagged images only" : tags_text));
  }
  if (!chosen) {
    if (list.size() != 1) {
      throw BadInput("open docker-archive `" + file + "`: it holds " + std::to_string(list.size()) +
                     " images; choose one with docker-archive:FILE:NAME:TAG (" + tags_text + ")");
    }
    chosen = 0;
  }
  const json& entry = list[*chosen];
  std::string ewhat = mwhat + " entry " + std::to_string(*chosen);
  auto cfg_it = entry.find("Config");
  if (cfg_it == entry.end() || !cfg_it->is_string()) {
    throw BadInput("parse " + ewhat + ": missing string field `Config`");
  }
  std::string cfg_name = cfg_it->get<std::string>();
  std::string cwhat = "config `" + printable(cfg_name) + "` of `" + file + "`";
  std::string cfg_text = index->read_small(cfg_name, cwhat);
  ImageConfig config = ImageConfig::parse(cfg_text, cwhat);
  std::vector<Digest> diff_ids = config.diff_ids();
  std::vector<std::string> layer_names = string_array(entry, "Layers", ewhat, true);
  if (layer_names.size() != diff_ids.size()) {
    throw BadInput("open docker-archive `" + file + "`: " + std::to_string(layer_names.size()) +
                   " layers but " + std::to_string(diff_ids.size()) + " diff_ids in the config");
  }

  std::map<Digest, std::string> members;
  DockerImage img;
  img.manifest.media_type = std::string(media_type::k_docker_manifest);
  img.manifest.config.media_type = std::string(media_type::k_docker_config);
  img.manifest.config.digest = Digest::of(cfg_text);
  img.manifest.config.size = static_cast<int64_t>(cfg_text.size());
  members[img.manifest.config.digest] = cfg_name;
  static const std::regex k_blob_name("^(\\./)?blobs/sha256/([0-9a-f]{64})$");
  for (size_t i = 0; i < layer_names.size(); ++i) {
    const std::string& name = layer_names[i];
    std::string lwhat = "layer `" + printable(name) + "` of `" + file + "`";
    const TarIndex::Member* m = index->find(name);
    if (!m) {
      throw BadInput("open " + lwhat + ": missing");
    }
    unsigned char head[4];
    size_t n = index->peek(*m, head, sizeof head);
    archive::Compression c = archive::sniff_compression(head, n);
    Descriptor d;
    d.size = static_cast<int64_t>(m->size);
    d.media_type = std::string(c == archive::Compression::gzip   ? media_type::k_docker_layer_gzip
                               : c == archive::Compression::zstd ? media_type::k_docker_layer_zstd
                                                                 : media_type::k_docker_layer);
    std::smatch match;
    if (std::regex_match(name, match, k_blob_name)) {
      d.digest = Digest::sha256(match[2]);
    } else if (c == archive::Compression::none) {
      d.digest = diff_ids[i]; // an uncompressed layer is its own diff; checked as it is read
    } else {
      d.digest = Digest::sha256(hash_member(index, *m));
    }
    members[d.digest] = name;
    img.manifest.layers.push_back(d);
  }
  img.store = std::make_shared<DockerArchiveStore>(index, std::move(members));
  return img;
}

} // namespace whittle::oci::detail
