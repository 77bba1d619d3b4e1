#include "hostile/corpus.hpp"

#include "support/test_support.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <zlib.h>

using nlohmann::json;

namespace whittle::test::hostile {

namespace {

// One layer as stored: its blob bytes, media type and the diff_id the config claims.
struct RawLayer
{
  std::string blob;
  std::string media_type;
  std::string diff_id;
};

RawLayer
gz_layer(const std::string& tar)
{
  return {gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + sha256_hex(tar)};
}

RawLayer
plain_layer(const std::string& tar)
{
  return {tar, "application/vnd.oci.image.layer.v1.tar", "sha256:" + sha256_hex(tar)};
}

// The image's identities, so that a case can tamper with a written blob afterwards.
struct Written
{
  std::string manifest_hex;
  std::string config_hex;
  std::vector<std::string> layer_hex;
};

void
put_blob(const std::string& dir, const std::string& data, std::string* hex_out = nullptr)
{
  std::string hex = sha256_hex(data);
  write_file(dir + "/blobs/sha256/" + hex, data);
  if (hex_out) {
    *hex_out = hex;
  }
}

json
default_config(const std::vector<RawLayer>& layers)
{
  json diff_ids = json::array();
  for (const auto& l : layers) {
    diff_ids.push_back(l.diff_id);
  }
  return {{"architecture", host_arch()},
          {"os", "linux"},
          {"config",
           {{"Entrypoint", {"/bin/app"}},
            {"Cmd", {"open", "/etc/os-release"}},
            {"Env", {"PATH=/usr/local/bin:/usr/bin:/bin"}}}},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
}

// index.json listing one descriptor (of `media_type`, blob `hex` of `size` bytes) tagged "latest".
void
write_index(const std::string& dir, const std::string& media_type, const std::string& hex, size_t size)
{
  write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  json latest = {{"mediaType", media_type},
                 {"digest", "sha256:" + hex},
                 {"size", size},
                 {"annotations", {{"org.opencontainers.image.ref.name", "latest"}}}};
  json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", json::array({latest})}};
  write_file(dir + "/index.json", index.dump());
}

Written
write_layout(const std::string& dir, const std::vector<RawLayer>& layers, json config = nullptr)
{
  Written w;
  if (config.is_null()) {
    config = default_config(layers);
  }
  json descs = json::array();
  for (const auto& l : layers) {
    std::string hex;
    put_blob(dir, l.blob, &hex);
    w.layer_hex.push_back(hex);
    descs.push_back({{"mediaType", l.media_type}, {"digest", "sha256:" + hex}, {"size", l.blob.size()}});
  }
  std::string cfg = config.dump();
  put_blob(dir, cfg, &w.config_hex);
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", "sha256:" + w.config_hex},
                     {"size", cfg.size()}}},
                   {"layers", descs}};
  std::string man = manifest.dump();
  put_blob(dir, man, &w.manifest_hex);
  write_index(dir, "application/vnd.oci.image.manifest.v1+json", w.manifest_hex, man.size());
  return w;
}

// The harmless base every case starts from: a runnable /bin/app and a little of /etc.
std::vector<FixtureEntry>
base_entries(const std::string& app)
{
  return {dir("bin/"),
          file("bin/app", app, 0755),
          dir("etc/"),
          file("etc/os-release", "ID=hostile\n"),
          file("etc/passwd", "root:x:0:0::/root:/bin/app\n"),
          dir("tmp/", 01777)};
}

// A case whose hostile content is one extra layer of fixture entries above the base.
std::function<void(const std::string&, const std::string&)>
with_layer(const std::string& app,
           std::function<std::vector<FixtureEntry>(const std::string& canary)> entries)
{
  return [app, entries](const std::string& d, const std::string& canary) {
    write_layout(d, {gz_layer(make_tar(base_entries(app))), gz_layer(make_tar(entries(canary)))});
  };
}

// "../" enough times to climb from any work directory to /, then the canary's absolute path.
std::string
climb(const std::string& canary)
{
  std::string s;
  for (int i = 0; i < 40; ++i) {
    s += "../";
  }
  return s + canary.substr(1);
}

void
set_checksum(std::string& h)
{
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) {
    sum += c;
  }
  char buf[9];
  std::snprintf(buf, sizeof buf, "%06o", sum);
  std::memcpy(h.data() + 148, buf, 6);
  h[154] = '\0';
  h[155] = ' ';
}

std::string
padded(const std::string& data)
{
  return data + std::string((512 - data.size() % 512) % 512, '\0');
}

// An oci-archive of the base image at `file`, every file of the layout as a raw ustar entry, with `extra`
// (raw tar blocks) appended; `symlink_blob` replaces the first blob by a symlink to that path.
void
write_archive(const std::string& file, const std::string& app, const std::string& extra,
              const std::string& symlink_blob = "")
{
  std::string layout = file + ".layout.d";
  write_layout(layout, {gz_layer(make_tar(base_entries(app)))});
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(layout)) {
    if (e.is_regular_file()) {
      names.push_back(std::filesystem::relative(e.path(), layout).string());
    }
  }
  std::sort(names.begin(), names.end());
  std::string tar;
  bool replaced = false;
  for (const auto& n : names) {
    if (!symlink_blob.empty() && !replaced && n.rfind("blobs/", 0) == 0) {
      std::string h = tar_header(n, 0);
      h[156] = '2';
      std::memcpy(h.data() + 157, symlink_blob.data(), std::min<size_t>(symlink_blob.size(), 99));
      set_checksum(h);
      tar += h;
      replaced = true;
      continue;
    }
    std::string data = read_file(layout + "/" + n);
    tar += tar_header(n, data.size()) + padded(data);
  }
  tar += extra + std::string(1024, '\0');
  write_file(file, tar);
  std::filesystem::remove_all(layout);
}

// One raw ustar member: a regular file ('0'), a symlink ('2') or a hardlink ('1') to `link`.
std::string
member(const std::string& name, const std::string& data, char type = '0', const std::string& link = "")
{
  std::string h = tar_header(name, data.size());
  h[156] = type;
  std::memcpy(h.data() + 157, link.data(), std::min<size_t>(link.size(), 99));
  set_checksum(h);
  return h + padded(data);
}

// What a docker-archive case may change before the archive is written: manifest.json (written last, as
// `docker save` does) and the members before it.
struct DockerArchive
{
  json manifest;
  std::vector<std::string> members;
  std::string layer_tar;  // the base layer, uncompressed
  std::string layer_name; // "<diff hex>.tar"
};

// A docker-archive of the base image at `file`: one uncompressed layer "<hex>.tar", the config
// "<hex>.json", manifest.json tagged hostile:latest; `tweak` attacks it.
std::function<void(const std::string&, const std::string&)>
docker_archive(const std::string& app, std::function<void(DockerArchive&, const std::string& canary)> tweak)
{
  return [app, tweak](const std::string& file, const std::string& canary) {
    DockerArchive a;
    a.layer_tar = make_tar(base_entries(app));
    a.layer_name = sha256_hex(a.layer_tar) + ".tar";
    std::string cfg = default_config({plain_layer(a.layer_tar)}).dump();
    std::string cfg_name = sha256_hex(cfg) + ".json";
    a.members = {member(cfg_name, cfg), member(a.layer_name, a.layer_tar)};
    a.manifest =
        json::array({{{"Config", cfg_name}, {"RepoTags", {"hostile:latest"}}, {"Layers", {a.layer_name}}}});
    tweak(a, canary);
    std::string tar;
    for (const auto& m : a.members) {
      tar += m;
    }
    tar += member("manifest.json", a.manifest.dump()) + std::string(1024, '\0');
    write_file(file, tar);
  };
}

} // namespace

void
write_canary(const std::string& dir)
{
  write_file(dir + "/secret", k_canary_token);
  write_file(dir + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  std::filesystem::create_symlink("secret", dir + "/link");
}

bool
layout_holds_canary(const std::string& dir)
{
  std::string token(k_canary_token);
  token.pop_back(); // the newline
  std::string out;
  run_command("for f in '" + dir + "'/blobs/sha256/*; do zcat -f \"$f\" 2>/dev/null || cat \"$f\"; done | " +
                  "grep -a -c '" + token + "'",
              &out, false);
  return !out.empty() && out[0] != '0';
}

void
write_base_image(const std::string& dir, const std::string& app)
{
  write_layout(dir, {gz_layer(make_tar(base_entries(app)))});
}

void
write_layers_image(const std::string& dir, const std::vector<std::string>& tars, const std::string& user)
{
  std::vector<RawLayer> layers;
  for (const auto& t : tars) {
    layers.push_back(gz_layer(t));
  }
  json cfg = default_config(layers);
  if (!user.empty()) {
    cfg["config"]["User"] = user;
  }
  write_layout(dir, layers, cfg);
}

std::string
tar_header(const std::string& name, uint64_t size)
{
  if (name.size() > 99) {
    throw std::runtime_error("tar_header: name too long");
  }
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), name.size());
  std::memcpy(h.data() + 100, "0000644", 7);
  std::memcpy(h.data() + 108, "0000000", 7);
  std::memcpy(h.data() + 116, "0000000", 7);
  if (size < (1ULL << 33)) {
    char buf[13];
    std::snprintf(buf, sizeof buf, "%011llo", static_cast<unsigned long long>(size));
    std::memcpy(h.data() + 124, buf, 11);
  } else {
    h[124] = static_cast<char>(0x80);
    for (int i = 0; i < 8; ++i) {
      h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
    }
  }
  std::memcpy(h.data() + 136, "14543351000", 11);
  h[156] = '0';
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  set_checksum(h);
  return h;
}

std::string
gzip_bomb(const std::string& prefix, uint64_t zeros)
{
  // Each piece comes from a fresh raw deflate stream ended by a full flush: byte-aligned, non-final
  // blocks that refer to nothing before them, so pieces concatenate into one valid deflate stream.
  auto piece = [](const std::string& in, int flush) {
    z_stream zs{};
    if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("gzip_bomb: deflateInit2");
    }
    std::string out(deflateBound(&zs, in.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, flush);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
  };
  const uint64_t chunk = 1 << 20;
  std::string zero_chunk(chunk, '\0');
  std::string z = piece(zero_chunk, Z_FULL_FLUSH);
  uLong crc_chunk = crc32(0, reinterpret_cast<const Bytef*>(zero_chunk.data()), chunk);

  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  out += piece(prefix, Z_FULL_FLUSH);
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(prefix.data()), static_cast<uInt>(prefix.size()));
  uint64_t left = zeros;
  while (left >= chunk) {
    out += z;
    crc = crc32_combine(crc, crc_chunk, static_cast<z_off_t>(chunk));
    left -= chunk;
  }
  std::string tail(left, '\0');
  out += piece(tail, Z_FINISH);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(tail.data()), static_cast<uInt>(tail.size()));
  uint64_t total = prefix.size() + zeros;
  for (int i = 0; i < 4; ++i) {
    out += static_cast<char>((crc >> (8 * i)) & 0xff);
  }
  for (int i = 0; i < 4; ++i) {
    out += static_cast<char>((total >> (8 * i)) & 0xff);
  }
  return out;
}

std::vector<Case>
corpus(const std::string& app)
{
  std::vector<Case> cases;

  cases.push_back(
      {"path traversal",
       with_layer(
           app,
           [](const std::string& c) {
             return std::vector<FixtureEntry>{file("etc/ok", "ok"), file(climb(c) + "/pwned", "pwned")};
           }),
       "", "../../"});
  cases.push_back(
      {"absolute entry",
       with_layer(
           app, [](const std::string& c) { return std::vector<FixtureEntry>{file(c + "/pwned", "pwned")}; }),
       "", "/pwned"});
  cases.push_back(
      {"symlink to / then a file through it",
       with_layer(
           app,
           [](const std::string& c) {
             return std::vector<FixtureEntry>{symlink("escape", "/"), file("escape" + c + "/pwned", "pwned")};
           }),
       "", "escape"});
  cases.push_back({"symlink to / in one layer, a file through it in the next",
                   [app](const std::string& d, const std::string& c) {
                     write_layout(d, {gz_layer(make_tar(base_entries(app))),
                                      gz_layer(make_tar({symlink("escape", "/")})),
                                      gz_layer(make_tar({file("escape" + c + "/pwned", "pwned")}))});
                   },
                   "", "escape"});
  // Whiteouts remove: through a link to the host they would delete host files (the canary's).
  cases.push_back({"a link to a host dir in one layer, a whiteout through it in the next",
                   [app](const std::string& d, const std::string& c) {
                     write_layout(d, {gz_layer(make_tar(base_entries(app))),
                                      gz_layer(make_tar({symlink("escape", c)})),
                                      gz_layer(make_tar({file("escape/.wh.secret", "")}))});
                   },
                   "", "escape"});
  cases.push_back({"a link to a host dir in one layer, an opaque whiteout through it in the next",
                   [app](const std::string& d, const std::string& c) {
                     write_layout(d, {gz_layer(make_tar(base_entries(app))),
                                      gz_layer(make_tar({symlink("escape", c)})),
                                      gz_layer(make_tar({file("escape/.wh..wh..opq", "")}))});
                   },
                   "", "escape"});
  cases.push_back({"a link to a host dir replaced by a directory entry with an opaque whiteout",
                   [app](const std::string& d, const std::string& c) {
                     // Valid: the directory entry replaces the link, the whiteout then empties the new
                     // directory.
                     write_layout(d, {gz_layer(make_tar(base_entries(app))),
                                      gz_layer(make_tar({symlink("escape", c)})),
                                      gz_layer(make_tar({dir("escape/"), file("escape/.wh..wh..opq", "")}))});
                   },
                   "", "", true});
  cases.push_back({"a relative link climbing to a host dir, an opaque whiteout through it",
                   [app](const std::string& d, const std::string& c) {
                     write_layout(d, {gz_layer(make_tar(base_entries(app))),
                                      gz_layer(make_tar({symlink("etc/up", climb(c))})),
                                      gz_layer(make_tar({file("etc/up/.wh..wh..opq", "")}))});
                   },
                   "", "etc/up"});
  cases.push_back({"hardlink to a host path",
                   with_layer(app,
                              [](const std::string& c) {
                                return std::vector<FixtureEntry>{hardlink("stolen", c + "/secret")};
                              }),
                   "", "stolen"});
  cases.push_back({"hardlink climbing to a host path",
                   with_layer(app,
                              [](const std::string& c) {
                                return std::vector<FixtureEntry>{hardlink("stolen", climb(c) + "/secret")};
                              }),
                   "", "stolen"});
  cases.push_back(
      {"device nodes, a fifo and setuid files",
       with_layer(app,
                  [](const std::string&) {
                    return std::vector<FixtureEntry>{
                        dir("dev/"),      chardev("dev/mem", 1, 1),     chardev("dev/kmsg", 1, 11),
                        fifo("tmp/fifo"), file("bin/suid", "x", 04755), file("bin/sgid", "x", 02755)};
                  }),
       "", "", true});
  cases.push_back(
      {"whiteout of ..",
       with_layer(app, [](const std::string&) { return std::vector<FixtureEntry>{file("etc/.wh..", "")}; }),
       "", ".wh.."});
  cases.push_back(
      {"whiteout of the root",
       with_layer(app, [](const std::string&) { return std::vector<FixtureEntry>{file(".wh.", "")}; }), "",
       ".wh."});
  cases.push_back(
      {"whiteout of / by an absolute name",
       with_layer(app, [](const std::string&) { return std::vector<FixtureEntry>{file("/.wh.etc", "")}; }),
       "", ".wh.etc"});
  cases.push_back({"duplicate entries, file over directory and directory over file",
                   with_layer(app,
                              [](const std::string&) {
                                return std::vector<FixtureEntry>{file("etc/dup", "1"),
                                                                 file("etc/dup", "2"),
                                                                 dir("etc/dup2/"),
                                                                 file("etc/dup2/child", "c"),
                                                                 file("etc/dup2", "now a file"),
                                                                 file("etc/f", "f"),
                                                                 dir("etc/f/")};
                              }),
                   "", "", true});
  cases.push_back({"size header larger than the data (uncompressed)",
                   [app](const std::string& d, const std::string&) {
                     std::string tar = make_tar(base_entries(app));
                     tar.resize(tar.size() - 1024); // drop the end marker, append a truncated member
                     tar += tar_header("huge", 1ULL << 40) + std::string(512, 'x');
                     write_layout(d, {plain_layer(tar)});
                   },
                   "", "huge"});
  cases.push_back({"size header larger than the data (gzip)",
                   [app](const std::string& d, const std::string&) {
                     std::string tar = make_tar(base_entries(app));
                     tar.resize(tar.size() - 1024);
                     tar += tar_header("etc/big", 1ULL << 30) + std::string(4096, 'x');
                     write_layout(d, {gz_layer(tar)});
                   },
                   "", "etc/big"});
  cases.push_back({"an index pointing to itself",
                   [](const std::string& d, const std::string&) {
                     // The blob's name claims it is the index listing it: only digest checks stop the loop.
                     std::string fake = std::string(64, 'a');
                     json self = {{"schemaVersion", 2},
                                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                  {"manifests",
                                   {{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                                     {"digest", "sha256:" + fake},
                                     {"size", 0}}}}};
                     std::string body = self.dump();
                     self["manifests"][0]["size"] = body.size();
                     body = self.dump();
                     self["manifests"][0]["size"] = body.size();
                     body = self.dump();
                     write_file(d + "/blobs/sha256/" + fake, body);
                     write_index(d, "application/vnd.oci.image.index.v1+json", fake, body.size());
                   },
                   "", "aaaaaaaaaaaa"});
  cases.push_back({"manifest digest mismatch",
                   [app](const std::string& d, const std::string&) {
                     Written w = write_layout(d, {gz_layer(make_tar(base_entries(app)))});
                     std::string p = d + "/blobs/sha256/" + w.manifest_hex;
                     std::string m = read_file(p);
                     m[m.size() - 2] = ' '; // same size, other bytes
                     write_file(p, m);
                   },
                   "", "sha256:"});
  cases.push_back({"config digest mismatch",
                   [app](const std::string& d, const std::string&) {
                     Written w = write_layout(d, {gz_layer(make_tar(base_entries(app)))});
                     std::string p = d + "/blobs/sha256/" + w.config_hex;
                     std::string c = read_file(p);
                     c.replace(c.find("/bin/app"), 8, "/bin/evl");
                     write_file(p, c);
                   },
                   "", "sha256:"});
  cases.push_back({"layer digest mismatch",
                   [app](const std::string& d, const std::string&) {
                     Written w =
                         write_layout(d, {gz_layer(make_tar(base_entries(app))),
                                          gz_layer(make_tar({file("etc/x", std::string(5000, 'x'))}))});
                     std::string p = d + "/blobs/sha256/" + w.layer_hex[1];
                     write_file(p, gzip(make_tar({file("etc/x", std::string(5000, 'y'))})));
                   },
                   "", "sha256:"});
  cases.push_back({"diff_id mismatch",
                   [app](const std::string& d, const std::string&) {
                     std::vector<RawLayer> layers = {gz_layer(make_tar(base_entries(app)))};
                     json cfg = default_config(layers);
                     cfg["rootfs"]["diff_ids"][0] = "sha256:" + std::string(64, 'b');
                     write_layout(d, layers, cfg);
                   },
                   "", "diff"});
  cases.push_back({"descriptor size larger than the blob",
                   [app](const std::string& d, const std::string&) {
                     Written w = write_layout(d, {gz_layer(make_tar(base_entries(app)))});
                     std::string p = d + "/blobs/sha256/" + w.manifest_hex;
                     json m = json::parse(read_file(p));
                     m["layers"][0]["size"] = 1ULL << 40;
                     std::string man = m.dump();
                     std::string hex;
                     put_blob(d, man, &hex);
                     write_index(d, "application/vnd.oci.image.manifest.v1+json", hex, man.size());
                   },
                   "", "sha256:"});
  cases.push_back({"Entrypoint is a link to /proc/self/exe",
                   [app](const std::string& d, const std::string&) {
                     std::vector<FixtureEntry> e = base_entries(app);
                     e.push_back(symlink("bin/self", "/proc/self/exe"));
                     e.push_back(hardlink("bin/hard-self", "/proc/self/exe"));
                     std::vector<RawLayer> layers = {gz_layer(make_tar(e))};
                     json cfg = default_config(layers);
                     cfg["config"]["Entrypoint"] = {"/bin/self"};
                     write_layout(d, layers, cfg);
                   },
                   "", "hard-self"});
  cases.push_back({"Entrypoint symlink to /proc/self/exe only",
                   [app](const std::string& d, const std::string&) {
                     std::vector<FixtureEntry> e = base_entries(app);
                     e.push_back(symlink("bin/self", "/proc/self/exe"));
                     std::vector<RawLayer> layers = {gz_layer(make_tar(e))};
                     json cfg = default_config(layers);
                     cfg["config"]["Entrypoint"] = {"/bin/self"};
                     cfg["config"].erase("Cmd");
                     write_layout(d, layers, cfg);
                   },
                   "", "", true});
  cases.push_back({"decompression bomb over a small WHITTLE_MAX_LAYER_BYTES",
                   [app](const std::string& d, const std::string&) {
                     std::string big = make_tar({file("etc/zeros", std::string(32 << 20, '\0'))});
                     write_layout(d, {gz_layer(make_tar(base_entries(app))), gz_layer(big)});
                   },
                   "WHITTLE_MAX_LAYER_BYTES=4M", "WHITTLE_MAX_LAYER_BYTES"});
  cases.push_back(
      {"real-ratio gzip bomb (4 GiB of zeros)",
       [app](const std::string& d, const std::string&) {
         const uint64_t n = 4ULL << 30;
         std::string blob = gzip_bomb(tar_header("etc/bomb", n), n + 1024);
         // The diff_id is not computed (that would take reading 4 GiB); it cannot match anyway
         // before the limit stops the decoder.
         RawLayer bomb{blob, "application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + std::string(64, 'c')};
         write_layout(d, {gz_layer(make_tar(base_entries(app))), bomb});
       },
       "", "decompression bomb"});
  {
    Case c{"a 1 TiB sparse file",
           [app](const std::string& d, const std::string&) {
             // tar(1) stores the hole as a sparse map: a 10 KiB layer whose file reads as 1 TiB of zeros.
             std::string src = d + ".sparse.d";
             write_file(src + "/etc/huge", "");
             std::filesystem::resize_file(src + "/etc/huge", 1ULL << 40);
             std::string out;
             if (run_command("tar --sparse --format=pax -cf '" + src + ".tar' -C '" + src + "' etc", &out) !=
                 0) {
               throw std::runtime_error("tar --sparse: " + out);
             }
             std::string tar = read_file(src + ".tar");
             std::filesystem::remove_all(src);
             std::filesystem::remove(src + ".tar");
             write_layout(d, {gz_layer(make_tar(base_entries(app))), gz_layer(tar)});
           },
           "", "sparse-file bomb"};
    c.headers_valid = true;
    cases.push_back(c);
  }
  cases.push_back(
      {"symlink loops and a 100-link chain named by the profile",
       with_layer(app,
                  [](const std::string&) {
                    // The profile (test_corpus.cpp) keeps /etc/loop: closure must end.
                    std::vector<FixtureEntry> e{symlink("etc/loop", "loop2"),
                                                symlink("etc/loop2", "/etc/loop"),
                                                symlink("etc/self", "self"), symlink("etc/chain", "c0")};
                    for (int i = 0; i < 100; ++i) {
                      e.push_back(symlink("etc/c" + std::to_string(i), "c" + std::to_string(i + 1)));
                    }
                    e.push_back(file("etc/c100", "end"));
                    return e;
                  }),
       "", "", true});
  cases.push_back(
      {"a hardlink to a directory",
       with_layer(
           app, [](const std::string&) { return std::vector<FixtureEntry>{hardlink("etc/dirlink", "etc")}; }),
       "", "etc/dirlink"});
  // Opening a FIFO from the host blocks (trace used to hang reading the user from /etc/passwd) and opening
  // a device runs its driver: whittle must see what a path is before it opens it.
  cases.push_back({"/etc/passwd is a FIFO and the image names a User",
                   [app](const std::string& d, const std::string&) {
                     std::vector<FixtureEntry> e = base_entries(app);
                     e.erase(std::remove_if(e.begin(), e.end(),
                                            [](const FixtureEntry& f) { return f.path == "etc/passwd"; }),
                             e.end());
                     e.push_back(fifo("etc/passwd"));
                     std::vector<RawLayer> layers = {gz_layer(make_tar(e))};
                     json cfg = default_config(layers);
                     cfg["config"]["User"] = "app";
                     write_layout(d, layers, cfg);
                   },
                   "", "/etc/passwd", true});
  cases.push_back({"the app opens a FIFO, the profile keeps a device node as a program",
                   [app](const std::string& d, const std::string&) {
                     // test_corpus.cpp's profile names /bin/zero with exec access and /etc/ok.
                     std::vector<FixtureEntry> e = base_entries(app);
                     e.push_back(chardev("bin/zero", 1, 5));
                     e.push_back(fifo("etc/ok"));
                     std::vector<RawLayer> layers = {gz_layer(make_tar(e))};
                     json cfg = default_config(layers);
                     cfg["config"]["Cmd"] = {"open", "/etc/ok"};
                     write_layout(d, layers, cfg);
                   },
                   "", "", true});
  cases.push_back({"the Entrypoint is a device node",
                   [app](const std::string& d, const std::string&) {
                     std::vector<FixtureEntry> e = base_entries(app);
                     e.push_back(chardev("bin/zero", 1, 5));
                     std::vector<RawLayer> layers = {gz_layer(make_tar(e))};
                     json cfg = default_config(layers);
                     cfg["config"]["Entrypoint"] = {"/bin/zero"};
                     write_layout(d, layers, cfg);
                   },
                   "", "/bin/zero", true});
  cases.push_back({"2000 nested directories",
                   with_layer(app,
                              [](const std::string&) {
                                std::string p;
                                for (int i = 0; i < 2000; ++i) {
                                  p += "d/";
                                }
                                return std::vector<FixtureEntry>{dir(p), file(p + "leaf", "deep")};
                              }),
                   "", "", true});
  cases.push_back({"names with newlines, control characters and invalid UTF-8",
                   [app](const std::string& d, const std::string&) {
                     // Raw ustar headers: pax writers refuse names that are not UTF-8.
                     std::string tar = make_tar(base_entries(app));
                     tar.resize(tar.size() - 1024);
                     for (const char* name : {"etc/new\nline", "etc/bad\xff\xfe", "etc/esc\x1b[31mred",
                                              "etc/tab\tname", "etc/\xc3"}) {
                       tar += tar_header(name, 2) + std::string("x\n") + std::string(510, '\0');
                     }
                     std::string link = tar_header("etc/l\xc3", 0);
                     link[156] = '2';
                     std::memcpy(link.data() + 157, "bad\xff\xfe", 5);
                     set_checksum(link);
                     tar += link + std::string(1024, '\0');
                     write_layout(d, {gz_layer(tar)});
                   },
                   "", "", true});
  {
    Case c{"oci-archive with an entry climbing out of the archive root",
           [app](const std::string& f, const std::string& canary) {
             std::string name = "../../../../../../../.." + canary + "/pwned";
             write_archive(f, app, tar_header(name.substr(0, 99), 5) + padded("pwned"));
           },
           "", "../../"};
    c.transport = "oci-archive";
    cases.push_back(c);
  }
  {
    Case c{"oci-archive whose blob is a symlink to a host file",
           [app](const std::string& f, const std::string& canary) {
             write_archive(f, app, "", canary + "/secret");
           },
           "", "sha256:"};
    c.transport = "oci-archive";
    cases.push_back(c);
  }
  cases.push_back({"a refused entry whose name holds terminal escapes",
                   with_layer(app,
                              [](const std::string& c) {
                                return std::vector<FixtureEntry>{
                                    file("etc/\x1b[2J\x1b[31m/" + climb(c) + "/pwned", "pwned")};
                              }),
                   "", "\\x1b[2J"});

  // docker-archive: names in manifest.json are looked up among the archive's members, never on disk.
  auto docker = [&cases](std::string name, std::function<void(const std::string&, const std::string&)> write,
                         std::string mention, bool valid = false) {
    Case c{std::move(name), std::move(write), "", std::move(mention), valid};
    c.transport = "docker-archive";
    cases.push_back(c);
  };
  docker("docker-archive whose layer is a symlink member, as docker save writes shared layers",
         docker_archive(app,
                        [](DockerArchive& a, const std::string&) {
                          std::string id = std::string(64, 'e');
                          a.members.push_back(member(id + "/layer.tar", "", '2', "../" + a.layer_name));
                          a.manifest[0]["Layers"] = {id + "/layer.tar"};
                        }),
         "", true);
  docker("docker-archive whose Config climbs out of the archive",
         docker_archive(app,
                        [](DockerArchive& a, const std::string& c) {
                          a.manifest[0]["Config"] = "../../../../../../../.." + c + "/secret";
                        }),
         "/secret");
  docker("docker-archive whose Config is an absolute host path",
         docker_archive(
             app, [](DockerArchive& a, const std::string& c) { a.manifest[0]["Config"] = c + "/secret"; }),
         "/secret");
  docker("docker-archive whose layer is a symlink member to a host file",
         docker_archive(app,
                        [](DockerArchive& a, const std::string& c) {
                          a.members.push_back(member("evil/layer.tar", "", '2', c + "/secret"));
                          a.manifest[0]["Layers"] = {"evil/layer.tar"};
                        }),
         "evil/layer.tar");
  docker("docker-archive whose layer is a symlink member climbing to a host file",
         docker_archive(app,
                        [](DockerArchive& a, const std::string& c) {
                          a.members.push_back(member("evil/layer.tar", "", '2', climb(c).substr(0, 95)));
                          a.manifest[0]["Layers"] = {"evil/layer.tar"};
                        }),
         "evil/layer.tar");
  docker("docker-archive whose layer is a hardlink member to a host path",
         docker_archive(app,
                        [](DockerArchive& a, const std::string&) {
                          a.members.push_back(member("evil.tar", "", '1', "../../../../../etc/passwd"));
                          a.manifest[0]["Layers"] = {"evil.tar"};
                        }),
         "evil.tar");
  docker("docker-archive whose manifest.json is an object",
         docker_archive(app, [](DockerArchive& a, const std::string&) { a.manifest = a.manifest[0]; }),
         "manifest.json");
  docker("docker-archive with two manifest.json members",
         docker_archive(app,
                        [](DockerArchive& a, const std::string&) {
                          json other = a.manifest;
                          other[0]["Layers"] = json::array();
                          a.members.push_back(member("manifest.json", other.dump()));
                        }),
         "manifest.json");
  docker("docker-archive listing a missing layer",
         docker_archive(app,
                        [](DockerArchive& a, const std::string&) { a.manifest[0]["Layers"] = {"gone.tar"}; }),
         "gone.tar");
  docker("docker-archive with more layers than diff_ids",
         docker_archive(app,
                        [](DockerArchive& a, const std::string&) {
                          a.manifest[0]["Layers"] = {a.layer_name, a.layer_name};
                        }),
         "diff_ids");
  docker("docker-archive whose blobs/sha256 layer name is not its digest",
         docker_archive(app,
                        [](DockerArchive& a, const std::string&) {
                          std::string name = "blobs/sha256/" + std::string(64, 'd');
                          a.members.push_back(member(name, gzip(a.layer_tar)));
                          a.manifest[0]["Layers"] = {name};
                        }),
         "sha256:dddddddd");
  docker("docker-archive whose uncompressed layer is not its diff_id",
         docker_archive(app,
                        [app](DockerArchive& a, const std::string&) {
                          std::vector<FixtureEntry> e = base_entries(app);
                          e.push_back(file("etc/extra", "not in the diff"));
                          a.members.push_back(member("other.tar", make_tar(e)));
                          a.manifest[0]["Layers"] = {"other.tar"};
                        }),
         "sha256:");
  docker("docker-archive whose layer climbs out of the root",
         docker_archive(app,
                        [app](DockerArchive& a, const std::string& c) {
                          std::vector<FixtureEntry> e = base_entries(app);
                          e.push_back(file(climb(c) + "/pwned", "pwned"));
                          std::string tar = make_tar(e);
                          // The config claims this layer, so only the path check can stop it.
                          std::string cfg = default_config({plain_layer(tar)}).dump();
                          std::string cfg_name = sha256_hex(cfg) + ".json";
                          a.members.push_back(member(cfg_name, cfg));
                          a.members.push_back(member("climb.tar", tar));
                          a.manifest[0]["Config"] = cfg_name;
                          a.manifest[0]["Layers"] = {"climb.tar"};
                        }),
         "../../");

  cases.push_back({"10,000 entries in one layer",
                   with_layer(app,
                              [](const std::string&) {
                                std::vector<FixtureEntry> e{dir("many/")};
                                for (int i = 0; i < 100; ++i) {
                                  e.push_back(dir("many/" + std::to_string(i) + "/"));
                                  for (int j = 0; j < 99; ++j) {
                                    e.push_back(
                                        file("many/" + std::to_string(i) + "/" + std::to_string(j), "x"));
                                  }
                                }
                                return e;
                              }),
                   "", "", true});
  return cases;
}

} // namespace whittle::test::hostile
