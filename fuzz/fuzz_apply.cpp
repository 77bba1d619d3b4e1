// libFuzzer target: layer application and extraction, where the path-safety rules live (names that climb,
// links to the host, hardlinks, whiteouts through links, replacements). The input is two raw tar layers
// split at "WHITTLE-LAYER\n" (the second may be empty); the harness wraps them in a small OCI layout with
// correct digests (so every input reaches rootfs::apply_layers), extracts into a fresh directory and then
// checks a sentinel tree beside it: any write outside the extraction root traps.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>
#include <whittle/oci/image.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/sha256.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A fixed path, so that seeds (fuzz/seeds.sh) can aim links at the sentinel: run one fuzz_apply at a time.
const std::string k_base = "/dev/shm/whittle-fuzz-apply";
const std::string k_sentinel = k_base + "/sentinel";

void
put(const std::string& path, const std::string& data)
{
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

std::string
blob(const std::string& layout, const std::string& data)
{
  std::string hex = whittle::util::sha256_hex(data);
  put(layout + "/blobs/sha256/" + hex, data);
  return hex;
}

void
write_layout(const std::string& layout, const std::vector<std::string>& layers)
{
  fs::remove_all(layout);
  fs::create_directories(layout + "/blobs/sha256");
  json descs = json::array();
  json diffs = json::array();
  for (const auto& l : layers) {
    std::string hex = blob(layout, l);
    descs.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                     {"digest", "sha256:" + hex},
                     {"size", l.size()}});
    diffs.push_back("sha256:" + hex);
  }
  std::string cfg =
      json{{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", diffs}}}}
          .dump();
  std::string cfg_hex = blob(layout, cfg);
  std::string man = json{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"digest", "sha256:" + cfg_hex},
        {"size", cfg.size()}}},
      {"layers", descs}}.dump();
  std::string man_hex = blob(layout, man);
  put(layout + "/index.json", json{{"schemaVersion", 2},
                                   {"manifests",
                                    {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                      {"digest", "sha256:" + man_hex},
                                      {"size", man.size()}}}}}
                                  .dump());
  put(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
}

// The sentinel: a file and a directory that a symlink in a layer could name by absolute path.
void
check_sentinel()
{
  std::ifstream in(k_sentinel + "/secret");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t n = 0;
  for (auto it = fs::directory_iterator(k_sentinel); it != fs::directory_iterator(); ++it) {
    ++n;
  }
  if (s != "secret" || n != 1) {
    __builtin_trap(); // something was written or removed outside the extraction root
  }
}

} // namespace

extern "C" int
LLVMFuzzerInitialize(int*, char***)
{
  fs::remove_all(k_base);
  fs::create_directories(k_sentinel);
  put(k_sentinel + "/secret", "secret");
  return 0;
}

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  std::string in(reinterpret_cast<const char*>(data), size);
  static const std::string k_split = "WHITTLE-LAYER\n";
  std::vector<std::string> layers;
  size_t at = in.find(k_split);
  layers.push_back(in.substr(0, at));
  if (at != std::string::npos) {
    layers.push_back(in.substr(at + k_split.size()));
  }
  std::string layout = k_base + "/image";
  std::string root = k_base + "/root";
  write_layout(layout, layers);
  fs::remove_all(root);
  fs::create_directories(root);
  try {
    whittle::oci::Image image = whittle::oci::open_image(whittle::oci::parse_reference("oci:" + layout));
    whittle::rootfs::ApplyOptions options;
    options.extract_to = root;
    whittle::rootfs::apply_layers(image, options);
  } catch (const whittle::Error&) {
  }
  check_sentinel();
  return 0;
}
