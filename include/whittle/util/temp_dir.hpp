#pragma once
// Temporary directories and atomic outputs. An output is built under a hidden sibling of its destination
// and renamed into place by an explicit commit(); the destructor never commits, it removes (ccache's
// AtomicFile), so after any failure nothing is left at the destination.
#include <string>
#include <whittle/util/remove_tree.hpp>

namespace whittle::util {

// What a whittle work directory is for; part of its name, so the cleaner knows the exact names it may remove.
enum class WorkKind
{
  trace,
  slim,
  build,
  verify,
  image, // an archive's staged OCI layout
};

// A directory removed recursively when the object dies, unless keep() was called.
class TempDir
{
public:
  // Creates a fresh directory "<parent>/<prefix>XXXXXX" (cli passes $TMPDIR or /tmp where the user named
  // no directory). Throws Error. Such a directory is never removed by clean_stale.
  TempDir(const std::string& prefix, const std::string& parent);
  // Creates a whittle work directory "<parent>/.whittle-<kind>-<pid>-XXXXXX", after running clean_stale on
  // parent, which removes what killed runs left. Throws Error.
  static TempDir work(WorkKind kind, const std::string& parent);
  TempDir(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return m_path; }
  // Leaves the directory in place when the object dies, and writes the marker file k_kept_marker inside
  // it so that no later clean_stale removes it (--keep-workdir). Throws Error if the marker cannot be
  // written.
  void keep();

private:
  std::string m_path;
  bool m_keep = false;
};

// A file or directory output at `dest`, first written at temp_path() (a hidden sibling, same filesystem).
class AtomicOutput
{
public:
  enum class Kind
  {
    file,
    directory
  };
  // Throws Error if the parent directory of dest does not exist. For Kind::directory the temp directory
  // is created; for Kind::file only the name is reserved. Runs clean_stale on the parent first (an hour's
  // age).
  AtomicOutput(std::string dest, Kind kind);
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput();

  const std::string& temp_path() const { return m_temp; }
  const std::string& dest() const { return m_dest; }
  // fsyncs and renames temp_path() onto dest. An existing destination file is replaced; an existing
  // destination directory is replaced only if `replace_dir` (it is renamed aside, then removed). Throws
  // Error.
  void commit(bool replace_dir = true);

private:
  std::string m_dest;
  std::string m_temp;
  Kind m_kind;
  bool m_committed = false;
};

// The file inside a kept work directory that tells clean_stale to leave it.
inline constexpr const char* k_kept_marker = ".whittle-kept";

// True if `name` (a file name, no slash) has the exact shape of an entry whittle creates and cleans up:
//   .whittle-<kind>-<pid>-<6 of [A-Za-z0-9]>        TempDir::work (kind one of WorkKind's names)
//   .whittle-tmp-<pid>-<8 of [a-z0-9]>-<dest name>   AtomicOutput's temp, and "<that>.old" in commit()
// with pid a positive decimal pid_t. On true, *pid is that pid.
bool is_stale_candidate(const std::string& name, int* pid);

// Removes from `parent` (not below it) the entries left by killed whittle runs: only names for which
// is_stale_candidate holds, owned by this process's euid, of the type whittle creates there (a directory,
// or a regular file for an AtomicOutput), whose pid is no live process, older than max_age_seconds (a
// whittle in another pid namespace sharing the directory has a pid we cannot see), and, for work
// directories, without k_kept_marker inside. Never throws. Returns how many were removed.
int clean_stale(const std::string& parent, int max_age_seconds);

} // namespace whittle::util
