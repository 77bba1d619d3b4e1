#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/util/bounded_read.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>

namespace whittle::util {

namespace {

std::string
kind_of(mode_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFIFO:
    return "a FIFO";
  case S_IFCHR:
    return "a character device";
  case S_IFBLK:
    return "a block device";
  case S_IFSOCK:
    return "a socket";
  case S_IFDIR:
    return "a directory";
  default:
    return "not a regular file";
  }
}

std::string
cap_text(uint64_t cap)
{
  if (cap >= (1ULL << 20) && cap % (1ULL << 20) == 0) {
    return std::to_string(cap >> 20) + " MiB";
  }
  return std::to_string(cap) + " bytes";
}

} // namespace

std::string
read_bounded(const std::string& path, uint64_t cap, const std::string& what)
{
  std::string verb = "read " + what + " `" + path + "`";
  // O_NONBLOCK: opening a FIFO without a writer would otherwise block before fstat can refuse it.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    throw_errno(verb);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    throw_errno(verb);
  }
  if (!S_ISREG(st.st_mode)) {
    throw BadInput(verb + ": " + kind_of(st.st_mode) + ", expected a regular file");
  }
  std::string too_big = verb + ": larger than the " + cap_text(cap) + " limit for a " + what + " file";
  if (static_cast<uint64_t>(st.st_size) > cap) {
    throw BadInput(too_big);
  }
  // The size can change under us: read to end of file, but never past cap + 1 bytes.
  std::string data;
  data.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno(verb);
    }
    if (n == 0) {
      break;
    }
    if (data.size() + static_cast<uint64_t>(n) > cap) {
      throw BadInput(too_big);
    }
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

} // namespace whittle::util
