#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include <whittle/util/dir_entries.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/remove_tree.hpp>

namespace whittle::util {

namespace {

int remove_entry(int dirfd, const std::string& name);

// Empties the directory open at dir. Returns 0, or the errno of the first failure (it goes on past one).
int
empty_directory(int dir)
{
  ::fchmod(dir, 0700);
  std::optional<std::vector<std::string>> names = entry_names(dir);
  if (!names) {
    return errno;
  }
  int result = 0;
  for (const auto& name : *names) {
    int err = remove_entry(dir, name);
    result = result != 0 ? result : err;
  }
  return result;
}

// Removes the entry `name` of dirfd: unlinked when it is not a directory (a symlink to one included),
// else emptied through a descriptor opened without following links and then removed. Returns 0 or an errno.
int
remove_entry(int dirfd, const std::string& name)
{
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) {
    return 0;
  }
  if (errno != EISDIR && errno != EPERM) {
    return errno;
  }
  Fd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  int err = sub ? empty_directory(sub.get()) : errno;
  sub.close();
  if (err == 0 && ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    err = errno;
  }
  return err;
}

} // namespace

void
remove_all_at(int dirfd, const std::string& name, const std::string& shown)
{
  if (int err = remove_entry(dirfd, name); err != 0) {
    throw Error(errno_message("remove `" + shown + "`", err));
  }
}

void
remove_all(const std::string& path)
{
  remove_all_at(AT_FDCWD, path, path);
}

} // namespace whittle::util
