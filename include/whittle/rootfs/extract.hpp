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
// Owners are shifted (util::IdShift): with a shift, image id X is written as shift.to_outer(X), so that the
// sandbox's user namespace shows X again; the in-memory Tree keeps the image's ids. Device nodes are never
// created on the host: a character or block device becomes an empty regular file with mode 0 (the Tree
// keeps the device, so an output image still carries it), which nothing can open as a device.
//
// Directories are created 0700 and get their final owner, xattrs, mode and mtime in finish(), deepest
// first, so read-only directories can still be filled and their mtimes are not disturbed by their children.
#include <string>
#include <whittle/rootfs/tree.hpp>
#include <whittle/util/byte_stream.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/id_shift.hpp>

namespace whittle::rootfs {

enum class Owners
{
  skip,
  preserve
};

class Extractor
{
public:
  // Opens `dir` (must exist and be a directory). With Owners::preserve, owners are set (through `shift`)
  // when running as root (else skipped). Throws Error.
  Extractor(const std::string& dir, Owners owners, util::IdShift shift = {});
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
  // Fifos; a character/block device becomes its placeholder (an empty regular file, mode 0).
  void make_special(const std::string& path, const Node& meta);
  // Removes whatever is at path, recursively, never following a symlink; a missing path is fine.
  void remove(const std::string& path);
  // Applies the final metadata of every directory of `tree` (deepest first). Throws Error.
  void finish(const Tree& tree);

  const std::string& dir() const { return m_dir; }
  // Device placeholders written, and xattrs skipped (privileges or filesystem support).
  int device_placeholders() const { return m_device_placeholders; }
  // Entries whose uid or gid the shift could not hold (written as its overflow id).
  uint64_t overflowed_ids() const { return m_overflowed_ids; }
  int skipped_xattrs() const { return m_skipped_xattrs; }

private:
  // Returns a descriptor of directory `path`, creating missing components (0700). Borrowed: valid until
  // the next call.
  int open_dir(const std::string& path, bool create);
  void set_xattrs(int fd, const std::string& path, const Node& meta);
  void apply_owner_mode_times_at(int dirfd, const std::string& name, const std::string& path,
                                 const Node& meta, bool chmod);
  uid_t owner_uid(const Node& meta);
  gid_t owner_gid(const Node& meta);
  void note_overflow(uint32_t id, const char* kind);

  std::string m_dir;
  util::Fd m_root;
  bool m_chown;
  util::IdShift m_shift;
  uint64_t m_overflowed_ids = 0;
  // One cached parent directory: consecutive tar entries share it.
  std::string m_cached_path;
  util::Fd m_cached;
  int m_device_placeholders = 0;
  int m_skipped_xattrs = 0;
};

} // namespace whittle::rootfs
