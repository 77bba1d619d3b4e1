#pragma once
// The hostile-image corpus: each case writes an OCI layout whose content attacks one assumption of the
// readers (paths, links, whiteouts, digests, sizes, compression ratio, names, nesting, entry counts). The
// images are generated at test time from the fixture writers, never committed as blobs.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace whittle::test::hostile {

struct Case
{
  std::string name;
  // Writes the image as an OCI layout at `dir`; `canary` is the host tree the case aims at.
  std::function<void(const std::string& dir, const std::string& canary)> write;
  // Extra environment for every command of this case ("K=V ..."), e.g. a small bomb limit.
  std::string env;
  // When a command refuses the case, its error must contain this (the entry, file or blob named).
  std::string mention;
  // True if the image is well-formed (hostile only in shape): inspect and build must accept it.
  bool valid = false;
  // True if only the content is refused: inspect, which reads headers alone, accepts it.
  bool headers_valid = false;
  // How the image at `dir` is stored: "oci" (a layout directory), "oci-archive" or "docker-archive" (a file).
  std::string transport = "oci";
};

// The content of the canary's `secret` file: a token no image of the corpus holds, so finding it in an
// output means whittle copied a host file into an image.
inline constexpr const char* k_canary_token = "whittle-canary-5e1d0c7a\n";

// The host tree each case aims at: `secret` (the token), `etc/passwd` and a symlink `link`.
void write_canary(const std::string& dir);

// True if any blob of the OCI layout at `dir`, read through gunzip when compressed, holds the token.
bool layout_holds_canary(const std::string& dir);

// A small well-formed image (the corpus's base: /bin/app, /etc/os-release, /etc/passwd) at `dir`.
void write_base_image(const std::string& dir, const std::string& app);

// An OCI layout at `dir` of the given uncompressed layer tars (stored gzip-compressed) with the corpus's
// config: Entrypoint /bin/app; `user` sets config.User when not empty. For layers a pax writer refuses
// (names that are not UTF-8), built with tar_header.
void write_layers_image(const std::string& dir, const std::vector<std::string>& tars,
                        const std::string& user = "");

// Every case of the corpus. `app` is a static executable used as the image's /bin/app (so that images
// whose hostile part is harmless can be traced and slimmed for real).
std::vector<Case> corpus(const std::string& app);

// A ustar header block for a regular file `name` of `size` bytes (base-256 size above 8 GiB - 1).
std::string tar_header(const std::string& name, uint64_t size);
// A gzip stream of `prefix` followed by `zeros` zero bytes, built without materialising the zeros
// (a repeated full-flush deflate block): a real-ratio decompression bomb of about zeros/1000 bytes.
std::string gzip_bomb(const std::string& prefix, uint64_t zeros);

} // namespace whittle::test::hostile
