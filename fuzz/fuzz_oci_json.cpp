// libFuzzer target: the image JSON parsers (manifest, index, config) over the same bytes.
#include <cstdint>
#include <string>
#include <whittle/oci/image_config.hpp>
#include <whittle/oci/manifest.hpp>
#include <whittle/util/error.hpp>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace whittle;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    oci::Manifest::parse(text, "fuzz manifest");
  } catch (const Error&) {
  }
  try {
    oci::Index::parse(text, "fuzz index");
  } catch (const Error&) {
  }
  try {
    oci::ImageConfig::parse(text, "fuzz config");
  } catch (const Error&) {
  }
  return 0;
}
