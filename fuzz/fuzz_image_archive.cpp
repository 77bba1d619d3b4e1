// libFuzzer target: the image archive readers (oci-archive and docker-archive). The bytes are the archive
// file itself: TarIndex parses its headers in place, then the index/manifest.json, manifest and config
// are resolved and every layer is streamed through its digest checks.
#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <whittle/oci/image.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/util/byte_stream.hpp>
#include <whittle/util/error.hpp>

namespace {

void
open_and_drain(const std::string& ref)
{
  using namespace whittle;
  try {
    oci::Image img = oci::open_image(oci::parse_reference(ref));
    for (size_t i = 0; i < img.layers.size(); ++i) {
      auto layer = oci::open_layer(img, i);
      char buf[65536];
      // Bounded: a hostile layer may decode to much more than the input.
      for (int n = 0; n < 64 && layer->read(buf, sizeof buf) > 0; ++n) {
      }
    }
  } catch (const Error&) {
  }
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  // A memfd is a regular file with a path (/proc/self/fd/N): the readers open it as they open a user's file.
  static int fd = ::memfd_create("fuzz-image-archive", 0);
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  open_and_drain("oci-archive:" + path);
  open_and_drain("docker-archive:" + path);
  return 0;
}
