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

  std::string blob_path(const Digest& d) const { return root + "/blobs/sha256/" + d.hex; }
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
    struct stat st;
    if (d.digest.algorithm != "sha256" || ::stat(im.blob_path(d.digest).c_str(), &st) != 0 ||
        static_cast<int64_t>(st.st_size) != d.size) {
      throw Error("write " + m_dest.str() + ": layer " + d.digest.str() + " was not written by this writer");
    }
    Descriptor l = d;
    l.media_type = docker ? docker_layer_type(d.media_type) : oci_layer_type(d.media_type);
    l.annotations.clear();
    l.platform.reset();
    m.layers.push_back(l);
  }
  if (docker && !manifest_annotations.empty()) {
    throw Error("write " + m_dest.str() + ": docker-archive cannot hold manifest annotations");
  }
  std::string manifest_bytes = m.serialize();
  Digest manifest_digest = Digest::of(manifest_bytes);
  const int64_t mtime = m_options.source_date_epoch.value_or(0);

  // The blobs the image refers to; anything else staged (an abandoned layer) is left out.
  std::set<Digest> used{m.config.digest};
  for (const auto& l : m.layers) {
    used.insert(l.digest);
  }

  std::map<std::string, std::string> files; // archive name -> path on disk (sorted: reproducible order)
  if (!docker) {
    Descriptor md = add_blob(manifest_bytes, m.media_type);
    used.insert(md.digest);
    md.annotations[std::string(mt::k_ref_name_annotation)] = m_dest.tag.empty() ? "latest" : m_dest.tag;
    Index index;
    index.media_type = std::string(mt::k_oci_index);
    index.manifests.push_back(md);
    write_small_file(
        im.root + "/oci-layout",
        detail::canonical_dump(json{{"imageLayoutVersion", mt::k_oci_layout_version}}, "oci-layout"));
    write_small_file(im.root + "/index.json", index.serialize());
    // Prune staged blobs nothing refers to, so equal images give equal directories.
    for (fs::directory_iterator it(im.root + "/blobs/sha256"), end; it != end; ++it) {
      std::string name = it->path().filename().string();
      if (!used.count(Digest::sha256(name))) {
        util::remove_all(it->path().string());
      }
    }
    for (const auto& d : used) {
      files["blobs/sha256/" + d.hex] = im.blob_path(d);
    }
    files["index.json"] = im.root + "/index.json";
    files["oci-layout"] = im.root + "/oci-layout";
  } else {
    json layer_names = json::array();
    for (const auto& l : m.layers) {
      layer_names.push_back(l.digest.hex + ".tar");
      files[l.digest.hex + ".tar"] = im.blob_path(l.digest);
    }
    files[m.config.digest.hex + ".json"] = im.blob_path(m.config.digest);
    std::string repo_tag = docker_repo_tag(m_dest.tag);
    json entry = {{"Config", m.config.digest.hex + ".json"},
                  {"RepoTags", repo_tag.empty() ? json::array() : json::array({repo_tag})},
                  {"Layers", layer_names}};
    write_small_file(im.root + "/manifest.json",
                     detail::canonical_dump(json::array({entry}), "manifest.json"));
    files["manifest.json"] = im.root + "/manifest.json";
  }

  if (m_dest.transport == Transport::oci_layout) {
    im.out->commit(true);
  } else {
    const std::string& tmp = im.out->temp_path();
    util::Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) {
      throw_errno("create `" + tmp + "`");
    }
    util::FdSink sink(fd.get(), tmp);
    archive::TarWriter tar(sink, "`" + m_dest.path + "`");
    std::set<std::string> dirs_written;
    for (const auto& [name, path] : files) {
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
      util::Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      struct stat st;
      if (!in || ::fstat(in.get(), &st) != 0) {
        throw_errno("open `" + path + "`");
      }
      archive::TarEntry e;
      e.path = name;
      e.type = archive::EntryType::regular;
      e.mode = 0644;
      e.size = static_cast<uint64_t>(st.st_size);
      e.mtime = mtime;
      util::FdSource content(in.get(), path, 0, e.size);
      tar.add(e, &content);
    }
    tar.finish();
    if (!fd.close()) {
      throw_errno("close `" + tmp + "`");
    }
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
