#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <vector>
#include <whittle/util/byte_stream.hpp>
#include <whittle/util/error.hpp>

namespace whittle::util {

namespace {
constexpr size_t k_copy_buffer = 256 * 1024;
}

uint64_t
copy_stream(ByteSource& src, ByteSink& dst)
{
  // Not zero-filled: callers drain one tar entry at a time, and clearing 256 KiB per entry dominated.
  std::unique_ptr<char[]> buf(new char[k_copy_buffer]);
  uint64_t total = 0;
  while (size_t n = src.read(buf.get(), k_copy_buffer)) {
    dst.write(buf.get(), n);
    total += n;
  }
  return total;
}

uint64_t
drain(ByteSource& src)
{
  NullSink sink;
  return copy_stream(src, sink);
}

FdSource::FdSource(int fd, std::string name, uint64_t offset, uint64_t length)
    : m_fd(fd), m_name(std::move(name)), m_offset(offset), m_remaining(length), m_positional(length != npos)
{
}

size_t
FdSource::read(void* buf, size_t n)
{
  if (m_positional) {
    n = static_cast<size_t>(std::min<uint64_t>(n, m_remaining));
    if (n == 0) {
      return 0;
    }
  }
  for (;;) {
    ssize_t got = m_positional ? ::pread(m_fd, buf, n, static_cast<off_t>(m_offset)) : ::read(m_fd, buf, n);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("read `" + m_name + "`");
    }
    if (m_positional) {
      if (got == 0) {
        throw BadInput("read `" + m_name + "`: unexpected end of file (truncated?)");
      }
      m_offset += static_cast<uint64_t>(got);
      m_remaining -= static_cast<uint64_t>(got);
    }
    return static_cast<size_t>(got);
  }
}

uint64_t
FdSource::skip(uint64_t n)
{
  if (!m_positional) {
    return 0;
  }
  n = std::min(n, m_remaining);
  m_offset += n;
  m_remaining -= n;
  return n;
}

FdSink::FdSink(int fd, std::string name, bool holes) : m_fd(fd), m_name(std::move(name)), m_holes(holes)
{
}

void
FdSink::write(const void* buf, size_t n)
{
  const char* p = static_cast<const char*>(buf);
  if (m_holes && n >= 4096 && p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0) {
    if (::lseek(m_fd, static_cast<off_t>(n), SEEK_CUR) < 0) {
      throw_errno("seek in `" + m_name + "`");
    }
    m_written += n;
    m_ends_in_hole = true;
    return;
  }
  m_ends_in_hole = false;
  while (n > 0) {
    ssize_t put = ::write(m_fd, p, n);
    if (put < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("write `" + m_name + "`");
    }
    p += put;
    n -= static_cast<size_t>(put);
    m_written += static_cast<uint64_t>(put);
  }
}

void
FdSink::finish()
{
  if (m_ends_in_hole) {
    off_t end = ::lseek(m_fd, 0, SEEK_CUR);
    if (end < 0 || ::ftruncate(m_fd, end) != 0) {
      throw_errno("set the size of `" + m_name + "`");
    }
    m_ends_in_hole = false;
  }
}

size_t
StringSource::read(void* buf, size_t n)
{
  n = std::min(n, m_data.size() - m_pos);
  std::memcpy(buf, m_data.data() + m_pos, n);
  m_pos += n;
  return n;
}

std::string
read_all(ByteSource& src, size_t max_bytes, const std::string& what)
{
  std::string out;
  char buf[64 * 1024];
  while (size_t n = src.read(buf, sizeof buf)) {
    if (out.size() + n > max_bytes) {
      throw BadInput("read " + what + ": larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, n);
  }
  return out;
}

} // namespace whittle::util
