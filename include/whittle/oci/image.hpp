#pragma once
// Opening an image: reference -> (index ->) manifest -> config, all verified; and its layer streams.
#include <whittle/archive/compression.hpp>
#include <whittle/oci/blob_store.hpp>
#include <whittle/oci/image_config.hpp>
#include <whittle/oci/manifest.hpp>
#include <whittle/oci/reference.hpp>

#include <memory>
#include <optional>

namespace whittle::oci {

struct Layer
{
  Descriptor descriptor;          // as in the manifest
  Digest diff_id;                 // from the config
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
Image open_image(const ImageRef& ref, const std::optional<Platform>& platform = std::nullopt);

// Returns the uncompressed tar stream of layer i: the blob is verified against its descriptor and the
// decoded stream against the diff_id (both checked by the end of the stream; read it to the end).
std::unique_ptr<util::ByteSource> open_layer(const Image& image, size_t i);

} // namespace whittle::oci
