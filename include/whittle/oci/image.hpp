#pragma once
// Opening an image: reference -> (index ->) manifest -> config, all verified; and its layer streams.
#include <memory>
#include <optional>
#include <whittle/archive/compression.hpp>
#include <whittle/oci/blob_store.hpp>
#include <whittle/oci/image_config.hpp>
#include <whittle/oci/manifest.hpp>
#include <whittle/oci/reference.hpp>

namespace whittle::oci {

struct Layer
{
  Descriptor descriptor; // as in the manifest
  Digest diff_id;        // from the config
  archive::Compression compression;
};

struct Image
{
  ImageRef ref;
  std::shared_ptr<const BlobStore> store;
  Digest manifest_digest;
  Manifest manifest;
  ImageConfig config;
  Digest config_digest;
  std::vector<Layer> layers;
  Platform platform;
};

// Opens the image named by ref. An index is resolved by the tag (ref.name annotation) or digest, then by
// platform (default Platform::host()); docker-archive picks by NAME:TAG or the only image. Verifies the
// manifest and config digests and that layers and diff_ids agree in number. Throws BadInput (naming the
// file and the object) or Error.
// Details: without a tag, index.json must list one manifest (or only platform-annotated entries, which
// are then chosen by platform); several tagged images give an error listing the tags. Nested indexes are
// followed up to 4 deep; a loop is refused. An explicit `platform` must also match the config's; the
// default (host) only steers the choice in an index, so a single foreign-arch image still opens.
// JSON documents (index, manifest, config, manifest.json) are limited to 4 MiB. Archives are read in
// place (never extracted); a compressed outer archive (.tar.gz) is refused. For docker-archive the
// manifest is synthesized (Docker v2s2 media types) and manifest_digest is the digest of its canonical
// serialisation; uncompressed layers get their diff_id as digest (checked as they stream).
Image open_image(const ImageRef& ref, const std::optional<Platform>& platform = std::nullopt);

// Returns the uncompressed tar stream of layer i: the blob is verified against its descriptor and the
// decoded stream against the diff_id (both checked by the end of the stream; read it to the end).
std::unique_ptr<util::ByteSource> open_layer(const Image& image, size_t i);

} // namespace whittle::oci
