#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <unistd.h>
#include <whittle/util/error.hpp>
#include <whittle/util/in_root.hpp>
#include <whittle/util/openat2.hpp>

namespace whittle::util {

namespace {

Fd
open_path_in_root(int root_fd, std::string_view path)
{
  std::string rel(path);
  size_t skip = rel.find_first_not_of('/');
  rel = skip == std::string::npos ? "." : rel.substr(skip);
  return Fd(openat2(root_fd, rel.c_str(), O_PATH | O_NOFOLLOW,
                    RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
}

} // namespace

struct timespec
file_time_barrier()
{
  // Stamps so far are at most `real` (fine-grained ones are the real time, coarse ones lag it); once the
  // coarse clock has passed `real`, every later stamp, coarse or fine, is at least its value.
  struct timespec real, coarse;
  clock_gettime(CLOCK_REALTIME, &real);
  for (;;) {
    clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
    if (coarse.tv_sec > real.tv_sec || (coarse.tv_sec == real.tv_sec && coarse.tv_nsec > real.tv_nsec)) {
      return coarse;
    }
    struct timespec pause = {0, 500 * 1000};
    nanosleep(&pause, nullptr);
  }
}

Fd
open_root(const std::string& dir)
{
  Fd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw_errno("open rootfs `" + dir + "`");
  }
  return fd;
}

std::optional<InRootStat>
lstat_in_root(int root_fd, std::string_view path)
{
  Fd fd = open_path_in_root(root_fd, path);
  if (!fd) {
    return std::nullopt;
  }
  InRootStat out;
  if (::fstat(fd.get(), &out.st) != 0) {
    return std::nullopt;
  }
  if (S_ISLNK(out.st.st_mode)) {
    char buf[4096];
    ssize_t len = ::readlinkat(fd.get(), "", buf, sizeof buf);
    if (len < 0 || static_cast<size_t>(len) >= sizeof buf) {
      return std::nullopt;
    }
    out.link_target.assign(buf, static_cast<size_t>(len));
  }
  return out;
}

Fd
open_regular_in_root(int root_fd, std::string_view path)
{
  Fd handle = open_path_in_root(root_fd, path);
  if (!handle) {
    return handle;
  }
  struct stat st;
  if (::fstat(handle.get(), &st) != 0) {
    return Fd();
  }
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return Fd();
  }
  // Reopened through the O_PATH descriptor: the same inode, now known to be a regular file.
  std::string self = "/proc/self/fd/" + std::to_string(handle.get());
  return Fd(::open(self.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
}

} // namespace whittle::util
