#include "json_util.hpp"

#include <boost/filesystem.hpp>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/archive/compression.hpp>
#include <whittle/archive/tar_reader.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>

namespace whittle::oci {

using detail::printable;

namespace {

constexpr std::string_view k_transport_help =
    "use oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:NAME:TAG]";

[[noreturn]] void
usage(const std::string& text, const std::string& cause)
{
  throw UsageError("parse image reference `" + printable(text) + "`: " + cause);
}

bool
valid_oci_tag(const std::string& t)
{
  // The OCI ref.name grammar (a superset of docker tags: may hold a full name such as "docker.io/x:1").
  if (t.empty() || t.size() > 255) {
    return false;
  }
  for (char c : t) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-' || c == ':' || c == '/' || c == '+' || c == '@';
    if (!ok) {
      return false;
    }
  }
  return t.front() != '.' && t.front() != '-' && t.front() != '/' && t.front() != ':';
}

bool
valid_docker_name(const std::string& n)
{
  if (n.empty() || n.size() > 255 || n.front() == ':' || n.back() == ':' || n.front() == '/') {
    return false;
  }
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-' || c == ':' || c == '/';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool
looks_like_transport(const std::string& prefix)
{
  if (prefix.empty() || prefix.size() > 32 || !(prefix[0] >= 'a' && prefix[0] <= 'z')) {
    return false;
  }
  for (char c : prefix) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string
tar_name(const std::string& raw)
{
  std::string n = raw;
  while (n.rfind("./", 0) == 0) {
    n.erase(0, 2);
  }
  while (!n.empty() && n.front() == '/') {
    n.erase(0, 1);
  }
  return n;
}

// Which image archive a tar file is, by the marker members it holds.
std::optional<Transport>
sniff_archive(const std::string& file)
{
  util::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw UsageError(errno_message("open `" + file + "`", errno));
  }
  unsigned char head[4] = {0, 0, 0, 0};
  ssize_t got = ::pread(fd.get(), head, sizeof head, 0);
  if (got > 0 && archive::sniff_compression(head, static_cast<size_t>(got)) != archive::Compression::none) {
    throw UsageError("open image archive `" + file +
                     "`: the archive itself is compressed; decompress it first");
  }
  util::FdSource src(fd.get(), file);
  try {
    archive::TarReader reader(src, "`" + file + "`");
    archive::TarEntry e;
    bool docker = false;
    while (reader.next(e)) {
      std::string n = tar_name(e.path);
      if (n == "oci-layout") {
        return Transport::oci_archive;
      }
      if (n == "manifest.json") {
        docker = true;
      }
    }
    if (docker) {
      return Transport::docker_archive;
    }
  } catch (const BadInput&) {
    return std::nullopt;
  }
  return std::nullopt;
}

bool
is_empty_dir(const std::string& path)
{
  boost::system::error_code ec;
  return boost::filesystem::is_empty(path, ec) && !ec;
}

ImageRef
parse_bare(const std::string& text, bool for_output)
{
  ImageRef ref;
  ref.path = text;
  struct stat st;
  if (::stat(text.c_str(), &st) != 0) {
    if (!for_output) {
      usage(text, "no such file or directory; " + std::string(k_transport_help));
    }
    bool tar = text.size() > 4 && text.compare(text.size() - 4, 4, ".tar") == 0;
    ref.transport = tar ? Transport::oci_archive : Transport::oci_layout;
    return ref;
  }
  if (S_ISDIR(st.st_mode)) {
    ref.transport = Transport::oci_layout;
    if (::access((text + "/oci-layout").c_str(), F_OK) == 0) {
      return ref;
    }
    if (for_output && is_empty_dir(text)) {
      return ref; // replaced by the written layout at commit
    }
    usage(text, "directory has no `oci-layout` file, so it is not an OCI image layout");
  }
  if (!S_ISREG(st.st_mode)) {
    usage(text, "not a directory or a regular file");
  }
  std::optional<Transport> t = sniff_archive(text);
  if (t) {
    ref.transport = *t;
    return ref;
  }
  bool tar = text.size() > 4 && text.compare(text.size() - 4, 4, ".tar") == 0;
  if (for_output && tar) {
    ref.transport = Transport::oci_archive;
    return ref;
  }
  usage(text, "file holds neither `oci-layout` (oci-archive) nor `manifest.json` (docker-archive)");
}

} // namespace

std::string
ImageRef::str() const
{
  switch (transport) {
  case Transport::oci_layout:
    return "oci:" + path + (tag.empty() ? "" : ":" + tag) + (digest ? "@" + digest->str() : "");
  case Transport::oci_archive:
    return "oci-archive:" + path + (tag.empty() ? "" : ":" + tag);
  case Transport::docker_archive:
    return "docker-archive:" + path + (tag.empty() ? "" : ":" + tag);
  }
  return path;
}

ImageRef
parse_reference(const std::string& text, bool for_output)
{
  if (text.empty()) {
    usage(text, "empty reference; " + std::string(k_transport_help));
  }
  auto colon = text.find(':');
  std::string prefix = colon == std::string::npos ? "" : text.substr(0, colon);
  std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
  ImageRef ref;
  if (prefix == "oci" || prefix == "oci-archive") {
    ref.transport = prefix == "oci" ? Transport::oci_layout : Transport::oci_archive;
    auto at = rest.rfind('@');
    if (at != std::string::npos &&
        (rest.compare(at + 1, 7, "sha256:") == 0 || rest.compare(at + 1, 7, "sha512:") == 0)) {
      if (ref.transport != Transport::oci_layout) {
        usage(text, "a digest is only supported with oci:DIR@sha256:...");
      }
      if (for_output) {
        usage(text, "cannot write to a digest reference; give a tag instead");
      }
      try {
        ref.digest = Digest::parse(rest.substr(at + 1), "digest");
      } catch (const BadInput& e) {
        usage(text, e.what());
      }
      rest = rest.substr(0, at);
      if (rest.find(':') != std::string::npos) {
        usage(text, "give either a tag or a digest, not both");
      }
    }
    auto sep = rest.find(':');
    ref.path = rest.substr(0, sep);
    if (sep != std::string::npos) {
      ref.tag = rest.substr(sep + 1);
      if (!valid_oci_tag(ref.tag)) {
        usage(text, "invalid tag `" + printable(ref.tag) +
                        "` (letters, digits and ._-:/+@, not starting with . - / :)");
      }
    }
  } else if (prefix == "docker-archive") {
    ref.transport = Transport::docker_archive;
    auto sep = rest.find(':');
    ref.path = rest.substr(0, sep);
    if (sep != std::string::npos) {
      ref.tag = rest.substr(sep + 1);
      if (!ref.tag.empty() && ref.tag.front() == '@') {
        usage(text, "selecting an image by index (@N) is not supported; name it as NAME:TAG");
      }
      if (!valid_docker_name(ref.tag)) {
        usage(text, "invalid image name `" + printable(ref.tag) + "` (expected NAME[:TAG])");
      }
    }
  } else {
    struct stat st;
    if (looks_like_transport(prefix) && ::stat(text.c_str(), &st) != 0) {
      usage(text, "unsupported transport `" + prefix + "`; " + std::string(k_transport_help));
    }
    return parse_bare(text, for_output);
  }
  if (ref.path.empty()) {
    usage(text, "empty path");
  }
  return ref;
}

} // namespace whittle::oci
