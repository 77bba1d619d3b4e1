#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <whittle/trace/child_sync.hpp>

namespace whittle::trace {

namespace {

size_t
append(char* dst, size_t pos, size_t cap, const char* src) noexcept
{
  while (src != nullptr && *src != '\0' && pos + 1 < cap) {
    dst[pos++] = *src++;
  }
  dst[pos] = '\0';
  return pos;
}

} // namespace

void
report_child_error(int fd, int err, const char* what, const char* object) noexcept
{
  ChildError e;
  e.err = err;
  size_t pos = append(e.message, 0, sizeof e.message, what);
  if (object != nullptr && *object != '\0') {
    pos = append(e.message, pos, sizeof e.message, " `");
    pos = append(e.message, pos, sizeof e.message, object);
    append(e.message, pos, sizeof e.message, "`");
  }
  // One write below PIPE_BUF is atomic.
  ssize_t n;
  do {
    n = ::write(fd, &e, sizeof e);
  } while (n < 0 && errno == EINTR);
}

bool
read_child_error(int fd, ChildError& out) noexcept
{
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  ssize_t n = ::read(fd, &out, sizeof out);
  fcntl(fd, F_SETFL, flags);
  if (n != static_cast<ssize_t>(sizeof out)) {
    return false;
  }
  out.message[sizeof out.message - 1] = '\0';
  return true;
}

} // namespace whittle::trace
