#pragma once
// One entry of a tar stream as a plain value, independent of libarchive.
#include <cstdint>
#include <map>
#include <string>

namespace whittle::archive {

enum class EntryType
{
  regular,
  directory,
  symlink,
  hardlink,
  char_device,
  block_device,
  fifo
};

std::string to_string(EntryType t);

struct TarEntry
{
  std::string path; // as stored in the archive (not yet cleaned): callers must validate
  EntryType type = EntryType::regular;
  uint32_t mode = 0644; // permission bits incl. setuid/setgid/sticky (no type bits)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string uname;
  std::string gname;
  uint64_t size = 0;       // content size for regular files, else 0
  int64_t mtime = 0;       // seconds
  std::string link_target; // symlink target, or hardlink target path as stored
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::map<std::string, std::string> xattrs; // name -> raw value
};

} // namespace whittle::archive
