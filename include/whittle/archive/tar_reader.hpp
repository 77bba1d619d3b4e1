#pragma once
// Streaming tar reader over a ByteSource (libarchive underneath, pax/gnu/ustar). Entries are read in
// order; the content of the current entry is read with read_data() before moving on (unread content is
// skipped). Nothing is buffered beyond libarchive's block.
#include <whittle/archive/tar_entry.hpp>
#include <whittle/util/byte_stream.hpp>

#include <exception>
#include <memory>
#include <string>

struct archive;

namespace whittle::archive {

class TarReader
{
public:
  // `what` names the stream in errors, e.g. "layer sha256:ab.. of `img.tar`". The source must already
  // be decompressed (the reader accepts only raw tar).
  TarReader(util::ByteSource& src, std::string what);
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

  util::ByteSource& m_src;
  std::string m_what;
  struct ::archive* m_ar;
  std::unique_ptr<char[]> m_buf;
  std::string m_current;
  DataSource m_data{*this};
  int64_t m_header_offset = 0;
  uint64_t m_src_bytes = 0;       // bytes read from m_src so far
  bool m_src_eof = false;
  bool m_ended = false;           // next() returned false
  std::exception_ptr m_src_error; // thrown by m_src inside libarchive's callback, rethrown outside it
};

} // namespace whittle::archive
