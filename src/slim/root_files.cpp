#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <whittle/slim/root_files.hpp>

namespace whittle::slim {

util::Fd
RootFiles::open(const std::string& path) const
{
  auto o = m_overrides.find(path);
  if (o != m_overrides.end()) {
    return util::Fd(::open(o->second.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  }
  if (m_dir.empty()) {
    return util::Fd();
  }
  util::Fd root(::open(m_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    return util::Fd();
  }
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') {
    rel.erase(0, 1);
  }
  if (rel.empty()) {
    return util::Fd();
  }
  struct open_how how = {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return util::Fd();
  }
  util::Fd out(static_cast<int>(fd));
  struct stat st;
  if (::fstat(out.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return util::Fd();
  }
  return out;
}

std::string
RootFiles::head(const std::string& path, size_t max) const
{
  util::Fd fd = open(path);
  if (!fd) {
    return "";
  }
  std::string out(max, '\0');
  size_t got = 0;
  while (got < max) {
    ssize_t r = ::read(fd.get(), out.data() + got, max - got);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      break;
    }
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

std::string
RootFiles::read_small(const std::string& path, size_t max) const
{
  std::string s = head(path, max + 1);
  return s.size() > max ? std::string() : s;
}

} // namespace whittle::slim
