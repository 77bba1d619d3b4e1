// libFuzzer target: the ELF reader and the shebang parser over the same bytes.
#include <cstdint>
#include <string>
#include <whittle/slim/elf.hpp>
#include <whittle/util/error.hpp>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace whittle;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    slim::read_elf(slim::BytesElfInput(bytes), "fuzz elf");
  } catch (const Error&) {
  }
  slim::parse_shebang(bytes.substr(0, 256));
  return 0;
}
