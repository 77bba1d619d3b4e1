#pragma once
// An owned file descriptor, closed when it goes out of scope.
#include <cstddef>
#include <string>
#include <utility>

namespace whittle::util {

class Fd
{
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  ~Fd();

  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  // Gives up ownership; returns the descriptor.
  int release() { return std::exchange(m_fd, -1); }
  // Closes now; returns false (errno set) if close(2) reported an error.
  bool close();

private:
  int m_fd = -1;
};

// Reads from fd until max bytes or end of file (a read error ends it early); returns what was read.
std::string read_up_to(int fd, size_t max);

} // namespace whittle::util
