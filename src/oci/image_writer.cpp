#include "json_util.hpp"
#include "stores.hpp"

#include <atomic>
#include <boost/filesystem.hpp>
#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/archive/tar_writer.hpp>
#include <whittle/oci/image_writer.hpp>
#include <whittle/oci/media_types.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/sha256.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::oci {

namespace fs = boost::filesystem;
namespace mt = media_type;
using nlohmann::json;

namespace {

std::string
docker_layer_type(const std::string& m)
{
  if (m == mt::k_oci_layer_gzip || m == mt::k_oci_layer_nondist_gzip) {
    return std::string(mt::k_docker_layer_gzip);
  }
  if (m == mt::k_oci_layer_zstd) {
    return std::string(mt::k_docker_layer_zstd);
  }
  if (m == mt::k_oci_layer || m == mt::k_oci_layer_nondist) {
    return std::string(mt::k_docker_layer);
  }
  return m;
}

std::string
oci_layer_type(const std::string& m)
{
  if (m == mt::k_docker_layer_gzip) {
    return std::string(mt::k_oci_layer_gzip);
  }
  if (m == mt::k_docker_layer_zstd) {
    return std::string(mt::k_oci_layer_zstd);
  }
  if (m == mt::k_docker_layer) {
    return std::string(mt::k_oci_layer);
  }
  return m;
}

void
make_dir(const std::string& path)
{
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno("create `" + path + "`");
  }
}

void
write_small_file(const std::string& path, const std::string& data)
{
  util::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) {
    throw_errno("create `" + path + "`");
  }
  util::FdSink sink(fd.get(), path);
  sink.write(data.data(), data.size());
  if (!fd.close()) {
    throw_errno("close `" + path + "`");
  }
}

std::string
docker_repo_tag(const std::string& tag)
{
  if (tag.empty()) {
    return "";
  }
  auto slash = tag.rfind('/');
  return tag.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos ? tag + ":latest" : tag;
}

// The files of an image archive: archive name -> path on disk (sorted: a reproducible order).
using ArchiveFiles = std::map<std::string, std::string>;

std::string
blob_path(const std::string& root, const Digest& d)
{
  return root + "/blobs/sha256/" + d.hex;
}

// Returns layer d as the manifest lists it (media type of the transport, no annotations or platform).
// Throws Error naming `what` when d is no blob staged under root.
Descriptor
manifest_layer(const std::string& root, const Descriptor& d, bool docker, const std::string& what)
{
  struct stat st;
  if (d.digest.algorithm != "sha256" || ::stat(blob_path(root, d.digest).c_str(), &st) != 0 ||
      static_cast<int64_t>(st.st_size) != d.size) {
    throw Error(what + ": layer " + d.digest.str() + " was not written by this writer");
  }
  Descriptor l = d;
  l.media_type = docker ? docker_layer_type(d.media_type) : oci_layer_type(d.media_type);
  l.annotations.clear();
  l.platform.reset();
  return l;
}

// Writes oci-layout and an index.json listing `manifest` (of m) under root, and removes the staged
// blobs the image does not refer to (an abandoned layer), so equal images give equal directories.
// Returns the layout's files.
ArchiveFiles
finish_oci_layout(const std::string& root, const Manifest& m, const Descriptor& manifest)
{
  std::set<Digest> used{m.config.digest, manifest.digest};
  for (const auto& l : m.layers) {
    used.insert(l.digest);
  }
  Index index;
  index.media_type = std::string(mt::k_oci_index);
  index.manifests.push_back(manifest);
  write_small_file(
      root + "/oci-layout",
      detail::canonical_dump(json{{"imageLayoutVersion", mt::k_oci_layout_version}}, "oci-layout"));
  write_small_file(root + "/index.json", index.serialize());
  for (fs::directory_iterator it(root + "/blobs/sha256"), end; it != end; ++it) {
    std::string name = it->path().filename().string();
    if (!used.count(Digest::sha256(name))) {
      util::remove_all(it->path().string());
    }
  }
  ArchiveFiles files;
  for (const auto& d : used) {
    files["blobs/sha256/" + d.hex] = blob_path(root, d);
  }
  files["index.json"] = root + "/index.json";
  files["oci-layout"] = root + "/oci-layout";
  return files;
}

// Writes docker's manifest.json for m (tagged `tag`) under root. Returns the docker-archive's files: the
// layers, the config and manifest.json.
ArchiveFiles
finish_docker_archive(const std::string& root, const Manifest& m, const std::string& tag)
{
  ArchiveFiles files;
  json layer_names = json::array();
  for (const auto& l : m.layers) {
    layer_names.push_back(l.digest.hex + ".tar");
    files[l.digest.hex + ".tar"] = blob_path(root, l.digest);
  }
  files[m.config.digest.hex + ".json"] = blob_path(root, m.config.digest);
  std::string repo_tag = docker_repo_tag(tag);
  json entry = {{"Config", m.config.digest.hex + ".json"},
                {"RepoTags", repo_tag.empty() ? json::array() : json::array({repo_tag})},
                {"Layers", layer_names}};
  write_small_file(root + "/manifest.json", detail::canonical_dump(json::array({entry}), "manifest.json"));
  files["manifest.json"] = root + "/manifest.json";
  return files;
}

// Writes files as a tar archive to the file at path (`what` names the archive in errors), each preceded
// by its parent directories' entries, every entry with this mtime. Throws Error.
void
write_archive(const std::string& path, const std::string& what, const ArchiveFiles& files, int64_t mtime)
{
  util::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) {
    throw_errno("create `" + path + "`");
  }
  util::FdSink sink(fd.get(), path);
  archive::TarWriter tar(sink, what);
  std::set<std::string> dirs_written;
  for (const auto& [name, file] : files) {
    // Parent directory entries first (OCI archives carry blobs/ and blobs/sha256/, as skopeo writes them).
    for (size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1)) {
      std::string dir = name.substr(0, slash);
      if (dirs_written.insert(dir).second) {
        archive::TarEntry e;
        e.path = dir + "/";
        e.type = archive::EntryType::directory;
        e.mode = 0755;
        e.mtime = mtime;
        tar.add(e);
      }
    }
    util::Fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st;
    if (!in || ::fstat(in.get(), &st) != 0) {
      throw_errno("open `" + file + "`");
    }
    archive::TarEntry e;
    e.path = name;
    e.type = archive::EntryType::regular;
    e.mode = 0644;
    e.size = static_cast<uint64_t>(st.st_size);
    e.mtime = mtime;
    util::FdSource content(in.get(), file, 0, e.size);
    tar.add(e, &content);
  }
  tar.finish();
  if (!fd.close()) {
    throw_errno("close `" + path + "`");
  }
}

class FileBlobWriter : public BlobWriter
{
public:
  FileBlobWriter(std::string blobs_dir, uint64_t n)
      : m_dir(std::move(blobs_dir)), m_tmp(m_dir + "/.partial-" + std::to_string(n))
  {
    m_fd = util::Fd(::open(m_tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!m_fd) {
      throw_errno("create `" + m_tmp + "`");
    }
    m_sink.emplace(m_fd.get(), m_tmp);
    m_hash.emplace(&*m_sink);
  }
  ~FileBlobWriter() override
  {
    if (!m_done) {
      ::unlink(m_tmp.c_str());
    }
  }

  void write(const void* buf, size_t n) override { m_hash->write(buf, n); }
  void finish() override { m_hash->finish(); }

  Descriptor finish_blob(const std::string& media_type) override
  {
    if (m_done) {
      throw Error("finish blob `" + m_tmp + "`: already finished");
    }
    Descriptor d;
    d.media_type = media_type;
    d.size = static_cast<int64_t>(m_hash->size());
    d.digest = Digest::sha256(m_hash->hex_final());
    if (!m_fd.close()) {
      throw_errno("close `" + m_tmp + "`");
    }
    std::string final_path = m_dir + "/sha256/" + d.digest.hex;
    if (::rename(m_tmp.c_str(), final_path.c_str()) != 0) {
      throw_errno("rename `" + m_tmp + "` to `" + final_path + "`");
    }
    m_done = true;
    return d;
  }

private:
  std::string m_dir;
  std::string m_tmp;
  util::Fd m_fd;
  std::optional<util::FdSink> m_sink;
  std::optional<util::HashingSink> m_hash;
  bool m_done = false;
};

} // namespace

struct ImageWriter::Impl
{
  std::optional<util::AtomicOutput> out;
  std::optional<util::TempDir> work; // archives: the staged layout
  std::string root;                  // directory holding blobs/sha256
  std::atomic<uint64_t> counter{0};
  bool committed = false;
};

ImageWriter::ImageWriter(ImageRef dest, ImageWriterOptions options)
    : m_dest(std::move(dest)), m_options(options), m_impl(std::make_unique<Impl>())
{
  if (m_dest.digest) {
    throw UsageError("write " + m_dest.str() + ": cannot write to a digest reference");
  }
  if (m_dest.transport == Transport::oci_layout) {
    m_impl->out.emplace(m_dest.path, util::AtomicOutput::Kind::directory);
    m_impl->root = m_impl->out->temp_path();
  } else {
    m_impl->out.emplace(m_dest.path, util::AtomicOutput::Kind::file);
    fs::path parent = fs::path(m_impl->out->dest()).parent_path();
    m_impl->work.emplace(
        util::TempDir::work(util::WorkKind::image, parent.empty() ? std::string(".") : parent.string()));
    m_impl->root = m_impl->work->path();
  }
  make_dir(m_impl->root + "/blobs");
  make_dir(m_impl->root + "/blobs/sha256");
}

ImageWriter::~ImageWriter() = default;

std::unique_ptr<BlobWriter>
ImageWriter::begin_blob()
{
  if (m_impl->committed) {
    throw Error("write " + m_dest.str() + ": already committed");
  }
  return std::make_unique<FileBlobWriter>(m_impl->root + "/blobs", m_impl->counter++);
}

Descriptor
ImageWriter::add_blob(const std::string& data, const std::string& media_type)
{
  auto w = begin_blob();
  w->write(data.data(), data.size());
  w->finish();
  return w->finish_blob(media_type);
}

Descriptor
ImageWriter::copy_layer(const Image& src, size_t i, archive::Compression c)
{
  // docker-archive layers are stored uncompressed, as `docker save` and containers/image write them.
  if (m_dest.transport == Transport::docker_archive) {
    c = archive::Compression::none;
  }
  auto layer = open_layer(src, i);
  auto blob = begin_blob();
  std::string what = "layer " + std::to_string(i) + " for " + m_dest.str();
  auto encoder = archive::make_encoder(c, *blob, what);
  util::copy_stream(*layer, *encoder);
  encoder->finish();
  std::string type = layer_media_type(c);
  return blob->finish_blob(m_dest.transport == Transport::docker_archive ? docker_layer_type(type) : type);
}

Digest
ImageWriter::commit(const ImageConfig& config, const std::vector<Descriptor>& layers,
                    const std::map<std::string, std::string>& manifest_annotations)
{
  Impl& im = *m_impl;
  if (im.committed) {
    throw Error("write " + m_dest.str() + ": already committed");
  }
  std::vector<Digest> diff_ids = config.diff_ids();
  if (diff_ids.size() != layers.size()) {
    throw Error("write " + m_dest.str() + ": " + std::to_string(layers.size()) + " layers but " +
                std::to_string(diff_ids.size()) + " diff_ids in the config");
  }
  const bool docker = m_dest.transport == Transport::docker_archive;
  Manifest m;
  m.media_type = std::string(docker ? mt::k_docker_manifest : mt::k_oci_manifest);
  m.config = add_blob(config.serialize(), std::string(docker ? mt::k_docker_config : mt::k_oci_config));
  m.annotations = manifest_annotations;
  for (const auto& d : layers) {
    m.layers.push_back(manifest_layer(im.root, d, docker, "write " + m_dest.str()));
  }
  if (docker && !manifest_annotations.empty()) {
    throw Error("write " + m_dest.str() + ": docker-archive cannot hold manifest annotations");
  }
  std::string manifest_bytes = m.serialize();
  Digest manifest_digest = Digest::of(manifest_bytes);
  const int64_t mtime = m_options.source_date_epoch.value_or(0);

  ArchiveFiles files;
  if (docker) {
    files = finish_docker_archive(im.root, m, m_dest.tag);
  } else {
    Descriptor md = add_blob(manifest_bytes, m.media_type);
    md.annotations[std::string(mt::k_ref_name_annotation)] = m_dest.tag.empty() ? "latest" : m_dest.tag;
    files = finish_oci_layout(im.root, m, md);
  }
  if (m_dest.transport == Transport::oci_layout) {
    im.out->commit(true);
  } else {
    write_archive(im.out->temp_path(), "`" + m_dest.path + "`", files, mtime);
    im.out->commit();
  }
  im.committed = true;
  im.work.reset();
  return manifest_digest;
}

std::string
layer_media_type(archive::Compression c)
{
  switch (c) {
  case archive::Compression::gzip:
    return std::string(mt::k_oci_layer_gzip);
  case archive::Compression::zstd:
    return std::string(mt::k_oci_layer_zstd);
  case archive::Compression::none:
    break;
  }
  return std::string(mt::k_oci_layer);
}

} // namespace whittle::oci
