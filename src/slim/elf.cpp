#include <cstring>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/slim/elf.hpp>
#include <whittle/util/error.hpp>

namespace whittle::slim {

FdElfInput::FdElfInput(int fd) : m_fd(fd)
{
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    m_size = static_cast<uint64_t>(st.st_size);
  }
}

bool
FdElfInput::read_at(uint64_t off, void* buf, size_t n) const
{
  if (off > m_size || n > m_size - off) {
    return false;
  }
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::pread(m_fd, p, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return false;
    }
    p += r;
    off += static_cast<uint64_t>(r);
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool
BytesElfInput::read_at(uint64_t off, void* buf, size_t n) const
{
  if (off > m_bytes.size() || n > m_bytes.size() - off) {
    return false;
  }
  std::memcpy(buf, m_bytes.data() + off, n);
  return true;
}

bool
is_elf_magic(const void* head, size_t n)
{
  return n >= 4 && std::memcmp(head,
                               "\x7f"
                               "ELF",
                               4) == 0;
}

namespace {

constexpr uint32_t k_pt_load = 1;
constexpr uint32_t k_pt_dynamic = 2;
constexpr uint32_t k_pt_interp = 3;
constexpr int64_t k_dt_null = 0;
constexpr int64_t k_dt_needed = 1;
constexpr int64_t k_dt_strtab = 5;
constexpr int64_t k_dt_strsz = 10;
constexpr int64_t k_dt_soname = 14;
constexpr int64_t k_dt_rpath = 15;
constexpr int64_t k_dt_runpath = 29;

// Caps far above any real object, so a crafted header cannot make us loop or allocate without end.
constexpr uint32_t k_max_phnum = 4096;
constexpr uint64_t k_max_dyn_entries = 1 << 16;
constexpr size_t k_max_string = 4096;
constexpr size_t k_max_needed = 1024;

struct Segment
{
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
};

class Parser
{
public:
  Parser(const ElfInput& in, const std::string& what) : m_in(in), m_what(what) {}

  [[noreturn]] void fail(const std::string& why) const
  {
    throw BadInput("parse ELF `" + m_what + "`: " + why);
  }

  void read(uint64_t off, void* buf, size_t n, const char* object) const
  {
    if (!m_in.read_at(off, buf, n)) {
      fail(std::string(object) + " at offset " + std::to_string(off) + " lies outside the file");
    }
  }

  uint64_t get(const unsigned char* p, size_t width) const
  {
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      size_t idx = m_big ? i : width - 1 - i;
      v = (v << 8) | p[idx];
    }
    return v;
  }

  ElfInfo parse()
  {
    unsigned char ident[16];
    read(0, ident, sizeof ident, "ELF identification");
    ElfInfo info;
    if (ident[4] != 1 && ident[4] != 2) {
      fail("unknown ELF class " + std::to_string(ident[4]));
    }
    if (ident[5] != 1 && ident[5] != 2) {
      fail("unknown data encoding " + std::to_string(ident[5]));
    }
    info.elf_class = static_cast<ElfClass>(ident[4]);
    m_wide = info.elf_class == ElfClass::elf64;
    m_big = ident[5] == 2;
    info.big_endian = m_big;

    unsigned char eh[64];
    size_t eh_size = m_wide ? 64 : 52;
    read(0, eh, eh_size, "ELF header");
    info.type = static_cast<uint16_t>(get(eh + 16, 2));
    info.machine = static_cast<uint16_t>(get(eh + 18, 2));
    uint64_t phoff = m_wide ? get(eh + 32, 8) : get(eh + 28, 4);
    uint16_t phentsize = static_cast<uint16_t>(m_wide ? get(eh + 54, 2) : get(eh + 42, 2));
    uint16_t phnum = static_cast<uint16_t>(m_wide ? get(eh + 56, 2) : get(eh + 44, 2));
    if (phnum == 0) {
      return info; // relocatable object or a file with no program headers: nothing to load
    }
    size_t min_ent = m_wide ? 56 : 32;
    if (phentsize < min_ent || phentsize > 1024) {
      fail("program header entry size " + std::to_string(phentsize) + " is invalid");
    }
    if (phnum > k_max_phnum) {
      fail("too many program headers (" + std::to_string(phnum) + ")");
    }
    if (phoff > m_in.size() || uint64_t(phnum) * phentsize > m_in.size() - phoff) {
      fail("program header table lies outside the file");
    }

    std::vector<Segment> loads;
    std::optional<Segment> dynamic;
    std::optional<Segment> interp;
    unsigned char ph[64];
    for (uint32_t i = 0; i < phnum; ++i) {
      read(phoff + uint64_t(i) * phentsize, ph, min_ent, "program header");
      Segment s;
      s.type = static_cast<uint32_t>(get(ph, 4));
      if (m_wide) {
        s.offset = get(ph + 8, 8);
        s.vaddr = get(ph + 16, 8);
        s.filesz = get(ph + 32, 8);
        s.memsz = get(ph + 40, 8);
      } else {
        s.offset = get(ph + 4, 4);
        s.vaddr = get(ph + 8, 4);
        s.filesz = get(ph + 16, 4);
        s.memsz = get(ph + 20, 4);
      }
      if (s.type == k_pt_load) {
        loads.push_back(s);
      } else if (s.type == k_pt_dynamic && !dynamic) {
        dynamic = s;
      } else if (s.type == k_pt_interp && !interp) {
        interp = s;
      }
    }

    if (interp) {
      if (interp->filesz == 0 || interp->filesz > k_max_string) {
        fail("PT_INTERP size " + std::to_string(interp->filesz) + " is invalid");
      }
      std::string s(interp->filesz, '\0');
      read(interp->offset, s.data(), s.size(), "PT_INTERP");
      size_t nul = s.find('\0');
      if (nul == std::string::npos) {
        fail("PT_INTERP is not NUL-terminated");
      }
      s.resize(nul);
      if (s.empty()) {
        fail("PT_INTERP is empty");
      }
      info.interpreter = s;
    }

    if (!dynamic) {
      return info;
    }
    info.dynamic = true;
    size_t ent = m_wide ? 16 : 8;
    size_t width = m_wide ? 8 : 4;
    if (dynamic->offset > m_in.size() || dynamic->filesz > m_in.size() - dynamic->offset) {
      fail("PT_DYNAMIC lies outside the file");
    }
    uint64_t count = dynamic->filesz / ent;
    if (count > k_max_dyn_entries) {
      fail("dynamic section too large (" + std::to_string(count) + " entries)");
    }
    std::vector<std::pair<int64_t, uint64_t>> entries;
    std::optional<uint64_t> strtab;
    uint64_t strsz = 0;
    unsigned char d[16];
    for (uint64_t i = 0; i < count; ++i) {
      read(dynamic->offset + i * ent, d, ent, "dynamic entry");
      uint64_t raw_tag = get(d, width);
      int64_t tag = m_wide ? static_cast<int64_t>(raw_tag) : static_cast<int32_t>(raw_tag);
      uint64_t val = get(d + width, width);
      if (tag == k_dt_null) {
        break;
      }
      if (tag == k_dt_strtab) {
        strtab = val;
      } else if (tag == k_dt_strsz) {
        strsz = val;
      }
      entries.emplace_back(tag, val);
    }
    bool wants_strings = false;
    for (auto& [tag, val] : entries) {
      wants_strings |= tag == k_dt_needed || tag == k_dt_rpath || tag == k_dt_runpath || tag == k_dt_soname;
    }
    if (!wants_strings) {
      return info;
    }
    if (!strtab) {
      fail("dynamic section has DT_NEEDED/DT_RPATH entries but no DT_STRTAB");
    }
    uint64_t str_off = vaddr_to_offset(loads, *strtab);
    uint64_t str_limit = m_in.size() - str_off;
    if (strsz != 0 && strsz < str_limit) {
      str_limit = strsz;
    }
    for (auto& [tag, val] : entries) {
      if (tag != k_dt_needed && tag != k_dt_rpath && tag != k_dt_runpath && tag != k_dt_soname) {
        continue;
      }
      if (val >= str_limit) {
        fail("dynamic string offset " + std::to_string(val) + " lies outside the string table");
      }
      std::string s = read_string(str_off + val, str_limit - val);
      if (tag == k_dt_needed) {
        if (info.needed.size() >= k_max_needed) {
          fail("too many DT_NEEDED entries");
        }
        if (s.empty()) {
          fail("empty DT_NEEDED name");
        }
        info.needed.push_back(s);
      } else if (tag == k_dt_rpath) {
        info.rpath = info.rpath ? *info.rpath + ":" + s : s;
      } else if (tag == k_dt_runpath) {
        info.runpath = info.runpath ? *info.runpath + ":" + s : s;
      } else {
        info.soname = s;
      }
    }
    return info;
  }

private:
  uint64_t vaddr_to_offset(const std::vector<Segment>& loads, uint64_t vaddr) const
  {
    for (const auto& s : loads) {
      if (vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz) {
        uint64_t off = s.offset + (vaddr - s.vaddr);
        if (off < s.offset || off >= m_in.size()) {
          break;
        }
        return off;
      }
    }
    fail("DT_STRTAB address 0x" + hex(vaddr) + " is not inside any loaded segment");
  }

  std::string read_string(uint64_t off, uint64_t limit) const
  {
    std::string out;
    char buf[256];
    uint64_t max = limit < k_max_string ? limit : k_max_string;
    while (out.size() < max) {
      size_t n = sizeof buf;
      if (n > max - out.size()) {
        n = static_cast<size_t>(max - out.size());
      }
      if (n > m_in.size() - off) {
        n = static_cast<size_t>(m_in.size() - off);
      }
      if (n == 0) {
        break;
      }
      read(off, buf, n, "dynamic string");
      const void* nul = std::memchr(buf, '\0', n);
      if (nul) {
        out.append(buf, static_cast<const char*>(nul) - buf);
        return out;
      }
      out.append(buf, n);
      off += n;
    }
    fail("dynamic string at offset " + std::to_string(off) + " is not NUL-terminated");
  }

  static std::string hex(uint64_t v)
  {
    char b[20];
    std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
    return b;
  }

  const ElfInput& m_in;
  const std::string& m_what;
  bool m_wide = true;
  bool m_big = false;
};

} // namespace

std::optional<ElfInfo>
read_elf(const ElfInput& in, const std::string& what)
{
  unsigned char magic[4];
  if (!in.read_at(0, magic, 4) || !is_elf_magic(magic, 4)) {
    return std::nullopt;
  }
  return Parser(in, what).parse();
}

std::optional<Shebang>
parse_shebang(const std::string& head)
{
  if (head.size() < 2 || head[0] != '#' || head[1] != '!') {
    return std::nullopt;
  }
  size_t end = head.find('\n');
  std::string line = head.substr(2, end == std::string::npos ? std::string::npos : end - 2);
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  size_t i = 0;
  while (i < line.size() && blank(line[i])) {
    ++i;
  }
  size_t j = i;
  while (j < line.size() && !blank(line[j])) {
    ++j;
  }
  if (j == i) {
    return std::nullopt;
  }
  Shebang s;
  s.interpreter = line.substr(i, j - i);
  while (j < line.size() && blank(line[j])) {
    ++j;
  }
  size_t k = line.size();
  while (k > j && blank(line[k - 1])) {
    --k;
  }
  s.argument = line.substr(j, k - j);
  return s;
}

} // namespace whittle::slim
