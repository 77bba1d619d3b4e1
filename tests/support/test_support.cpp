#include "support/test_support.hpp"

#include <archive.h>
#include <archive_entry.h>
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <array>
#include <boost/filesystem.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

namespace fs = boost::filesystem;
using nlohmann::json;

namespace whittle::test {

namespace {

// Catch2 v2 has no per-test "failed?" query; track failing assertions with a listener.
struct FailureListener : Catch::TestEventListenerBase
{
  using TestEventListenerBase::TestEventListenerBase;
  static inline int failures = 0;
  bool assertionEnded(const Catch::AssertionStats& s) override
  {
    if (!s.assertionResult.isOk()) {
      ++failures;
    }
    return true;
  }
};

CATCH_REGISTER_LISTENER(FailureListener)

} // namespace

TestDir::TestDir()
    : TestDir([] {
        const char* t = std::getenv("TMPDIR");
        return std::string(t && *t ? t : "/tmp");
      }())
{
}

TestDir::TestDir(const std::string& parent)
{
  std::string templ = parent + "/whittle-test-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_path = templ;
  m_failures_at_start = FailureListener::failures;
}

TestDir::~TestDir()
{
  if (FailureListener::failures != m_failures_at_start || std::uncaught_exceptions() > 0) {
    std::cerr << "test directory kept: " << m_path << "\n";
    return;
  }
  std::string cmd = "chmod -R u+rwx '" + m_path + "' 2>/dev/null; rm -rf '" + m_path + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::cerr << "could not remove " << m_path << "\n";
  }
}

FixtureEntry
file(const std::string& path, const std::string& content, uint32_t mode)
{
  FixtureEntry e;
  e.kind = FixtureEntry::Kind::file;
  e.path = path;
  e.content = content;
  e.mode = mode;
  return e;
}

FixtureEntry
dir(const std::string& path, uint32_t mode)
{
  FixtureEntry e;
  e.kind = FixtureEntry::Kind::dir;
  e.path = path;
  e.mode = mode;
  return e;
}

FixtureEntry
fifo(const std::string& path)
{
  FixtureEntry e;
  e.kind = FixtureEntry::Kind::fifo;
  e.path = path;
  return e;
}

FixtureEntry
chardev(const std::string& path, uint32_t major, uint32_t minor)
{
  FixtureEntry e;
  e.kind = FixtureEntry::Kind::chardev;
  e.path = path;
  e.mode = 0666;
  e.dev_major = major;
  e.dev_minor = minor;
  return e;
}

FixtureEntry
blockdev(const std::string& path, uint32_t major, uint32_t minor)
{
  FixtureEntry e = chardev(path, major, minor);
  e.kind = FixtureEntry::Kind::blockdev;
  return e;
}

FixtureEntry
symlink(const std::string& path, const std::string& target)
{
  FixtureEntry e;
  e.kind = FixtureEntry::Kind::symlink;
  e.path = path;
  e.target = target;
  e.mode = 0777;
  return e;
}

FixtureEntry
hardlink(const std::string& path, const std::string& target)
{
  FixtureEntry e;
  e.kind = FixtureEntry::Kind::hardlink;
  e.path = path;
  e.target = target;
  return e;
}

namespace {

la_ssize_t
write_cb(struct archive*, void* client, const void* buf, size_t n)
{
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

} // namespace

std::string
make_tar(const std::vector<FixtureEntry>& entries)
{
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, write_cb, nullptr);
  for (const auto& e : entries) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_uid(ae, e.uid);
    archive_entry_set_gid(ae, e.gid);
    archive_entry_set_mtime(ae, e.mtime, 0);
    archive_entry_set_perm(ae, e.mode);
    for (const auto& [k, v] : e.xattrs) {
      archive_entry_xattr_add_entry(ae, k.c_str(), v.data(), v.size());
    }
    switch (e.kind) {
    case FixtureEntry::Kind::file:
    case FixtureEntry::Kind::raw:
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_size(ae, static_cast<la_int64_t>(e.content.size()));
      break;
    case FixtureEntry::Kind::dir:
      archive_entry_set_filetype(ae, AE_IFDIR);
      break;
    case FixtureEntry::Kind::symlink:
      archive_entry_set_filetype(ae, AE_IFLNK);
      archive_entry_set_symlink(ae, e.target.c_str());
      break;
    case FixtureEntry::Kind::hardlink:
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_hardlink(ae, e.target.c_str());
      archive_entry_set_size(ae, 0);
      break;
    case FixtureEntry::Kind::fifo:
      archive_entry_set_filetype(ae, AE_IFIFO);
      break;
    case FixtureEntry::Kind::chardev:
      archive_entry_set_filetype(ae, AE_IFCHR);
      archive_entry_set_rdevmajor(ae, e.dev_major);
      archive_entry_set_rdevminor(ae, e.dev_minor);
      break;
    case FixtureEntry::Kind::blockdev:
      archive_entry_set_filetype(ae, AE_IFBLK);
      archive_entry_set_rdevmajor(ae, e.dev_major);
      archive_entry_set_rdevminor(ae, e.dev_minor);
      break;
    }
    if (archive_write_header(a, ae) != ARCHIVE_OK) {
      throw std::runtime_error(std::string("make_tar: ") + archive_error_string(a));
    }
    if ((e.kind == FixtureEntry::Kind::file || e.kind == FixtureEntry::Kind::raw) && !e.content.empty()) {
      archive_write_data(a, e.content.data(), e.content.size());
    }
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string
gzip(const std::string& data)
{
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string
zstd(const std::string& data)
{
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  out.resize(n);
  return out;
}

namespace {

std::string
sha256_hex_of_digest(const unsigned char* md, unsigned len)
{
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += hex[md[i] >> 4];
    s += hex[md[i] & 15];
  }
  return s;
}

} // namespace

std::string
sha256_hex(const std::string& data)
{
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return sha256_hex_of_digest(md, len);
}

std::string
sha256_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("sha256_file: cannot open " + path);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::array<char, 1 << 16> buf;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return sha256_hex_of_digest(md, len);
}

std::string
host_arch()
{
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

bool
path_exists(const std::string& path)
{
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string
read_file(const std::string& path)
{
  // Sized first, read in one piece: the hostile suites read a 60+ MiB binary, and a stream copy of it
  // (stringbuf growth, then str()) cost them seconds per case.
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("read_file: cannot open " + path);
  }
  std::string data;
  boost::system::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > 0) {
    data.resize(static_cast<size_t>(size));
    in.read(data.data(), static_cast<std::streamsize>(size));
    data.resize(static_cast<size_t>(in.gcount()));
  }
  // A file that grew, or one whose size says nothing (a pipe, /proc): the rest, streamed.
  std::array<char, 65536> buf;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    data.append(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return data;
}

void
write_file(const std::string& path, const std::string& data)
{
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) {
    throw std::runtime_error("write_file: cannot write " + path);
  }
}

namespace {

struct BuiltImage
{
  std::map<std::string, std::string> blobs; // hex -> bytes
  std::string manifest_hex;
  std::string config_hex;
  std::vector<std::string> layer_hex;
  std::vector<std::string> layer_tars; // uncompressed
};

BuiltImage
build_image(const FixtureImage& image)
{
  BuiltImage b;
  json layers = json::array();
  json diff_ids = json::array();
  std::string mt_suffix = image.compression == "gzip" ? "+gzip" : image.compression == "zstd" ? "+zstd" : "";
  for (const auto& entries : image.layers) {
    std::string tar = make_tar(entries);
    std::string blob = image.compression == "gzip"   ? gzip(tar)
                       : image.compression == "zstd" ? zstd(tar)
                                                     : tar;
    std::string hex = sha256_hex(blob);
    b.blobs[hex] = blob;
    b.layer_hex.push_back(hex);
    b.layer_tars.push_back(tar);
    layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar" + mt_suffix},
                      {"digest", "sha256:" + hex},
                      {"size", blob.size()}});
    diff_ids.push_back("sha256:" + sha256_hex(tar));
  }
  json cfg = {{"architecture", image.architecture.empty() ? host_arch() : image.architecture},
              {"os", "linux"},
              {"config", json::object()},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  if (!image.entrypoint.empty()) {
    cfg["config"]["Entrypoint"] = image.entrypoint;
  }
  if (!image.cmd.empty()) {
    cfg["config"]["Cmd"] = image.cmd;
  }
  if (!image.env.empty()) {
    cfg["config"]["Env"] = image.env;
  }
  if (!image.user.empty()) {
    cfg["config"]["User"] = image.user;
  }
  if (!image.working_dir.empty()) {
    cfg["config"]["WorkingDir"] = image.working_dir;
  }
  if (!image.labels.empty()) {
    cfg["config"]["Labels"] = image.labels;
  }
  for (const auto& port : image.exposed_ports) {
    cfg["config"]["ExposedPorts"][port] = json::object();
  }
  std::string cfg_s = cfg.dump();
  b.config_hex = sha256_hex(cfg_s);
  b.blobs[b.config_hex] = cfg_s;
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", "sha256:" + b.config_hex},
                     {"size", cfg_s.size()}}},
                   {"layers", layers}};
  std::string man_s = manifest.dump();
  b.manifest_hex = sha256_hex(man_s);
  b.blobs[b.manifest_hex] = man_s;
  return b;
}

} // namespace

std::string
write_oci_layout(const FixtureImage& image, const std::string& dir)
{
  BuiltImage b = build_image(image);
  fs::create_directories(dir + "/blobs/sha256");
  for (const auto& [hex, data] : b.blobs) {
    write_file(dir + "/blobs/sha256/" + hex, data);
  }
  write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests",
                 {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"digest", "sha256:" + b.manifest_hex},
                   {"size", b.blobs[b.manifest_hex].size()},
                   {"annotations", {{"org.opencontainers.image.ref.name", image.tag}}}}}}};
  write_file(dir + "/index.json", index.dump());
  return "sha256:" + b.manifest_hex;
}

void
tar_directory(const std::string& dir, const std::string& file)
{
  std::string cmd = "tar --sort=name -C '" + dir + "' -cf '" + file + "' .";
  if (run_command(cmd) != 0) {
    throw std::runtime_error("tar_directory failed: " + cmd);
  }
}

std::string
write_oci_archive(const FixtureImage& image, const std::string& file)
{
  std::string tmp = file + ".layout.d";
  std::string digest = write_oci_layout(image, tmp);
  tar_directory(tmp, file);
  fs::remove_all(tmp);
  return digest;
}

void
write_docker_archive(const FixtureImage& image, const std::string& file, const std::string& repo_tag)
{
  BuiltImage b = build_image(image);
  std::string tmp = file + ".docker.d";
  fs::create_directories(tmp);
  write_file(tmp + "/" + b.config_hex + ".json", b.blobs[b.config_hex]);
  json layers = json::array();
  for (size_t i = 0; i < b.layer_tars.size(); ++i) {
    std::string id = sha256_hex(b.layer_tars[i]);
    write_file(tmp + "/" + id + "/layer.tar", b.layer_tars[i]);
    layers.push_back(id + "/layer.tar");
  }
  json manifest = json::array({{{"Config", b.config_hex + ".json"},
                                {"RepoTags", repo_tag.empty() ? json::array() : json::array({repo_tag})},
                                {"Layers", layers}}});
  write_file(tmp + "/manifest.json", manifest.dump());
  tar_directory(tmp, file);
  fs::remove_all(tmp);
}

int
run_command(const std::string& cmd, std::string* output, bool merge_stderr)
{
  std::string full = cmd + (merge_stderr ? " 2>&1" : "");
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) {
    return -1;
  }
  std::array<char, 4096> buf;
  std::string out;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) {
    out.append(buf.data(), n);
  }
  int status = ::pclose(p);
  if (output) {
    *output = out;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool
have_root_sandbox()
{
  if (::geteuid() != 0) {
    // Rootless: whittle enters a user namespace of its own first (trace/rootless).
    return run_command("unshare --user --map-root-user --mount --pid --fork --net --ipc --uts true") == 0;
  }
  return run_command("unshare --mount --pid --fork --net --ipc --uts true") == 0;
}

void
skip(const std::string& reason)
{
  std::cerr << "WHITTLE-SKIP: " << reason << "\n";
  // CI installs every prerequisite (.ci/run sets WHITTLE_CI=1): a skip there is a failure, and it must
  // fail the test itself, since ctest shows a passing test's output to nobody.
  const char* ci = std::getenv("WHITTLE_CI");
  if (ci && *ci && std::string(ci) != "0") {
    FAIL("skipped in CI: " << reason);
  }
  WARN("skipped: " << reason);
}

} // namespace whittle::test
