#pragma once
// The two stream seams every layer of the pipeline is built on: blobs, codecs and tar readers/writers pass
// bytes through these, so nothing ever needs a whole layer in memory.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace whittle::util {

class ByteSource
{
public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes into buf; returns the count, 0 only at end of stream. Throws Error (or BadInput)
  // on failure, including a verification failure detected at end of stream.
  virtual size_t read(void* buf, size_t n) = 0;
  // Skips up to n bytes without reading them where that is cheap (a file range); returns how many were
  // skipped, possibly 0 (the default: the caller reads instead). Sources that hash or decode never skip.
  virtual uint64_t skip(uint64_t) { return 0; }
};

class ByteSink
{
public:
  virtual ~ByteSink() = default;
  // Writes all n bytes or throws Error.
  virtual void write(const void* buf, size_t n) = 0;
  // Flushes whatever a codec holds back; called once after the last write. Throws Error.
  virtual void finish() {}
};

// Copies src to dst until end of stream; returns the byte count. Does not call dst.finish().
uint64_t copy_stream(ByteSource& src, ByteSink& dst);

// Reads src to its end and discards the bytes (so verifying wrappers see all of it); returns the count.
uint64_t drain(ByteSource& src);

// A source over a file descriptor range [offset, offset+length) read with pread, or the whole file
// from its current position when length is npos. Does not own the descriptor.
class FdSource : public ByteSource
{
public:
  static constexpr uint64_t npos = UINT64_MAX;
  FdSource(int fd, std::string name, uint64_t offset = 0, uint64_t length = npos);
  size_t read(void* buf, size_t n) override;
  // Skips within the range (positional mode only).
  uint64_t skip(uint64_t n) override;

private:
  int m_fd;
  std::string m_name;
  uint64_t m_offset;
  uint64_t m_remaining;
  bool m_positional;
};

// A sink writing to a file descriptor (not owned); closing is the owner's job. With `holes`, a write of
// 4 KiB or more of zeros seeks instead of writing (the file gets a hole, as tar -x --sparse does: layers
// full of zeros, sparse files among them, stay small in a tmpfs work dir), and finish() sets the final size.
class FdSink : public ByteSink
{
public:
  FdSink(int fd, std::string name, bool holes = false);
  void write(const void* buf, size_t n) override;
  void finish() override;
  uint64_t bytes_written() const { return m_written; }

private:
  int m_fd;
  std::string m_name;
  bool m_holes;
  bool m_ends_in_hole = false;
  uint64_t m_written = 0;
};

// A source over a string held in memory (small things: JSON documents, test fixtures).
class StringSource : public ByteSource
{
public:
  explicit StringSource(std::string data) : m_data(std::move(data)) {}
  size_t read(void* buf, size_t n) override;

private:
  std::string m_data;
  size_t m_pos = 0;
};

// A sink appending to a string (small things only).
class StringSink : public ByteSink
{
public:
  void write(const void* buf, size_t n) override { m_data.append(static_cast<const char*>(buf), n); }
  const std::string& data() const { return m_data; }
  std::string take() { return std::move(m_data); }

private:
  std::string m_data;
};

// A sink that counts and discards.
class NullSink : public ByteSink
{
public:
  void write(const void*, size_t n) override { m_count += n; }
  uint64_t count() const { return m_count; }

private:
  uint64_t m_count = 0;
};

// Reads a whole source into a string, refusing more than max_bytes (throws BadInput naming `what`).
std::string read_all(ByteSource& src, size_t max_bytes, const std::string& what);

} // namespace whittle::util
