#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <whittle/archive/tar_reader.hpp>
#include <whittle/util/error.hpp>

namespace whittle::archive {

namespace {

constexpr size_t k_read_block = 256 * 1024;

// libarchive reports truncation in several wordings ("Truncated tar archive", "... detected while
// reading ..."); callers see one.
std::string
libarchive_message(struct ::archive* ar)
{
  const char* msg = archive_error_string(ar);
  std::string s = msg ? msg : "unknown libarchive error";
  if (s.find("Truncated") != std::string::npos || s.find("truncated") != std::string::npos) {
    return "unexpected end of archive (truncated?)";
  }
  return s;
}

// Names as stored: libarchive gives the locale form, or only the UTF-8 form when the locale cannot hold it.
std::string
stored_string(const char* mbs, const char* utf8)
{
  if (mbs) {
    return mbs;
  }
  return utf8 ? utf8 : "";
}

uint32_t
id_value(int64_t v, const char* field, const std::string& context)
{
  if (v < 0 || v > static_cast<int64_t>(UINT32_MAX)) {
    throw BadInput(context + ": " + field + " " + std::to_string(v) + " is out of range");
  }
  return static_cast<uint32_t>(v);
}

} // namespace

TarReader::TarReader(util::ByteSource& src, std::string what, DecodeLimits limits)
    : m_src(src), m_what(std::move(what)), m_ar(archive_read_new()), m_buf(new char[k_read_block]),
      m_limits(limits)
{
  if (!m_ar) {
    throw Error("read " + m_what + ": cannot create a libarchive reader");
  }
  // Only tar (ustar, pax, GNU); no filters: decompression is ours (compression.hpp), with its limits.
  if (archive_read_support_format_tar(m_ar) != ARCHIVE_OK ||
      archive_read_open2(m_ar, this, nullptr, &TarReader::read_callback, &TarReader::skip_callback,
                         nullptr) != ARCHIVE_OK) {
    std::exception_ptr err = m_src_error;
    std::string msg = "read " + m_what + ": " + libarchive_message(m_ar);
    archive_read_free(m_ar);
    if (err) {
      std::rethrow_exception(err);
    }
    throw BadInput(msg);
  }
}

TarReader::~TarReader()
{
  archive_read_free(m_ar);
}

long
TarReader::read_callback(struct ::archive* ar, void* self, const void** buf)
{
  auto* r = static_cast<TarReader*>(self);
  *buf = r->m_buf.get();
  if (r->m_src_eof) {
    return 0;
  }
  try {
    size_t got = r->m_src.read(r->m_buf.get(), k_read_block);
    r->m_src_bytes += got;
    r->m_src_eof = got == 0;
    return static_cast<long>(got);
  } catch (...) {
    // Exceptions must not unwind through libarchive's C frames.
    r->m_src_error = std::current_exception();
    archive_set_error(ar, EIO, "reading the stream failed");
    return -1;
  }
}

int64_t
TarReader::skip_callback(struct ::archive* ar, void* self, int64_t n)
{
  // Content nobody reads is skipped in the source when it can (a tar file indexed in place); sources that
  // verify or decode return 0 and libarchive reads through instead.
  auto* r = static_cast<TarReader*>(self);
  if (r->m_src_eof || n <= 0) {
    return 0;
  }
  try {
    uint64_t skipped = r->m_src.skip(static_cast<uint64_t>(n));
    r->m_src_bytes += skipped;
    return static_cast<int64_t>(skipped);
  } catch (...) {
    r->m_src_error = std::current_exception();
    archive_set_error(ar, EIO, "skipping in the stream failed");
    return ARCHIVE_FATAL;
  }
}

void
TarReader::fail(const std::string& context)
{
  if (m_src_error) {
    std::exception_ptr err = m_src_error;
    m_src_error = nullptr;
    std::rethrow_exception(err);
  }
  throw BadInput("read " + m_what + (context.empty() ? "" : ": " + context) + ": " +
                 libarchive_message(m_ar));
}

bool
TarReader::next(TarEntry& entry)
{
  if (m_ended) {
    return false;
  }
  struct archive_entry* e = nullptr;
  int r = archive_read_next_header(m_ar, &e);
  const std::string after = m_current.empty() ? "" : "after entry `" + m_current + "`";
  if (r == ARCHIVE_EOF) {
    m_ended = true;
    // libarchive ends quietly when the stream stops at a header boundary; a tar without its end-of-archive
    // blocks is a truncated one. Reading the rest also lets verifying and decoding sources see the end.
    auto end_pos = static_cast<uint64_t>(archive_read_header_position(m_ar));
    while (!m_src_eof) {
      size_t got = m_src.read(m_buf.get(), k_read_block);
      m_src_bytes += got;
      m_src_eof = got == 0;
    }
    if (m_src_bytes <= end_pos) {
      throw BadInput("read " + m_what + (after.empty() ? "" : ": " + after) +
                     ": unexpected end of archive (no end-of-archive marker; truncated?)");
    }
    return false;
  }
  // ARCHIVE_RETRY (a damaged header) ranks above ARCHIVE_WARN, so compare for the two good values.
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    fail(after);
  }
  m_header_offset = archive_read_header_position(m_ar);

  entry = TarEntry{};
  entry.path = stored_string(archive_entry_pathname(e), archive_entry_pathname_utf8(e));
  if (entry.path.empty()) {
    fail(after.empty() ? "first entry" : after);
  }
  m_current = entry.path;
  m_sparse = Sparse{};
  const std::string context = "read " + m_what + ": entry `" + entry.path + "`";
  const char* hardlink = archive_entry_hardlink(e);
  const char* hardlink_utf8 = archive_entry_hardlink_utf8(e);
  if (hardlink || hardlink_utf8) {
    entry.type = EntryType::hardlink;
    entry.link_target = stored_string(hardlink, hardlink_utf8);
  } else {
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      entry.type = EntryType::regular;
      break;
    case AE_IFDIR:
      entry.type = EntryType::directory;
      break;
    case AE_IFLNK:
      entry.type = EntryType::symlink;
      entry.link_target = stored_string(archive_entry_symlink(e), archive_entry_symlink_utf8(e));
      break;
    case AE_IFCHR:
      entry.type = EntryType::char_device;
      break;
    case AE_IFBLK:
      entry.type = EntryType::block_device;
      break;
    case AE_IFIFO:
      entry.type = EntryType::fifo;
      break;
    default:
      throw BadInput(context + ": unsupported entry type");
    }
  }
  entry.mode = static_cast<uint32_t>(archive_entry_perm(e)) & 07777;
  entry.uid = id_value(archive_entry_uid(e), "uid", context);
  entry.gid = id_value(archive_entry_gid(e), "gid", context);
  entry.uname = stored_string(archive_entry_uname(e), archive_entry_uname_utf8(e));
  entry.gname = stored_string(archive_entry_gname(e), archive_entry_gname_utf8(e));
  entry.mtime = static_cast<int64_t>(archive_entry_mtime(e));
  if (entry.type == EntryType::regular) {
    int64_t size = archive_entry_size(e);
    if (size < 0) {
      throw BadInput(context + ": negative size");
    }
    entry.size = static_cast<uint64_t>(size);
    if (archive_entry_sparse_count(e) > 0) {
      m_sparse.active = true;
      m_sparse.size = entry.size;
    }
  }
  if (entry.type == EntryType::char_device || entry.type == EntryType::block_device) {
    entry.dev_major = static_cast<uint32_t>(archive_entry_rdevmajor(e));
    entry.dev_minor = static_cast<uint32_t>(archive_entry_rdevminor(e));
  }
  if (archive_entry_xattr_reset(e) > 0) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      entry.xattrs[name ? name : ""] = std::string(static_cast<const char*>(value), value ? size : 0);
    }
  }
  return true;
}

size_t
TarReader::read_data(void* buf, size_t n)
{
  if (m_ended || m_current.empty() || n == 0) {
    return 0;
  }
  if (m_sparse.active) {
    return read_sparse(static_cast<char*>(buf), n);
  }
  la_ssize_t got = archive_read_data(m_ar, buf, n);
  if (got < 0) {
    fail("entry `" + m_current + "`");
  }
  return static_cast<size_t>(got);
}

size_t
TarReader::emit_zeros(char* out, size_t n)
{
  m_hole_bytes += n;
  bool ratio = m_hole_bytes > m_limits.ratio_floor &&
               m_hole_bytes / std::max<uint64_t>(m_src_bytes, 1) > m_limits.max_ratio;
  if (m_hole_bytes > m_limits.max_output || ratio) {
    throw BadInput("read " + m_what + ": entry `" + m_current + "`: a sparse file of " +
                   std::to_string(m_sparse.size) + " bytes whose holes expand the layer past " +
                   (ratio ? std::to_string(m_limits.max_ratio) + " times its size (WHITTLE_MAX_LAYER_RATIO"
                          : std::to_string(m_limits.max_output) + " bytes (WHITTLE_MAX_LAYER_BYTES") +
                   "; a sparse-file bomb?)");
  }
  std::memset(out, 0, n);
  m_sparse.pos += n;
  return n;
}

size_t
TarReader::read_sparse(char* out, size_t n)
{
  auto& s = m_sparse;
  const std::string context = "entry `" + m_current + "`";
  while (true) {
    if (s.block_left > 0) {
      if (s.pos < s.block_offset) { // the hole before this block
        return emit_zeros(out, static_cast<size_t>(std::min<uint64_t>(n, s.block_offset - s.pos)));
      }
      size_t k = std::min(n, s.block_left);
      std::memcpy(out, s.block, k);
      s.block += k;
      s.block_left -= k;
      s.pos += k;
      return k;
    }
    if (s.blocks_ended) { // the hole at the end, up to the file's size
      return s.pos < s.size ? emit_zeros(out, static_cast<size_t>(std::min<uint64_t>(n, s.size - s.pos))) : 0;
    }
    const void* block = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(m_ar, &block, &len, &offset);
    if (r == ARCHIVE_EOF) {
      s.blocks_ended = true;
      continue;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      fail(context);
    }
    if (offset < 0 || static_cast<uint64_t>(offset) < s.pos || static_cast<uint64_t>(offset) + len > s.size) {
      throw BadInput("read " + m_what + ": " + context +
                     ": sparse map out of order or beyond the file's size");
    }
    s.block = static_cast<const char*>(block);
    s.block_offset = static_cast<uint64_t>(offset);
    s.block_left = len;
  }
}

util::ByteSource&
TarReader::data()
{
  return m_data;
}

int64_t
TarReader::header_offset() const
{
  return m_header_offset;
}

} // namespace whittle::archive
