#pragma once
// Writing an image to any transport, atomically and reproducibly. Blobs are streamed into a temporary
// directory next to the destination; commit() writes the manifest, config and index last and renames the
// result into place (for archives, the tar file is assembled in sorted order, then renamed). Destroying an
// uncommitted writer removes everything it wrote.
//
// Per transport:
// - oci:DIR[:TAG]: an OCI layout with only the blobs the image refers to, `oci-layout` and an index.json
//   with one manifest annotated org.opencontainers.image.ref.name = TAG (default "latest"). An existing
//   destination is REPLACED as a whole at commit (not merged: other tags in it are gone); it is moved
//   aside, the new directory renamed in, then the old one removed.
// - oci-archive:FILE[:TAG]: the same layout as a tar: entries "blobs/", "blobs/sha256/", the blobs,
//   "index.json", "oci-layout" in sorted order, mode 0644/0755, uid/gid 0, no user names, mtime
//   ImageWriterOptions::source_date_epoch or 0. For `podman load` to name the image, give a full name as TAG
//   (oci-archive:FILE:localhost/app:1), as `podman save` writes it.
// - docker-archive:FILE[:NAME[:TAG]]: manifest.json [{Config: "<hex>.json", RepoTags: [NAME:TAG] (":latest"
//   added when no tag; [] when no name), Layers: ["<hex>.tar", ...]}], the config and the layers, no
//   legacy <id>/json files. Layers are always stored UNCOMPRESSED whatever compression is asked for, as
//   `docker save` and containers/image's docker-archive writer do: it is what every loader accepts, and a
//   layer's digest then equals its diff_id. The manifest digest returned (and reported by open_image of
//   the result) is that of the equivalent Docker v2s2 manifest, which the archive does not store.
// Equal inputs give byte-identical outputs (same files, same tar bytes, same manifest digest).
#include <memory>
#include <optional>
#include <string>
#include <whittle/archive/compression.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/oci/reference.hpp>

namespace whittle::oci {

// A blob being written: a sink that hashes as it stores. finish_blob() returns its descriptor.
class BlobWriter : public util::ByteSink
{
public:
  virtual Descriptor finish_blob(const std::string& media_type) = 0;
};

struct ImageWriterOptions
{
  // The mtime (seconds since 1970) of every entry of an archive destination; 0 when unset. cli takes it
  // from SOURCE_DATE_EPOCH.
  std::optional<int64_t> source_date_epoch;
};

class ImageWriter
{
public:
  // Throws Error if the destination's parent directory is missing. An existing destination is replaced
  // only at commit.
  explicit ImageWriter(ImageRef dest, ImageWriterOptions options = {});
  ~ImageWriter();
  ImageWriter(const ImageWriter&) = delete;
  ImageWriter& operator=(const ImageWriter&) = delete;

  // Starts a new blob. Several may be open at once (one per thread).
  std::unique_ptr<BlobWriter> begin_blob();
  // Adds a small blob held in memory (config, manifest).
  Descriptor add_blob(const std::string& data, const std::string& media_type);

  // Copies layer i of `src` (decoded, verified) re-encoded with `c`; returns its descriptor. The diff_id
  // stays the same; `c` == the source's compression still re-encodes (deterministic output). For a
  // docker-archive destination `c` is ignored (layers stay uncompressed, see above). Thread-safe: layers
  // may be copied from several threads at once. Throws BadInput when the source fails verification.
  Descriptor copy_layer(const Image& src, size_t i, archive::Compression c);

  // Writes config and manifest, the index (with the ref name annotation) or docker manifest.json, and
  // renames into place. Returns the manifest digest. The config is written in its canonical form
  // (ImageConfig::serialize); layer media types are mapped to the destination's family (OCI or Docker).
  // Throws Error if layers and config diff_ids differ in number, if a layer was not written by this
  // writer, or on any I/O failure (the destination is then untouched).
  Digest commit(const ImageConfig& config, const std::vector<Descriptor>& layers,
                const std::map<std::string, std::string>& manifest_annotations = {});

  const ImageRef& dest() const { return m_dest; }

private:
  struct Impl;
  ImageRef m_dest;
  ImageWriterOptions m_options;
  std::unique_ptr<Impl> m_impl;
};

// Media type of an OCI layer with compression c.
std::string layer_media_type(archive::Compression c);

} // namespace whittle::oci
