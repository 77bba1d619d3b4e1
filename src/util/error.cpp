#include <cerrno>
#include <cstring>
#include <whittle/util/error.hpp>

namespace whittle {

std::string
escape_nul(const std::string& message)
{
  if (message.find('\0') == std::string::npos) {
    return message;
  }
  std::string out;
  for (char c : message) {
    out += c == '\0' ? std::string("\\x00") : std::string(1, c);
  }
  return out;
}

std::string
errno_message(const std::string& what, int err)
{
  return what + ": " + std::strerror(err);
}

void
throw_errno(const std::string& what)
{
  throw Error(errno_message(what, errno));
}

} // namespace whittle
