#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <whittle/util/openat2.hpp>

namespace whittle::util {

int
openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) noexcept
{
  open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = resolve;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return static_cast<int>(fd);
}

} // namespace whittle::util
