// libFuzzer target: the ELF reader (all of it, and the execve view of it) and the shebang parser over the
// same bytes.
#include <cstdint>
#include <string>
#include <whittle/util/elf_reader.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/shebang.hpp>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace whittle;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  util::BytesElfInput in(bytes);
  try {
    util::read_elf(in, "fuzz elf");
  } catch (const Error&) {
  }
  util::elf_interpreter(in);
  util::parse_shebang(bytes);
  return 0;
}
