#include <unistd.h>
#include <whittle/trace/interpreter.hpp>
#include <whittle/util/elf_reader.hpp>
#include <whittle/util/shebang.hpp>

namespace whittle::trace {

std::optional<std::string>
interpreter_of(int fd)
{
  if (fd < 0) {
    return std::nullopt;
  }
  char head[util::k_shebang_max];
  ssize_t n = ::pread(fd, head, sizeof head, 0);
  if (n < 2) {
    return std::nullopt;
  }
  if (auto script = util::parse_shebang(std::string_view(head, static_cast<size_t>(n)))) {
    return script->interpreter;
  }
  return util::elf_interpreter(util::FdElfInput(fd));
}

} // namespace whittle::trace
