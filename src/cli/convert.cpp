// `whittle convert SRC DST`: re-encode an image into another transport and/or compression. The layer
// content (diff_ids), config and history are unchanged; only the blobs' encoding and the wrapping differ.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <whittle/archive/compression.hpp>
#include <whittle/cli/command.hpp>
#include <whittle/cli/environment.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/oci/image_writer.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>

namespace whittle::cli {

namespace {

using nlohmann::json;

// Copies every layer, two at a time (one per core): each copy decodes, verifies, re-encodes and hashes
// one layer as a stream, so memory stays at a few codec buffers per thread.
std::vector<oci::Descriptor>
copy_layers(oci::ImageWriter& writer, const oci::Image& image, archive::Compression c)
{
  size_t n = image.layers.size();
  std::vector<oci::Descriptor> out(n);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  size_t first_error_layer = n;
  auto work = [&] {
    for (;;) {
      size_t i = next++;
      if (i >= n || failed) {
        return;
      }
      try {
        util::verbose("copy layer " + std::to_string(i + 1) + "/" + std::to_string(n) + " " +
                      image.layers[i].descriptor.digest.str());
        out[i] = writer.copy_layer(image, i, c);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (i < first_error_layer) { // report the lowest failing layer, whatever the timing
          first_error_layer = i;
          first_error = std::current_exception();
        }
        failed = true;
      }
    }
  };
  unsigned threads = std::min<unsigned>(2, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads && t < n; ++t) {
    pool.emplace_back(work);
  }
  work();
  for (auto& t : pool) {
    t.join();
  }
  if (first_error) {
    std::rethrow_exception(first_error);
  }
  return out;
}

int
run_convert(const ParsedArgs& args)
{
  archive::Compression c = archive::Compression::gzip;
  if (auto v = args.get("--compression")) {
    auto parsed = archive::parse_compression(*v);
    if (!parsed) {
      throw UsageError("option `--compression` takes gzip, zstd or none, not `" + *v + "`");
    }
    c = *parsed;
  }
  std::optional<oci::Platform> platform;
  if (auto p = args.get("--platform")) {
    platform = oci::Platform::parse(*p);
  }
  oci::ImageRef src = oci::parse_reference(args.positional.at(0));
  oci::ImageRef dst = oci::parse_reference(args.positional.at(1), true);
  if (dst.transport == oci::Transport::docker_archive && args.get("--compression") &&
      c != archive::Compression::none) {
    util::warn("docker-archive stores layers uncompressed (as `docker save` does): `--compression " +
               archive::to_string(c) + "` is ignored");
  }
  oci::ImageWriterOptions write_options;
  write_options.source_date_epoch = source_date_epoch();

  oci::Image image = oci::open_image(src, platform);
  util::info("convert " + src.str() + " -> " + dst.str() + " (" + std::to_string(image.layers.size()) +
             " layers, " + archive::to_string(c) + ")");
  oci::ImageWriter writer(dst, write_options);
  std::vector<oci::Descriptor> layers = copy_layers(writer, image, c);
  // docker-archive has no place for manifest annotations (its manifest.json is not an OCI manifest).
  std::map<std::string, std::string> annotations;
  if (dst.transport != oci::Transport::docker_archive) {
    annotations = image.manifest.annotations;
  } else if (!image.manifest.annotations.empty()) {
    util::verbose("docker-archive cannot hold manifest annotations: dropping " +
                  std::to_string(image.manifest.annotations.size()));
  }
  oci::Digest digest = writer.commit(image.config, layers, annotations);

  if (args.has("--json")) {
    json jl = json::array();
    for (size_t i = 0; i < layers.size(); ++i) {
      jl.push_back({{"source_digest", image.layers[i].descriptor.digest.str()},
                    {"digest", layers[i].digest.str()},
                    {"media_type", layers[i].media_type},
                    {"size", layers[i].size},
                    {"diff_id", image.layers[i].diff_id.str()}});
    }
    json j = {{"source", src.str()},
              {"destination", dst.str()},
              {"compression",
               archive::to_string(dst.transport == oci::Transport::docker_archive ? archive::Compression::none
                                                                                  : c)},
              {"manifest_digest", digest.str()},
              {"layers", jl}};
    std::fputs((j.dump(2) + "\n").c_str(), stdout);
  } else {
    std::printf("%s\n", digest.str().c_str());
  }
  return k_exit_ok;
}

} // namespace

Command
convert_command()
{
  Command c;
  c.spec.name = "convert";
  c.spec.usage = "SRC DST [options]";
  c.spec.summary = "copy an image to another transport or compression, content unchanged";
  c.spec.description =
      "Reads SRC (verifying every blob and diff_id) and writes DST with the same config, history and layer\n"
      "content, re-encoding each layer. The output is reproducible: the same input gives the same manifest\n"
      "digest. DST is written to a temporary path and renamed into place at the end, so after a failure\n"
      "nothing is left there. Prints the new manifest digest (with --json: source, destination and layers).\n"
      "docker-archive destinations always store layers uncompressed, as `docker save` does.";
  c.spec.flags = {
      {"--compression", "", "gzip|zstd|none", "layer compression of DST (default: gzip)"},
      {"--platform", "", "OS/ARCH[/VARIANT]",
       "pick this platform from a multi-platform SRC (default: the host's)"},
  };
  c.spec.min_positional = 2;
  c.spec.max_positional = 2;
  c.run = run_convert;
  return c;
}

} // namespace whittle::cli
