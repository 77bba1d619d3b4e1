#pragma once
// Writing a root filesystem into a directory so that nothing lands outside it. Every path is canonical
// (util::clean_in_root) and is opened below a descriptor of the root with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS): the kernel refuses any symlink on the way (ELOOP), and
// ".." or an absolute link could not leave the root anyway. The last component is never followed
// (O_NOFOLLOW|O_EXCL, mkdirat, symlinkat, linkat without AT_SYMLINK_FOLLOW, mknodat,
// *at(AT_SYMLINK_NOFOLLOW)). Policy (refusing entries through symlinks, hardlink targets that must exist) is
// the applier's job; this class is the enforcement underneath it, so a mistake above still cannot write
// outside the root.
//
// Directories are created 0700 and get their final owner, xattrs, mode and mtime in finish(), deepest
// first, so read-only directories can still be filled and their mtimes are not disturbed by their children.
#include <string>
#include <whittle/rootfs/tree.hpp>
#include <whittle/util/byte_stream.hpp>
#include <whittle/util/fd.hpp>

namespace whittle::rootfs {

enum class Owners
{
  skip,
  preserve
};

class Extractor
{
public:
  // Opens `dir` (must exist and be a directory). With Owners::preserve, chown and device nodes are done
  // when running as root (else skipped with one warning). Throws Error.
  Extractor(const std::string& dir, Owners owners);
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  // Each creator expects nothing at `path` (call remove() first to replace); missing parents are created.
  // They throw BadInput when the kernel finds a symlink on the way, Error on other failures.

  // Creates a directory (0700 until finish()); an existing directory is kept.
  void make_directory(const std::string& path);
  // Creates a regular file from exactly meta.size bytes of content, with owner, mode, xattrs and mtime.
  void write_file(const std::string& path, const Node& meta, util::ByteSource& content);
  void make_symlink(const std::string& path, const Node& meta);
  // Links `path` to the existing non-directory `target` (both canonical, both below the root).
  void make_hardlink(const std::string& path, const std::string& target);
  // Character/block devices (root only, else skipped with a warning) and fifos.
  void make_special(const std::string& path, const Node& meta);
  // Removes whatever is at path, recursively, never following a symlink; a missing path is fine.
  void remove(const std::string& path);
  // Applies the final metadata of every directory of `tree` (deepest first). Throws Error.
  void finish(const Tree& tree);

  const std::string& dir() const { return m_dir; }
  // Counts of what was skipped because of missing privileges or filesystem support.
  int skipped_devices() const { return m_skipped_devices; }
  int skipped_xattrs() const { return m_skipped_xattrs; }

private:
  // Returns a descriptor of directory `path`, creating missing components (0700). Borrowed: valid until
  // the next call.
  int open_dir(const std::string& path, bool create);
  void set_xattrs(int fd, const std::string& path, const Node& meta);
  void apply_owner_mode_times_at(int dirfd, const std::string& name, const std::string& path,
                                 const Node& meta, bool chmod);

  std::string m_dir;
  util::Fd m_root;
  bool m_chown;
  // One cached parent directory: consecutive tar entries share it.
  std::string m_cached_path;
  util::Fd m_cached;
  int m_skipped_devices = 0;
  int m_skipped_xattrs = 0;
};

} // namespace whittle::rootfs
