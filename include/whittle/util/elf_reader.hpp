#pragma once
// The one ELF reader: the few header facts whittle needs (PT_INTERP, DT_NEEDED, DT_RPATH, DT_RUNPATH,
// DT_SONAME, class and machine), parsed with <elf.h>'s layouts from the file itself, never by running ldd.
// The tracer asks it which loader the kernel maps at execve; slim asks it for the dynamic-linking facts.
// Input is hostile: every offset, size and count is checked against the file size and fixed caps before
// it is used, with overflow-safe arithmetic, so a crafted file is refused, never an out-of-bounds read,
// an endless loop or a huge allocation.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace whittle::util {

// The bytes of one file, read at offsets (pread on an fd, or memory in tests and the fuzzer).
class ElfInput
{
public:
  virtual ~ElfInput() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly n bytes at off; returns false if [off, off+n) is not inside the file or the read fails.
  virtual bool read_at(uint64_t off, void* buf, size_t n) const = 0;
};

// An input over an open file descriptor (not owned); its size from fstat, 0 (nothing readable) unless it
// is a regular file, so a FIFO or device is never read.
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
  elf32 = 1, // ELFCLASS32
  elf64 = 2  // ELFCLASS64
};

struct ElfInfo
{
  ElfClass elf_class = ElfClass::elf64;
  bool big_endian = false;
  uint16_t machine = 0;               // e_machine (EM_X86_64, EM_AARCH64, ...)
  uint16_t type = 0;                  // e_type (ET_EXEC, ET_DYN)
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

// Interface.

// True if the first n bytes at `head` start with the ELF magic.
bool is_elf_magic(const void* head, size_t n);

// Parses the ELF file in `in`: header, program headers, PT_INTERP and the dynamic section. Returns nullopt
// if it does not start with the ELF magic. Throws BadInput naming `what` if it does but any header,
// offset, size, count or string is malformed, out of bounds or over a cap.
std::optional<ElfInfo> read_elf(const ElfInput& in, const std::string& what);

// The loader the kernel maps when it runs the ELF program in `in`: PT_INTERP under the kernel's rules
// (program headers of exactly the class's size, an interpreter of 2 to PATH_MAX bytes ending in NUL).
// Returns nullopt if `in` is not ELF, has no PT_INTERP, or has headers execve would refuse. Reads no
// dynamic section. Never throws.
std::optional<std::string> elf_interpreter(const ElfInput& in);

} // namespace whittle::util
