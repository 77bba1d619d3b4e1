#include <cerrno>
#include <unistd.h>
#include <whittle/util/fd.hpp>

namespace whittle::util {

Fd&
Fd::operator=(Fd&& other) noexcept
{
  if (this != &other) {
    close();
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

Fd::~Fd()
{
  close();
}

bool
Fd::close()
{
  if (m_fd < 0) {
    return true;
  }
  int rc = ::close(std::exchange(m_fd, -1));
  return rc == 0;
}

std::string
read_up_to(int fd, size_t max)
{
  std::string out(max, '\0');
  size_t got = 0;
  while (got < max) {
    ssize_t r = ::read(fd, out.data() + got, max - got);
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

} // namespace whittle::util
