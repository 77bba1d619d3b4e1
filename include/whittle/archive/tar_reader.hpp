#pragma once
// Streaming tar reader over a ByteSource (libarchive underneath, pax/gnu/ustar). Entries are read in
// order; the content of the current entry is read with read_data() before moving on (unread content is
// skipped). Nothing is buffered beyond libarchive's block.
// Sparse files (GNU and pax sparse formats) read as their full content, holes as zeros. The zeros are
// output no archive stored, so they count against the decode limits (compression.hpp): once the holes of
// a layer pass ratio_floor bytes at more than max_ratio times the tar bytes read, or max_output in all,
// reading a sparse file's content fails naming the entry (its header is still read, so inspect works).
#include <exception>
#include <memory>
#include <string>
#include <whittle/archive/compression.hpp>
#include <whittle/archive/tar_entry.hpp>
#include <whittle/util/byte_stream.hpp>

struct archive;

namespace whittle::archive {

class TarReader
{
public:
  // `what` names the stream in errors, e.g. "layer sha256:ab.. of `img.tar`". The source must already
  // be decompressed (the reader accepts only raw tar).
  TarReader(util::ByteSource& src, std::string what, DecodeLimits limits = default_decode_limits());
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;
  ~TarReader();

  // Reads the next header into `entry`; returns false at the end of the archive, after reading the source
  // to its end (padding after the end blocks is ignored, but verifying and decoding sources see it all).
  // Throws BadInput naming the stream and the entry on a corrupt or truncated archive, including one that
  // stops without its end-of-archive blocks. Names are returned raw (libarchive sanitizes nothing here).
  // Unread content is skipped, through ByteSource::skip where the source supports it.
  bool next(TarEntry& entry);
  // Reads content of the current entry; returns 0 at its end. Throws BadInput on truncation.
  size_t read_data(void* buf, size_t n);
  // A ByteSource over the current entry's content (valid until next()).
  util::ByteSource& data();
  // Byte offset of the current entry's header in the stream (for indexing uncompressed tar files).
  int64_t header_offset() const;
  const std::string& what() const { return m_what; }

private:
  class DataSource : public util::ByteSource
  {
  public:
    explicit DataSource(TarReader& r) : m_r(r) {}
    size_t read(void* buf, size_t n) override { return m_r.read_data(buf, n); }

  private:
    TarReader& m_r;
  };

  static long read_callback(struct ::archive*, void* self, const void** buf);
  static int64_t skip_callback(struct ::archive*, void* self, int64_t n);
  [[noreturn]] void fail(const std::string& context);
  size_t read_sparse(char* out, size_t n);
  size_t emit_zeros(char* out, size_t n);

  util::ByteSource& m_src;
  std::string m_what;
  struct ::archive* m_ar;
  std::unique_ptr<char[]> m_buf;
  std::string m_current;
  DataSource m_data{*this};
  int64_t m_header_offset = 0;
  uint64_t m_src_bytes = 0; // bytes read from m_src so far
  bool m_src_eof = false;
  bool m_ended = false;           // next() returned false
  std::exception_ptr m_src_error; // thrown by m_src inside libarchive's callback, rethrown outside it

  // The current entry when it is sparse: its size, the position reached, the data block being copied
  // (from archive_read_data_block, whose offsets skip the holes) and whether the blocks have ended.
  struct Sparse
  {
    bool active = false;
    uint64_t size = 0;
    uint64_t pos = 0;
    const char* block = nullptr;
    uint64_t block_offset = 0;
    size_t block_left = 0;
    bool blocks_ended = false;
  };
  Sparse m_sparse;
  DecodeLimits m_limits;
  uint64_t m_hole_bytes = 0; // zeros output for holes in this stream so far
};

} // namespace whittle::archive
