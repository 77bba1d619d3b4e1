#include <whittle/util/fd.hpp>

#include <unistd.h>

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

} // namespace whittle::util
