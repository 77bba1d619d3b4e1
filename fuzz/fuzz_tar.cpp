// libFuzzer target: a layer blob as found in an image, through the sniffing decoder (gzip/zstd/none,
// with small bomb limits) and the tar reader, reading every entry's content.
#include <cstdint>
#include <string>
#include <whittle/archive/compression.hpp>
#include <whittle/archive/tar_reader.hpp>
#include <whittle/util/byte_stream.hpp>
#include <whittle/util/error.hpp>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace whittle;
  util::StringSource src(std::string(reinterpret_cast<const char*>(data), size));
  whittle::archive::DecodeLimits limits;
  limits.max_output = 16 << 20;
  limits.ratio_floor = 1 << 20;
  limits.max_ratio = 200;
  try {
    auto decoded = whittle::archive::make_sniffing_decoder(src, "fuzz layer", limits);
    whittle::archive::TarReader reader(*decoded, "fuzz layer", limits); // holes of sparse files too
    whittle::archive::TarEntry entry;
    char buf[8192];
    while (reader.next(entry)) {
      while (reader.read_data(buf, sizeof buf) > 0) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
