// libFuzzer target: the profile reader (whittle/profile/v1 JSON).
#include <cstdint>
#include <string>
#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace whittle;
  try {
    trace::parse_profile(std::string(reinterpret_cast<const char*>(data), size), "fuzz profile");
  } catch (const Error&) {
  }
  return 0;
}
