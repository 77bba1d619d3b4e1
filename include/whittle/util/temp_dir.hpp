#pragma once
// Temporary directories and atomic outputs. An output is built under a hidden sibling of its destination
// and renamed into place by an explicit commit(); the destructor never commits, it removes (ccache's
// AtomicFile), so after any failure nothing is left at the destination.
#include <string>

namespace whittle::util {

// A directory removed recursively when the object dies, unless keep() was called.
class TempDir
{
public:
  // Creates a fresh directory "<parent>/<prefix>XXXXXX"; parent defaults to $TMPDIR or /tmp. Throws Error.
  // A ".whittle-" prefix first runs clean_stale on the parent (an hour's age), removing what killed runs left.
  explicit TempDir(const std::string& prefix, const std::string& parent = "");
  TempDir(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return m_path; }
  void keep() { m_keep = true; }

private:
  std::string m_path;
  bool m_keep = false;
};

// A file or directory output at `dest`, first written at temp_path() (a hidden sibling, same filesystem).
class AtomicOutput
{
public:
  enum class Kind { file, directory };
  // Throws Error if the parent directory of dest does not exist. For Kind::directory the temp directory
  // is created; for Kind::file only the name is reserved. Runs clean_stale on the parent first (an hour's age).
  AtomicOutput(std::string dest, Kind kind);
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput();

  const std::string& temp_path() const { return m_temp; }
  const std::string& dest() const { return m_dest; }
  // fsyncs and renames temp_path() onto dest. An existing destination file is replaced; an existing
  // destination directory is replaced only if `replace_dir` (it is renamed aside, then removed). Throws Error.
  void commit(bool replace_dir = true);

private:
  std::string m_dest;
  std::string m_temp;
  Kind m_kind;
  bool m_committed = false;
};

// Returns $TMPDIR or "/tmp".
std::string temp_root();

// Removes a path recursively; ignores a missing path. Throws Error on other failures.
void remove_all(const std::string& path);

// Removes stale "<parent>/.whittle-*" work and temp entries older than max_age_seconds whose owning
// process (pid in the name) is gone. Never throws. Returns how many were removed.
int clean_stale(const std::string& parent, int max_age_seconds);

} // namespace whittle::util
