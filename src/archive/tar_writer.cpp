#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <whittle/archive/tar_writer.hpp>
#include <whittle/util/error.hpp>

namespace whittle::archive {

namespace {

constexpr size_t k_copy_block = 256 * 1024;
// Output granularity of libarchive's writes to the sink; the last block is not padded (see constructor).
constexpr int k_write_block = 64 * 1024;

struct EntryDeleter
{
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

unsigned int
ae_type(EntryType t)
{
  switch (t) {
  case EntryType::regular:
  case EntryType::hardlink:
    return AE_IFREG;
  case EntryType::directory:
    return AE_IFDIR;
  case EntryType::symlink:
    return AE_IFLNK;
  case EntryType::char_device:
    return AE_IFCHR;
  case EntryType::block_device:
    return AE_IFBLK;
  case EntryType::fifo:
    return AE_IFIFO;
  }
  return AE_IFREG;
}

} // namespace

TarWriter::TarWriter(util::ByteSink& sink, std::string what)
    : m_sink(sink), m_what(std::move(what)), m_ar(archive_write_new()), m_buf(new char[k_copy_block])
{
  if (!m_ar) {
    throw Error("write " + m_what + ": cannot create a libarchive writer");
  }
  // pax restricted: plain ustar headers, plus a pax header only for what ustar cannot hold (long names,
  // large ids or sizes, xattrs as SCHILY.xattr, the form GNU tar and Go's archive/tar read). The archive ends
  // right after the two end blocks: no record padding.
  if (archive_write_set_format_pax_restricted(m_ar) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(m_ar, k_write_block) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(m_ar, 1) != ARCHIVE_OK ||
      archive_write_set_format_option(m_ar, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
      archive_write_open2(m_ar, this, nullptr, &TarWriter::write_callback, nullptr, nullptr) != ARCHIVE_OK) {
    std::string msg = archive_error_string(m_ar) ? archive_error_string(m_ar) : "libarchive failed";
    archive_write_free(m_ar);
    throw Error("write " + m_what + ": " + msg);
  }
}

TarWriter::~TarWriter()
{
  // Freeing closes the archive. For an unfinished writer that close must not reach the sink (the caller
  // discards that output), yet it must run: libarchive frees its block buffer only when closing, so
  // archive_write_fail() would leak it.
  m_discard = !m_finished;
  archive_write_free(m_ar);
}

long
TarWriter::write_callback(struct ::archive* ar, void* self, const void* buf, size_t n)
{
  auto* w = static_cast<TarWriter*>(self);
  if (w->m_discard) {
    return static_cast<long>(n);
  }
  try {
    w->m_sink.write(buf, n);
    return static_cast<long>(n);
  } catch (...) {
    // Exceptions must not unwind through libarchive's C frames.
    w->m_sink_error = std::current_exception();
    archive_set_error(ar, EIO, "writing the stream failed");
    return -1;
  }
}

void
TarWriter::fail(const std::string& context)
{
  if (m_sink_error) {
    std::exception_ptr err = m_sink_error;
    m_sink_error = nullptr;
    std::rethrow_exception(err);
  }
  const char* msg = archive_error_string(m_ar);
  throw Error("write " + m_what + (context.empty() ? "" : ": " + context) + ": " +
              (msg ? msg : "libarchive failed"));
}

void
TarWriter::add(const TarEntry& entry, util::ByteSource* content)
{
  const std::string context = "entry `" + entry.path + "`";
  const bool regular = entry.type == EntryType::regular;
  if (regular && !content && entry.size > 0) {
    throw Error("write " + m_what + ": " + context + ": no content given");
  }
  std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
  archive_entry_copy_pathname(e.get(), entry.path.c_str());
  archive_entry_set_filetype(e.get(), ae_type(entry.type));
  archive_entry_set_perm(e.get(), entry.mode & 07777);
  archive_entry_set_uid(e.get(), entry.uid);
  archive_entry_set_gid(e.get(), entry.gid);
  if (!entry.uname.empty()) {
    archive_entry_copy_uname(e.get(), entry.uname.c_str());
  }
  if (!entry.gname.empty()) {
    archive_entry_copy_gname(e.get(), entry.gname.c_str());
  }
  archive_entry_set_mtime(e.get(), static_cast<time_t>(entry.mtime), 0);
  archive_entry_set_size(e.get(), regular ? static_cast<la_int64_t>(entry.size) : 0);
  if (entry.type == EntryType::symlink) {
    archive_entry_copy_symlink(e.get(), entry.link_target.c_str());
  } else if (entry.type == EntryType::hardlink) {
    archive_entry_copy_hardlink(e.get(), entry.link_target.c_str());
  } else if (entry.type == EntryType::char_device || entry.type == EntryType::block_device) {
    archive_entry_set_rdevmajor(e.get(), entry.dev_major);
    archive_entry_set_rdevminor(e.get(), entry.dev_minor);
  }
  for (const auto& [name, value] : entry.xattrs) {
    archive_entry_xattr_add_entry(e.get(), name.c_str(), value.data(), value.size());
  }
  // ARCHIVE_WARN covers names the locale cannot convert: pax then stores the raw bytes (hdrcharset=BINARY).
  int r = archive_write_header(m_ar, e.get());
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    fail(context);
  }
  if (!regular) {
    return;
  }
  uint64_t left = entry.size;
  while (left > 0) {
    size_t got = content->read(m_buf.get(), static_cast<size_t>(std::min<uint64_t>(left, k_copy_block)));
    if (got == 0) {
      throw Error("write " + m_what + ": " + context + ": content ended after " +
                  std::to_string(entry.size - left) + " of " + std::to_string(entry.size) + " bytes");
    }
    const char* p = m_buf.get();
    size_t n = got;
    while (n > 0) {
      la_ssize_t put = archive_write_data(m_ar, p, n);
      if (put <= 0) {
        fail(context);
      }
      p += put;
      n -= static_cast<size_t>(put);
    }
    left -= got;
  }
  if (content && content->read(m_buf.get(), 1) != 0) {
    throw Error("write " + m_what + ": " + context + ": content is longer than its size of " +
                std::to_string(entry.size) + " bytes");
  }
}

void
TarWriter::finish()
{
  if (archive_write_close(m_ar) != ARCHIVE_OK) {
    fail("");
  }
  m_finished = true;
  m_sink.finish();
}

} // namespace whittle::archive
