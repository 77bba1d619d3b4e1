#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>
#include <whittle/trace/interpreter.hpp>

namespace whittle::trace {

namespace {

std::optional<std::string>
shebang(const char* buf, size_t n)
{
  size_t i = 2;
  while (i < n && (buf[i] == ' ' || buf[i] == '\t')) {
    ++i;
  }
  size_t start = i;
  while (i < n && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\0') {
    ++i;
  }
  if (i == start || (i == n && n >= 256)) {
    return std::nullopt;
  }
  return std::string(buf + start, i - start);
}

std::optional<std::string>
elf_interp(int fd, const char* buf, size_t n)
{
  if (n < sizeof(Elf64_Ehdr) || buf[EI_CLASS] != ELFCLASS64) {
    return std::nullopt;
  }
  Elf64_Ehdr eh;
  std::memcpy(&eh, buf, sizeof eh);
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 512) {
    return std::nullopt;
  }
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (pread(fd, &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof ph)) != sizeof ph) {
      return std::nullopt;
    }
    if (ph.p_type != PT_INTERP) {
      continue;
    }
    if (ph.p_filesz == 0 || ph.p_filesz > 4096) {
      return std::nullopt;
    }
    std::string path(ph.p_filesz, '\0');
    if (pread(fd, path.data(), path.size(), static_cast<off_t>(ph.p_offset)) !=
        static_cast<ssize_t>(path.size())) {
      return std::nullopt;
    }
    path.resize(std::strlen(path.c_str()));
    return path.empty() ? std::nullopt : std::optional<std::string>(path);
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string>
interpreter_of(int fd)
{
  if (fd < 0) {
    return std::nullopt;
  }
  char buf[256];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  std::optional<std::string> out;
  if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
    out = shebang(buf, static_cast<size_t>(n));
  } else if (n >= 4 && std::memcmp(buf, ELFMAG, SELFMAG) == 0) {
    out = elf_interp(fd, buf, static_cast<size_t>(n));
  }
  return out;
}

} // namespace whittle::trace
