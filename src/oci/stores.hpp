#pragma once
// Internal: the BlobStore implementations (OCI layout dir, oci-archive, docker-archive) and the tar
// member index the archives are read through in place.
#include <map>
#include <memory>
#include <string>
#include <whittle/oci/blob_store.hpp>
#include <whittle/oci/manifest.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/util/fd.hpp>

namespace whittle::oci::detail {

// Wraps `inner` in a stream verified against d's digest and size; takes ownership. Throws BadInput for
// a digest algorithm that cannot be verified (only sha256 can).
std::unique_ptr<util::ByteSource> verified(std::unique_ptr<util::ByteSource> inner, const Descriptor& d,
                                           const std::string& what);

// A store that also holds an OCI `index.json`.
class OciSource : public BlobStore
{
public:
  // Returns the bytes of index.json (at most k_max_json_bytes). Throws BadInput if missing or too large.
  virtual std::string read_index() const = 0;
};

// Opens an OCI layout directory; checks its `oci-layout` file. Blob paths are opened beneath the
// directory only (openat2 RESOLVE_BENEATH): a symlinked blob leading outside is refused. Throws BadInput.
std::shared_ptr<OciSource> open_layout_store(const std::string& dir);

// The regular-file members of an uncompressed tar file, indexed once, read with pread (thread-safe).
class TarIndex
{
public:
  struct Member
  {
    uint64_t data_offset = 0;
    uint64_t size = 0;
  };
  // Indexes `file`. Throws BadInput on a compressed outer archive, a truncated or corrupt tar, or
  // duplicate or unsafe member names.
  explicit TarIndex(const std::string& file);
  const std::string& file() const { return m_file; }
  // Returns the member named `name` ("./" prefixes ignored; hardlinks and relative symlinks that stay
  // inside the archive resolved, at most 8 hops), or nullptr.
  const Member* find(const std::string& name) const;
  // Returns a stream of a member's bytes; `self` must own this index (the stream keeps it alive).
  static std::unique_ptr<util::ByteSource> open(const std::shared_ptr<const TarIndex>& self, const Member& m);
  // Reads a small member whole (at most k_max_json_bytes). Throws BadInput if missing or too large.
  std::string read_small(const std::string& name, const std::string& what) const;
  // Reads the first bytes of a member (for sniffing compression).
  size_t peek(const Member& m, unsigned char* buf, size_t n) const;
  int fd() const { return m_fd.get(); }

private:
  std::string m_file;
  util::Fd m_fd;
  std::map<std::string, Member> m_members;
  std::map<std::string, std::string> m_hardlinks; // name -> target name
  std::map<std::string, std::string> m_symlinks; // name -> target name, resolved against the link's directory
};

// Opens an oci-archive (a tar of an OCI layout) in place. Throws BadInput.
std::shared_ptr<OciSource> open_oci_archive_store(const std::string& file);

// A docker-archive image resolved to an equivalent Docker v2s2 manifest over its members.
struct DockerImage
{
  std::shared_ptr<const BlobStore> store;
  Manifest manifest;
};

// Reads manifest.json of a docker-archive and selects the image named ref.tag (NAME:TAG, "docker.io/"
// and "library/" prefixes and a missing ":latest" tolerated) or the only one. Layer digests come from
// "blobs/sha256/<hex>" names, from the diff_id for uncompressed layers (then checked as they are read)
// or by hashing compressed members once. Throws BadInput.
DockerImage open_docker_archive(const ImageRef& ref);

// Normalises a docker reference for comparison: "docker.io/library/x:latest" == "x" == "x:latest".
std::string normalise_docker_name(const std::string& name);

} // namespace whittle::oci::detail
