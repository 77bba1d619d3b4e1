// libFuzzer target: image references, as input and as output.
#include <cstdint>
#include <string>
#include <whittle/oci/reference.hpp>
#include <whittle/util/error.hpp>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace whittle;
  std::string text(reinterpret_cast<const char*>(data), size);
  for (bool output : {false, true}) {
    try {
      oci::parse_reference(text, output);
    } catch (const Error&) {
    }
  }
  return 0;
}
