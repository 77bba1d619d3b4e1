#include "json_util.hpp"
#include "stores.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/archive/compression.hpp>
#include <whittle/archive/tar_reader.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/path.hpp>

namespace whittle::oci::detail {

namespace {

constexpr uint64_t k_block = 512;
// Bound on extension headers (pax, GNU long name/link) before an entry's own header.
constexpr int k_max_header_chain = 16;

uint64_t
round_up(uint64_t n)
{
  return (n + k_block - 1) / k_block * k_block;
}

// Parses the size field of a tar header: octal, or GNU base-256 when the high bit is set.
uint64_t
header_size(const unsigned char* h)
{
  const unsigned char* f = h + 124;
  uint64_t v = 0;
  if (f[0] & 0x80) {
    for (int i = 1; i < 12; ++i) {
      v = (v << 8) | f[i];
    }
    return v;
  }
  for (int i = 0; i < 12 && f[i]; ++i) {
    if (f[i] == ' ') {
      continue;
    }
    if (f[i] < '0' || f[i] > '7') {
      break;
    }
    v = v * 8 + (f[i] - '0');
  }
  return v;
}

// Member names as the lookup key: "./" and "/" prefixes dropped, lexically cleaned. nullopt for names
// that climb out ("../x"), which no image archive legitimately holds.
std::optional<std::string>
member_key(const std::string& raw)
{
  auto clean = util::clean_in_root(raw);
  if (!clean) {
    return std::nullopt;
  }
  return clean->substr(1);
}

} // namespace

TarIndex::TarIndex(const std::string& file) : m_file(file)
{
  m_fd = util::Fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!m_fd) {
    throw BadInput(errno_message("open image archive `" + file + "`", errno));
  }
  struct stat st;
  if (::fstat(m_fd.get(), &st) != 0) {
    throw_errno("stat `" + file + "`");
  }
  if (!S_ISREG(st.st_mode)) {
    throw BadInput("open image archive `" + file + "`: not a regular file");
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  unsigned char head[4] = {0, 0, 0, 0};
  ssize_t got = ::pread(m_fd.get(), head, sizeof head, 0);
  if (got > 0 && archive::sniff_compression(head, static_cast<size_t>(got)) != archive::Compression::none) {
    throw BadInput("open image archive `" + file + "`: the archive itself is compressed (" +
                   archive::to_string(archive::sniff_compression(head, static_cast<size_t>(got))) +
                   "); decompress it first");
  }
  util::FdSource src(m_fd.get(), file, 0, file_size);
  archive::TarReader reader(src, "`" + file + "`");
  archive::TarEntry e;
  while (reader.next(e)) {
    auto key = member_key(e.path);
    if (!key) {
      throw BadInput("read image archive `" + file + "`: entry `" + printable(e.path) +
                     "` lies outside the archive root");
    }
    if (key->empty() || e.type == archive::EntryType::directory) {
      continue;
    }
    if (m_members.count(*key) || m_hardlinks.count(*key) || m_symlinks.count(*key)) {
      throw BadInput("read image archive `" + file + "`: duplicate entry `" + printable(*key) + "`");
    }
    if (e.type == archive::EntryType::hardlink) {
      auto target = member_key(e.link_target);
      if (!target) {
        throw BadInput("read image archive `" + file + "`: hardlink `" + printable(*key) +
                       "` points outside");
      }
      m_hardlinks[*key] = *target;
      continue;
    }
    if (e.type == archive::EntryType::symlink) {
      // `docker save` (and podman's docker-archive) link "<id>/layer.tar" to "../<hex>.tar".
      std::string base = key->find('/') == std::string::npos ? "" : key->substr(0, key->rfind('/') + 1);
      auto target = e.link_target.empty() || e.link_target.front() == '/' ? std::nullopt
                                                                          : member_key(base + e.link_target);
      if (target) {
        m_symlinks[*key] = *target;
      }
      continue; // a symlink out of the archive is simply not a member
    }
    if (e.type != archive::EntryType::regular) {
      continue; // devices and the like are never blobs
    }
    // Walk the header chain (pax / GNU extension headers) from the entry's first header to find where
    // its data starts; libarchive reports the position of the first header only.
    uint64_t off = static_cast<uint64_t>(reader.header_offset());
    Member m;
    m.size = e.size;
    bool found = false;
    for (int i = 0; i < k_max_header_chain && !found; ++i) {
      unsigned char h[k_block];
      if (::pread(m_fd.get(), h, k_block, static_cast<off_t>(off)) != static_cast<ssize_t>(k_block)) {
        throw BadInput("read image archive `" + file + "`: truncated header of `" + printable(*key) + "`");
      }
      char type = static_cast<char>(h[156]);
      if (type == 'x' || type == 'g' || type == 'L' || type == 'K' || type == 'X') {
        off += k_block + round_up(header_size(h));
        continue;
      }
      m.data_offset = off + k_block;
      found = true;
    }
    if (!found) {
      throw BadInput("read image archive `" + file + "`: too many extension headers before `" +
                     printable(*key) + "`");
    }
    if (m.data_offset > file_size || m.size > file_size - m.data_offset) {
      throw BadInput("read image archive `" + file + "`: entry `" + printable(*key) + "` is truncated");
    }
    m_members[*key] = m;
  }
  for (const auto& [name, target] : m_hardlinks) {
    if (!m_members.count(target)) {
      throw BadInput("read image archive `" + file + "`: hardlink `" + printable(name) + "` to missing `" +
                     printable(target) + "`");
    }
  }
}

const TarIndex::Member*
TarIndex::find(const std::string& name) const
{
  auto key = member_key(name);
  if (!key) {
    return nullptr;
  }
  std::string resolved = *key;
  for (int hops = 0; hops < 8; ++hops) {
    auto sym = m_symlinks.find(resolved);
    if (sym == m_symlinks.end()) {
      break;
    }
    resolved = sym->second;
  }
  auto link = m_hardlinks.find(resolved);
  auto it = m_members.find(link == m_hardlinks.end() ? resolved : link->second);
  return it == m_members.end() ? nullptr : &it->second;
}

namespace {

class MemberSource : public util::ByteSource
{
public:
  MemberSource(std::shared_ptr<const TarIndex> index, const TarIndex::Member& m)
      : m_index(std::move(index)), m_src(m_index->fd(), m_index->file(), m.data_offset, m.size)
  {
  }
  size_t read(void* buf, size_t n) override { return m_src.read(buf, n); }

private:
  std::shared_ptr<const TarIndex> m_index;
  util::FdSource m_src;
};

} // namespace

std::unique_ptr<util::ByteSource>
TarIndex::open(const std::shared_ptr<const TarIndex>& self, const Member& m)
{
  return std::make_unique<MemberSource>(self, m);
}

std::string
TarIndex::read_small(const std::string& name, const std::string& what) const
{
  const Member* m = find(name);
  if (!m) {
    throw BadInput("open " + what + ": missing");
  }
  if (m->size > k_max_json_bytes) {
    throw BadInput("read " + what + ": larger than the limit of " + std::to_string(k_max_json_bytes) +
                   " bytes");
  }
  util::FdSource src(m_fd.get(), m_file, m->data_offset, m->size);
  return util::read_all(src, k_max_json_bytes, what);
}

size_t
TarIndex::peek(const Member& m, unsigned char* buf, size_t n) const
{
  n = static_cast<size_t>(std::min<uint64_t>(n, m.size));
  ssize_t got = ::pread(m_fd.get(), buf, n, static_cast<off_t>(m.data_offset));
  if (got < 0) {
    throw_errno("read `" + m_file + "`");
  }
  return static_cast<size_t>(got);
}

} // namespace whittle::oci::detail
