#include "json_util.hpp"
#include "stores.hpp"

#include <set>
#include <whittle/archive/verified_source.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/oci/media_types.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>

namespace whittle::oci {

using detail::printable;

namespace {

// Nested indexes deeper than this are refused (and an index that reaches itself is caught earlier).
constexpr int k_max_index_depth = 4;

std::string
read_blob(const BlobStore& store, const Descriptor& d, const std::string& what)
{
  if (d.size > static_cast<int64_t>(detail::k_max_json_bytes)) {
    throw BadInput("read " + what + ": " + std::to_string(d.size) + " bytes, larger than the limit of " +
                   std::to_string(detail::k_max_json_bytes));
  }
  auto src = store.open(d);
  return util::read_all(*src, detail::k_max_json_bytes, what);
}

archive::Compression
compression_of(const std::string& mt)
{
  auto ends_with = [&](std::string_view s) {
    return mt.size() >= s.size() && mt.compare(mt.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with("+gzip") || ends_with(".gzip")) {
    return archive::Compression::gzip;
  }
  if (ends_with("+zstd") || ends_with(".zstd")) {
    return archive::Compression::zstd;
  }
  return archive::Compression::none;
}

std::string
ref_name(const Descriptor& d)
{
  auto it = d.annotations.find(std::string(media_type::k_ref_name_annotation));
  return it == d.annotations.end() ? "" : it->second;
}

std::string
platform_list(const std::vector<Descriptor>& ds)
{
  std::string out;
  for (const auto& d : ds) {
    if (d.platform) {
      out += (out.empty() ? "" : ", ") + printable(d.platform->str());
    }
  }
  return out.empty() ? "none declared" : out;
}

class Resolver
{
public:
  Resolver(const BlobStore& store, const ImageRef& ref, const std::optional<Platform>& platform)
      : m_store(store), m_ref(ref), m_platform(platform.value_or(Platform::host()))
  {
  }

  // Picks the manifest descriptor from the top-level index.
  Descriptor resolve_top(const Index& top)
  {
    std::vector<Descriptor> candidates;
    if (m_ref.digest) {
      for (const auto& d : top.manifests) {
        if (d.digest == *m_ref.digest) {
          candidates.push_back(d);
          break;
        }
      }
      if (candidates.empty()) {
        throw BadInput("find image " + m_ref.digest->str() + " in " + m_store.name() +
                       ": no manifest with that digest in index.json");
      }
    } else if (!m_ref.tag.empty()) {
      for (const auto& d : top.manifests) {
        if (ref_name(d) == m_ref.tag) {
          candidates.push_back(d);
        }
      }
      if (candidates.empty()) {
        throw BadInput("find image `" + printable(m_ref.tag) + "` in " + m_store.name() + ": no such tag; " +
                       tag_list(top));
      }
    } else {
      candidates = top.manifests;
      if (candidates.empty()) {
        throw BadInput("open image in " + m_store.name() + ": index.json lists no manifests");
      }
    }
    if (candidates.size() == 1) {
      return follow(candidates[0], "index.json of " + m_store.name(), 0);
    }
    // Several entries: a platform list if they all carry platforms, otherwise ambiguous tags.
    for (const auto& d : candidates) {
      if (!d.platform) {
        throw BadInput("open image in " + m_store.name() + ": it holds " + std::to_string(candidates.size()) +
                       " images; choose one by tag (" + tag_list(top) + ")");
      }
    }
    return select_platform(candidates, "index.json of " + m_store.name(), 0);
  }

private:
  static std::string tag_list(const Index& top)
  {
    std::string out;
    for (const auto& d : top.manifests) {
      std::string n = ref_name(d);
      if (!n.empty()) {
        out += (out.empty() ? "" : ", ") + printable(n);
      }
    }
    return out.empty() ? "the index has no tagged images" : "available tags: " + out;
  }

  // A manifest descriptor stays; an index descriptor is opened and resolved by platform.
  Descriptor follow(const Descriptor& d, const std::string& where, int depth)
  {
    if (is_manifest_media_type(d.media_type)) {
      return d;
    }
    if (!is_index_media_type(d.media_type)) {
      throw BadInput("open image in " + where + ": unknown media type `" + printable(d.media_type) + "` of " +
                     d.digest.str());
    }
    if (depth >= k_max_index_depth) {
      throw BadInput("open index " + d.digest.str() + " in " + m_store.name() +
                     ": indexes nested deeper than " + std::to_string(k_max_index_depth));
    }
    if (!m_seen.insert(d.digest).second) {
      throw BadInput("open index " + d.digest.str() + " in " + m_store.name() +
                     ": the index refers to itself");
    }
    std::string what = "index " + d.digest.str() + " in " + m_store.name();
    Index idx = Index::parse(read_blob(m_store, d, what), what);
    if (idx.manifests.empty()) {
      throw BadInput("open " + what + ": lists no manifests");
    }
    return select_platform(idx.manifests, what, depth + 1);
  }

  Descriptor select_platform(const std::vector<Descriptor>& ds, const std::string& where, int depth)
  {
    if (ds.size() == 1 && !ds[0].platform) {
      return follow(ds[0], where, depth);
    }
    const Descriptor* best = nullptr;
    for (const auto& d : ds) {
      if (!d.platform || !m_platform.matches(*d.platform)) {
        continue;
      }
      if (!is_manifest_media_type(d.media_type) && !is_index_media_type(d.media_type)) {
        continue;
      }
      // Prefer an exact variant match over one that matched by ignoring the variant.
      if (!best ||
          (d.platform->variant == m_platform.variant && best->platform->variant != m_platform.variant)) {
        best = &d;
      }
    }
    if (!best) {
      throw BadInput("select platform " + m_platform.str() + " in " + where +
                     ": no image for it; available: " + platform_list(ds) + " (choose with --platform)");
    }
    return follow(*best, where, depth);
  }

  const BlobStore& m_store;
  const ImageRef& m_ref;
  Platform m_platform;
  std::set<Digest> m_seen;
};

} // namespace

Image
open_image(const ImageRef& ref, const std::optional<Platform>& platform)
{
  Image img;
  img.ref = ref;
  Descriptor manifest_desc;
  if (ref.transport == Transport::docker_archive) {
    detail::DockerImage d = detail::open_docker_archive(ref);
    img.store = d.store;
    img.manifest = d.manifest;
    std::string bytes = img.manifest.serialize();
    img.manifest_digest = Digest::of(bytes);
  } else {
    std::shared_ptr<detail::OciSource> store = ref.transport == Transport::oci_layout
                                                   ? detail::open_layout_store(ref.path)
                                                   : detail::open_oci_archive_store(ref.path);
    img.store = store;
    std::string iwhat = "`index.json` of " + store->name();
    Index top = Index::parse(store->read_index(), iwhat);
    Resolver resolver(*store, ref, platform);
    manifest_desc = resolver.resolve_top(top);
    std::string mwhat = "manifest " + manifest_desc.digest.str() + " in " + store->name();
    img.manifest = Manifest::parse(read_blob(*store, manifest_desc, mwhat), mwhat);
    if (img.manifest.media_type != manifest_desc.media_type) {
      util::verbose(mwhat + ": media type " + img.manifest.media_type + " differs from the index's " +
                    manifest_desc.media_type);
    }
    img.manifest_digest = manifest_desc.digest;
  }
  std::string cwhat = "config " + img.manifest.config.digest.str() + " in " + img.store->name();
  img.config = ImageConfig::parse(read_blob(*img.store, img.manifest.config, cwhat), cwhat);
  img.config_digest = img.manifest.config.digest;
  std::vector<Digest> diff_ids = img.config.diff_ids();
  if (diff_ids.size() != img.manifest.layers.size()) {
    throw BadInput("open image " + ref.str() + ": the manifest lists " +
                   std::to_string(img.manifest.layers.size()) + " layers but the config has " +
                   std::to_string(diff_ids.size()) + " diff_ids");
  }
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    Layer l;
    l.descriptor = img.manifest.layers[i];
    l.diff_id = diff_ids[i];
    l.compression = compression_of(l.descriptor.media_type);
    img.layers.push_back(l);
  }
  img.platform = img.config.platform();
  if (platform && !img.platform.architecture.empty() && !platform->matches(img.platform)) {
    throw BadInput("open image " + ref.str() + ": it is for " + img.platform.str() + ", not " +
                   platform->str());
  }
  return img;
}

namespace {

class LayerSource : public util::ByteSource
{
public:
  LayerSource(std::unique_ptr<util::ByteSource> blob, archive::Compression c, const Digest& diff_id,
              const std::string& what)
      : m_blob(std::move(blob)), m_decoded(archive::make_decoder(c, *m_blob, what)),
        m_verified(*m_decoded, diff_id.hex, archive::VerifiedSource::any_size,
                   what + " (diff_id " + diff_id.str() + ")")
  {
  }
  size_t read(void* buf, size_t n) override { return m_verified.read(buf, n); }

private:
  std::unique_ptr<util::ByteSource> m_blob;
  std::unique_ptr<util::ByteSource> m_decoded;
  archive::VerifiedSource m_verified;
};

} // namespace

std::unique_ptr<util::ByteSource>
open_layer(const Image& image, size_t i)
{
  if (i >= image.layers.size()) {
    throw Error("open layer " + std::to_string(i) + " of " + image.ref.str() + ": the image has " +
                std::to_string(image.layers.size()) + " layers");
  }
  const Layer& l = image.layers[i];
  std::string what =
      "layer " + std::to_string(i) + " (" + l.descriptor.digest.str() + ") in " + image.store->name();
  if (l.diff_id.algorithm != "sha256") {
    throw BadInput("verify " + what + ": diff_id algorithm " + l.diff_id.algorithm + " is not supported");
  }
  if (l.compression == archive::Compression::none && l.descriptor.digest == l.diff_id) {
    // An uncompressed layer is its own diff: the blob stream already checks that digest (and the size).
    return image.store->open(l.descriptor);
  }
  return std::make_unique<LayerSource>(image.store->open(l.descriptor), l.compression, l.diff_id, what);
}

} // namespace whittle::oci
