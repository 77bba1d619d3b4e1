#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include <whittle/util/dir_entries.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/id_shift.hpp>

namespace whittle::util {

std::string
describe(const IdShift& shift)
{
  return std::to_string(shift.base) + ":" + std::to_string(shift.count);
}

namespace {

uint64_t
shift_at(int dirfd, const std::string& name, const std::string& shown, const IdShift& shift)
{
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("stat `" + shown + "`");
  }
  uint64_t overflowed = (shift.holds(st.st_uid) ? 0 : 1) + (shift.holds(st.st_gid) ? 0 : 1);
  if (S_ISDIR(st.st_mode)) {
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      throw_errno("open directory `" + shown + "`");
    }
    Fd dir(fd);
    std::optional<std::vector<std::string>> names = entry_names(dir.get());
    if (!names) {
      throw_errno("read directory `" + shown + "`");
    }
    for (const auto& n : *names) {
      overflowed += shift_at(dir.get(), n, shown + "/" + n, shift);
    }
  }
  // chown clears set-id bits of regular files: put the mode back.
  if (::fchownat(dirfd, name.c_str(), shift.to_outer(st.st_uid), shift.to_outer(st.st_gid),
                 AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("chown `" + shown + "`");
  }
  if (S_ISREG(st.st_mode) && (st.st_mode & 06000) != 0 &&
      ::fchmodat(dirfd, name.c_str(), st.st_mode & 07777, 0) != 0) {
    throw_errno("chmod `" + shown + "`");
  }
  return overflowed;
}

} // namespace

uint64_t
shift_owners(const std::string& dir, const IdShift& shift)
{
  if (!shift.active()) {
    return 0;
  }
  return shift_at(AT_FDCWD, dir, dir, shift);
}

} // namespace whittle::util
