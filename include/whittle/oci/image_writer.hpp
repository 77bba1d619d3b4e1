#pragma once
// Writing an image to any transport, atomically and reproducibly. Blobs are streamed into a temporary
// directory next to the destination; commit() writes the manifest, config and index last and renames the
// result into place (for archives, the tar file is assembled in sorted order, then renamed). Destroying an
// uncommitted writer removes everything it wrote.
#include <whittle/archive/compression.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/oci/reference.hpp>

#include <memory>
#include <string>

namespace whittle::oci {

// A blob being written: a sink that hashes as it stores. finish_blob() returns its descriptor.
class BlobWriter : public util::ByteSink
{
public:
  virtual Descriptor finish_blob(const std::string& media_type) = 0;
};

class ImageWriter
{
public:
  // Throws Error if the destination's parent directory is missing. An existing destination is replaced
  // only at commit.
  explicit ImageWriter(ImageRef dest);
  ~ImageWriter();
  ImageWriter(const ImageWriter&) = delete;
  ImageWriter& operator=(const ImageWriter&) = delete;

  // Starts a new blob. Several may be open at once (one per thread).
  std::unique_ptr<BlobWriter> begin_blob();
  // Adds a small blob held in memory (config, manifest).
  Descriptor add_blob(const std::string& data, const std::string& media_type);

  // Copies layer i of `src` (decoded, verified) re-encoded with `c`; returns its descriptor. The diff_id
  // stays the same; `c` == the source's compression still re-encodes (deterministic output).
  Descriptor copy_layer(const Image& src, size_t i, archive::Compression c);

  // Writes config and manifest, the index (with the ref name annotation) or docker manifest.json, and
  // renames into place. Returns the manifest digest. Throws Error.
  Digest commit(const ImageConfig& config, const std::vector<Descriptor>& layers,
                const std::map<std::string, std::string>& manifest_annotations = {});

  const ImageRef& dest() const { return m_dest; }

private:
  struct Impl;
  ImageRef m_dest;
  std::unique_ptr<Impl> m_impl;
};

// Media type of an OCI layer with compression c.
std::string layer_media_type(archive::Compression c);

} // namespace whittle::oci
