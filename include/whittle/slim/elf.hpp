#pragma once
// A bounded ELF reader: the few dynamic-linking facts whittle needs (PT_INTERP, DT_NEEDED, DT_RPATH,
// DT_RUNPATH, DT_SONAME, class and machine), parsed from the file itself, never by running ldd. Input is
// hostile: every offset, size and count is checked against the file size and fixed caps before it is
// used, so a crafted file yields BadInput, never an out-of-bounds read or a huge allocation.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace whittle::slim {

// The bytes of one file, read at offsets (pread on an fd, or memory in tests).
class ElfInput
{
public:
  virtual ~ElfInput() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly n bytes at off; returns false if [off, off+n) is not inside the file or the read fails.
  virtual bool read_at(uint64_t off, void* buf, size_t n) const = 0;
};

// An input over an open file descriptor (not owned); size from fstat.
class FdElfInput : public ElfInput
{
public:
  explicit FdElfInput(int fd);
  uint64_t size() const override { return m_size; }
  bool read_at(uint64_t off, void* buf, size_t n) const override;

private:
  int m_fd;
  uint64_t m_size = 0;
};

// An input over bytes in memory.
class BytesElfInput : public ElfInput
{
public:
  explicit BytesElfInput(std::string bytes) : m_bytes(std::move(bytes)) {}
  uint64_t size() const override { return m_bytes.size(); }
  bool read_at(uint64_t off, void* buf, size_t n) const override;

private:
  std::string m_bytes;
};

enum class ElfClass : uint8_t
{
  elf32 = 1,
  elf64 = 2
};

struct ElfInfo
{
  ElfClass elf_class = ElfClass::elf64;
  bool big_endian = false;
  uint16_t machine = 0;               // e_machine (EM_X86_64 = 62, EM_AARCH64 = 183, ...)
  uint16_t type = 0;                  // e_type (ET_EXEC = 2, ET_DYN = 3)
  std::string interpreter;            // PT_INTERP, "" if none
  std::vector<std::string> needed;    // DT_NEEDED in order
  std::optional<std::string> rpath;   // DT_RPATH, raw (":"-separated)
  std::optional<std::string> runpath; // DT_RUNPATH, raw
  std::string soname;                 // DT_SONAME
  bool dynamic = false;               // has PT_DYNAMIC

  // True if a library of `other` can be loaded into a process of this object (same class and machine).
  bool compatible(const ElfInfo& other) const
  {
    return elf_class == other.elf_class && machine == other.machine && big_endian == other.big_endian;
  }
};

// True if the first bytes are the ELF magic.
bool is_elf_magic(const void* head, size_t n);

// Parses the ELF file in `in`. Returns nullopt if it does not start with the ELF magic. Throws BadInput
// naming `what` if it does but any header, offset, size or string is malformed or out of bounds.
std::optional<ElfInfo> read_elf(const ElfInput& in, const std::string& what);

// Reads a "#!" line from the first bytes of a file: returns the interpreter and its optional argument
// (split at the first blank, as the kernel does), or nullopt if the file does not start with "#!".
struct Shebang
{
  std::string interpreter;
  std::string argument;
};
std::optional<Shebang> parse_shebang(const std::string& head);

} // namespace whittle::slim
