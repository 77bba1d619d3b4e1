#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <whittle/slim/root_files.hpp>
#include <whittle/util/in_root.hpp>

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
  // The root may be the one the app ran in: whatever it left at `path`, only a regular file is opened.
  return util::open_regular_in_root(root.get(), path);
}

std::string
RootFiles::head(const std::string& path, size_t max) const
{
  util::Fd fd = open(path);
  if (!fd) {
    return "";
  }
  return util::read_up_to(fd.get(), max);
}

std::string
RootFiles::read_small(const std::string& path, size_t max) const
{
  std::string s = head(path, max + 1);
  return s.size() > max ? std::string() : s;
}

} // namespace whittle::slim
