#pragma once
// Read access to the content of an image's final files, from a pristine extraction of its layers (made by
// rootfs::apply_layers with extract_to). The slim stage reads ELF headers, shebang lines, ld.so.conf and
// the kept files' bytes from here; the metadata always comes from the rootfs::Tree.
//
// Why an extraction rather than re-reading the layer streams: the ELF closure is a fixed point (a library
// found now names more libraries, whose headers must then be read), which needs random access to any file
// at any time; one extraction into tmpfs costs about one decode of the layers (ENVIRONMENT.md), the same as
// a second streaming pass, and the rewrite then reads kept files in sorted order without spooling.
// `whittle slim` reuses the root the app ran in: files the app may have changed are restored from the
// layers into override files (see slim::restore_pristine), so content still comes from the image.
#include <cstddef>
#include <map>
#include <string>
#include <whittle/util/fd.hpp>

namespace whittle::slim {

class RootFiles
{
public:
  // `dir` is the extraction root; "" means no content is available (every open fails).
  explicit RootFiles(std::string dir, std::map<std::string, std::string> overrides = {})
      : m_dir(std::move(dir)), m_overrides(std::move(overrides))
  {
  }

  // Opens canonical image path `path` read-only (from its override file when it has one) without following
  // any symlink in it (the caller has resolved it with Tree::resolve) and without leaving the root. Returns
  // an invalid Fd if it cannot be opened (missing, not a regular file, or no content available).
  util::Fd open(const std::string& path) const;
  // Reads at most max bytes from the start of the file; "" if it cannot be opened.
  std::string head(const std::string& path, size_t max) const;
  // Reads a whole small file (refused past max bytes: returns ""), e.g. /etc/ld.so.conf.
  std::string read_small(const std::string& path, size_t max = 1 << 20) const;

  const std::string& dir() const { return m_dir; }

private:
  std::string m_dir;
  std::map<std::string, std::string> m_overrides; // image path -> host file with its pristine content
};

} // namespace whittle::slim
