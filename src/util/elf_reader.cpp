#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>
#include <elf.h>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>
#include <whittle/util/elf_reader.hpp>
#include <whittle/util/error.hpp>

namespace whittle::util {

FdElfInput::FdElfInput(int fd) : m_fd(fd)
{
  struct stat st;
  if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
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
  if (n > 0) {
    std::memcpy(buf, m_bytes.data() + off, n);
  }
  return true;
}

bool
is_elf_magic(const void* head, size_t n)
{
  return n >= SELFMAG && std::memcmp(head, ELFMAG, SELFMAG) == 0;
}

namespace {

// The kernel refuses a program header table over 64 KiB at execve (fs/binfmt_elf.c, elf_read_phdrs).
constexpr uint64_t k_max_phdr_bytes = 65536;
// Caps far above any real object, so a crafted file cannot make us loop or allocate without end.
constexpr uint64_t k_max_dyn_entries = 1 << 16;
constexpr uint64_t k_max_string = 4096;          // one dynamic string, NUL included
constexpr size_t k_max_needed = 1024;            // DT_NEEDED entries
constexpr uint64_t k_max_string_bytes = 1 << 20; // all dynamic strings of one file together

struct Elf64
{
  using Ehdr = Elf64_Ehdr;
  using Phdr = Elf64_Phdr;
  using Dyn = Elf64_Dyn;
};

struct Elf32
{
  using Ehdr = Elf32_Ehdr;
  using Phdr = Elf32_Phdr;
  using Dyn = Elf32_Dyn;
};

enum class Parts
{
  program_headers, // up to PT_INTERP: what execve reads
  dynamic          // and the dynamic section: what ld.so reads
};

// A program header's fields, widened and in host byte order.
struct Segment
{
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
};

bool
names_string(int64_t tag)
{
  return tag == DT_NEEDED || tag == DT_RPATH || tag == DT_RUNPATH || tag == DT_SONAME;
}

class Parser
{
public:
  Parser(const ElfInput& in, std::string what) : m_in(in), m_what(std::move(what)) {}

  ElfInfo parse(Parts parts)
  {
    unsigned char ident[EI_NIDENT];
    read(0, ident, sizeof ident, "ELF identification");
    if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) {
      fail("unknown ELF class " + std::to_string(ident[EI_CLASS]));
    }
    if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB) {
      fail("unknown data encoding " + std::to_string(ident[EI_DATA]));
    }
    ElfInfo info;
    info.elf_class = ident[EI_CLASS] == ELFCLASS64 ? ElfClass::elf64 : ElfClass::elf32;
    info.big_endian = ident[EI_DATA] == ELFDATA2MSB;
    m_swap = info.big_endian != (std::endian::native == std::endian::big);
    if (info.elf_class == ElfClass::elf64) {
      parse_class<Elf64>(info, parts);
    } else {
      parse_class<Elf32>(info, parts);
    }
    return info;
  }

private:
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

  // A field of the file in host byte order.
  template <class T> T host(T v) const
  {
    static_assert(std::is_integral_v<T>);
    if (m_swap) {
      unsigned char b[sizeof v];
      std::memcpy(b, &v, sizeof v);
      std::reverse(b, b + sizeof v);
      std::memcpy(&v, b, sizeof v);
    }
    return v;
  }

  template <class C> void parse_class(ElfInfo& info, Parts parts)
  {
    using Phdr = typename C::Phdr;
    typename C::Ehdr eh;
    read(0, &eh, sizeof eh, "ELF header");
    info.type = host(eh.e_type);
    info.machine = host(eh.e_machine);
    uint64_t phoff = host(eh.e_phoff);
    uint16_t phentsize = host(eh.e_phentsize);
    uint16_t phnum = host(eh.e_phnum);
    if (phnum == 0) {
      return; // relocatable object or a file with no program headers: nothing to load
    }
    // The kernel and ld.so both refuse any other entry size.
    if (phentsize != sizeof(Phdr)) {
      fail("program header entry size " + std::to_string(phentsize) + " is not " +
           std::to_string(sizeof(Phdr)));
    }
    uint64_t table = uint64_t(phnum) * sizeof(Phdr);
    if (table > k_max_phdr_bytes) {
      fail("too many program headers (" + std::to_string(phnum) + ")");
    }
    if (phoff > m_in.size() || table > m_in.size() - phoff) {
      fail("program header table lies outside the file");
    }
    std::vector<Phdr> phdrs(phnum);
    read(phoff, phdrs.data(), table, "program header table");

    std::vector<Segment> loads;
    std::optional<Segment> dynamic;
    std::optional<Segment> interp;
    for (const Phdr& p : phdrs) {
      Segment s{host(p.p_type), host(p.p_offset), host(p.p_vaddr), host(p.p_filesz)};
      if (s.type == PT_LOAD) {
        loads.push_back(s);
      } else if (s.type == PT_DYNAMIC && !dynamic) {
        dynamic = s;
      } else if (s.type == PT_INTERP && !interp) {
        interp = s; // the kernel maps the first one
      }
    }
    if (interp) {
      info.interpreter = read_interpreter(*interp);
    }
    info.dynamic = dynamic.has_value();
    if (dynamic && parts == Parts::dynamic) {
      read_dynamic<C>(info, *dynamic, loads);
    }
  }

  // PT_INTERP under the kernel's rules at execve (fs/binfmt_elf.c): 2 to PATH_MAX bytes, the last one NUL.
  std::string read_interpreter(const Segment& s) const
  {
    if (s.filesz < 2 || s.filesz > PATH_MAX) {
      fail("PT_INTERP size " + std::to_string(s.filesz) + " is invalid");
    }
    std::string path(s.filesz, '\0');
    read(s.offset, path.data(), path.size(), "PT_INTERP");
    if (path.back() != '\0') {
      fail("PT_INTERP is not NUL-terminated");
    }
    path.resize(path.find('\0'));
    if (path.empty()) {
      fail("PT_INTERP is empty");
    }
    return path;
  }

  template <class C>
  void read_dynamic(ElfInfo& info, const Segment& dynamic, const std::vector<Segment>& loads)
  {
    using Dyn = typename C::Dyn;
    if (dynamic.offset > m_in.size() || dynamic.filesz > m_in.size() - dynamic.offset) {
      fail("PT_DYNAMIC lies outside the file");
    }
    uint64_t count = dynamic.filesz / sizeof(Dyn);
    if (count > k_max_dyn_entries) {
      fail("dynamic section too large (" + std::to_string(count) + " entries)");
    }
    std::vector<Dyn> raw(count);
    read(dynamic.offset, raw.data(), count * sizeof(Dyn), "dynamic section");

    std::vector<std::pair<int64_t, uint64_t>> entries;
    std::optional<uint64_t> strtab;
    uint64_t strsz = 0;
    for (const Dyn& d : raw) {
      auto tag = static_cast<int64_t>(host(d.d_tag)); // Elf32_Sword widens with its sign
      uint64_t val = host(d.d_un.d_val);
      if (tag == DT_NULL) {
        break;
      }
      if (tag == DT_STRTAB) {
        strtab = val;
      } else if (tag == DT_STRSZ) {
        strsz = val;
      } else if (names_string(tag)) {
        entries.emplace_back(tag, val);
      }
    }
    if (entries.empty()) {
      return;
    }
    if (!strtab) {
      fail("dynamic section has DT_NEEDED/DT_RPATH entries but no DT_STRTAB");
    }
    uint64_t str_off = vaddr_to_offset(loads, *strtab);
    uint64_t str_limit = m_in.size() - str_off;
    if (strsz != 0 && strsz < str_limit) {
      str_limit = strsz;
    }
    uint64_t budget = k_max_string_bytes;
    for (const auto& [tag, val] : entries) {
      if (val >= str_limit) {
        fail("dynamic string offset " + std::to_string(val) + " lies outside the string table");
      }
      std::string s = read_string(str_off + val, str_limit - val);
      if (s.size() >= budget) {
        fail("dynamic strings too long (over " + std::to_string(k_max_string_bytes) + " bytes)");
      }
      budget -= s.size() + 1;
      if (tag == DT_NEEDED) {
        if (info.needed.size() >= k_max_needed) {
          fail("too many DT_NEEDED entries");
        }
        if (s.empty()) {
          fail("empty DT_NEEDED name");
        }
        info.needed.push_back(s);
      } else if (tag == DT_RPATH) {
        info.rpath = info.rpath ? *info.rpath + ":" + s : s;
      } else if (tag == DT_RUNPATH) {
        info.runpath = info.runpath ? *info.runpath + ":" + s : s;
      } else {
        info.soname = s;
      }
    }
  }

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
    char hex[20];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(vaddr));
    fail(std::string("DT_STRTAB address 0x") + hex + " is not inside any loaded segment");
  }

  // The NUL-terminated string at `off`, within `limit` bytes (and the file), at most k_max_string bytes.
  std::string read_string(uint64_t off, uint64_t limit) const
  {
    std::string out;
    char buf[256];
    uint64_t max = std::min(limit, k_max_string);
    while (out.size() < max) {
      uint64_t n = std::min({uint64_t(sizeof buf), max - out.size(), m_in.size() - off});
      if (n == 0) {
        break;
      }
      read(off, buf, n, "dynamic string");
      if (const void* nul = std::memchr(buf, '\0', n)) {
        out.append(buf, static_cast<const char*>(nul) - buf);
        return out;
      }
      out.append(buf, n);
      off += n;
    }
    fail("dynamic string at offset " + std::to_string(off) + " is not NUL-terminated");
  }

  const ElfInput& m_in;
  std::string m_what;
  bool m_swap = false;
};

} // namespace

std::optional<ElfInfo>
read_elf(const ElfInput& in, const std::string& what)
{
  unsigned char magic[SELFMAG];
  if (!in.read_at(0, magic, SELFMAG) || !is_elf_magic(magic, SELFMAG)) {
    return std::nullopt;
  }
  return Parser(in, what).parse(Parts::dynamic);
}

std::optional<std::string>
elf_interpreter(const ElfInput& in)
{
  unsigned char magic[SELFMAG];
  if (!in.read_at(0, magic, SELFMAG) || !is_elf_magic(magic, SELFMAG)) {
    return std::nullopt;
  }
  try {
    ElfInfo info = Parser(in, "interpreter").parse(Parts::program_headers);
    if (!info.interpreter.empty()) {
      return info.interpreter;
    }
  } catch (const Error&) {
    // Headers execve refuses: the kernel opens no loader.
  }
  return std::nullopt;
}

} // namespace whittle::util
