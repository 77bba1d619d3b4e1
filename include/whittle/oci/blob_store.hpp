#pragma once
// Read access to the blobs of an image source (umoci's cas.Engine). Implemented by an OCI layout
// directory, an oci-archive and a docker-archive (both read in place from the tar file: members are
// indexed once, then read with pread, so nothing is extracted).
#include <memory>
#include <string>
#include <whittle/oci/descriptor.hpp>
#include <whittle/util/byte_stream.hpp>

namespace whittle::oci {

class BlobStore
{
public:
  virtual ~BlobStore() = default;
  // Returns a stream of the blob verified against the descriptor's digest and size (mismatch throws
  // BadInput at the latest at end of stream). Throws BadInput if the blob is missing. Thread-safe: several
  // streams may be open and read from different threads at once.
  virtual std::unique_ptr<util::ByteSource> open(const Descriptor& d) const = 0;
  // Human-readable name of the source, for messages ("`dir`", "`file.tar`").
  virtual std::string name() const = 0;
};

} // namespace whittle::oci
