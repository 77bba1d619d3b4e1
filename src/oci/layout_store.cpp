#include "json_util.hpp"
#include "stores.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/util/error.hpp>
#include <whittle/util/openat2.hpp>

namespace whittle::oci::detail {

namespace {

// Opens `rel` beneath dirfd without leaving it through ".." or symlinks. Returns -1 with errno set.
int
open_beneath(int dirfd, const std::string& rel)
{
  int fd = util::openat2(dirfd, rel.c_str(), O_RDONLY, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0 || errno != ENOSYS) {
    return fd;
  }
  // Kernels before 5.6: refuse any symlink on the way (blob paths are fixed names without "..").
  int cur = ::dup(dirfd);
  size_t start = 0;
  while (cur >= 0) {
    auto slash = rel.find('/', start);
    std::string comp = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (slash == std::string::npos ? 0 : O_DIRECTORY);
    int next = (comp == ".." || comp.empty()) ? (errno = EXDEV, -1) : ::openat(cur, comp.c_str(), flags);
    int err = errno;
    ::close(cur);
    errno = err;
    if (slash == std::string::npos || next < 0) {
      return next;
    }
    cur = next;
    start = slash + 1;
  }
  return -1;
}

class LayoutStore : public OciSource
{
public:
  explicit LayoutStore(std::string dir) : m_dir(std::move(dir))
  {
    m_dirfd = util::Fd(::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!m_dirfd) {
      throw BadInput(errno_message("open OCI layout `" + m_dir + "`", errno));
    }
    std::string layout = read_file("oci-layout", "`oci-layout` of `" + m_dir + "`");
    nlohmann::json j = parse_json(layout, "`oci-layout` of `" + m_dir + "`");
    if (!j.is_object() || !j.contains("imageLayoutVersion") || !j["imageLayoutVersion"].is_string()) {
      throw BadInput("parse `oci-layout` of `" + m_dir + "`: missing string field `imageLayoutVersion`");
    }
  }

  std::unique_ptr<util::ByteSource> open(const Descriptor& d) const override
  {
    std::string what = "blob " + d.digest.str() + " in `" + m_dir + "`";
    util::Fd fd = open_file("blobs/" + d.digest.algorithm + "/" + d.digest.hex, "open " + what);
    auto src = std::make_unique<OwnedFdSource>(std::move(fd),
                                               m_dir + "/blobs/" + d.digest.algorithm + "/" + d.digest.hex);
    return verified(std::move(src), d, what);
  }

  std::string name() const override { return "`" + m_dir + "`"; }

  std::string read_index() const override
  {
    return read_file("index.json", "`index.json` of `" + m_dir + "`");
  }

private:
  class OwnedFdSource : public util::ByteSource
  {
  public:
    OwnedFdSource(util::Fd fd, std::string name) : m_fd(std::move(fd)), m_src(m_fd.get(), std::move(name)) {}
    size_t read(void* buf, size_t n) override { return m_src.read(buf, n); }

  private:
    util::Fd m_fd;
    util::FdSource m_src;
  };

  util::Fd open_file(const std::string& rel, const std::string& verb) const
  {
    util::Fd fd(open_beneath(m_dirfd.get(), rel));
    if (!fd) {
      if (errno == ENOENT) {
        throw BadInput(verb + ": missing");
      }
      if (errno == EXDEV || errno == ELOOP) {
        throw BadInput(verb + ": is a symlink leading outside the layout (refused)");
      }
      throw BadInput(errno_message(verb, errno));
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
      throw_errno(verb);
    }
    if (!S_ISREG(st.st_mode)) {
      throw BadInput(verb + ": not a regular file");
    }
    return fd;
  }

  std::string read_file(const std::string& rel, const std::string& what) const
  {
    util::Fd fd = open_file(rel, "open " + what);
    util::FdSource src(fd.get(), m_dir + "/" + rel);
    return util::read_all(src, k_max_json_bytes, what);
  }

  std::string m_dir;
  util::Fd m_dirfd;
};

} // namespace

std::shared_ptr<OciSource>
open_layout_store(const std::string& dir)
{
  return std::make_shared<LayoutStore>(dir);
}

} // namespace whittle::oci::detail
