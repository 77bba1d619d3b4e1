#include <whittle/archive/tar_entry.hpp>

namespace whittle::archive {

std::string
to_string(EntryType t)
{
  switch (t) {
  case EntryType::regular:
    return "regular file";
  case EntryType::directory:
    return "directory";
  case EntryType::symlink:
    return "symlink";
  case EntryType::hardlink:
    return "hardlink";
  case EntryType::char_device:
    return "character device";
  case EntryType::block_device:
    return "block device";
  case EntryType::fifo:
    return "fifo";
  }
  return "unknown";
}

} // namespace whittle::archive
