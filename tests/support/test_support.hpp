#pragma once
// Test helpers: a per-test temporary directory (kept and printed when the test fails), a tiny image
// builder that writes layers and OCI layouts with libarchive directly (never through the code under test),
// and probes for root-only features.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace whittle::test {

// A directory for the current test, removed at scope exit unless the test failed (then its path is printed).
class TestDir
{
public:
  TestDir();
  // Under `parent` instead of $TMPDIR (or /tmp).
  explicit TestDir(const std::string& parent);
  ~TestDir();
  const std::string& path() const { return m_path; }
  std::string operator/(const std::string& name) const { return m_path + "/" + name; }

private:
  std::string m_path;
  int m_failures_at_start = 0;
};

// One entry of a generated layer.
struct FixtureEntry
{
  enum class Kind
  {
    file,
    dir,
    symlink,
    hardlink,
    fifo,
    chardev,
    raw,
    blockdev
  } kind = Kind::file;
  std::string path;    // exactly as written into the tar (may be hostile)
  std::string content; // file content
  std::string target;  // link target
  uint32_t mode = 0644;
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 1700000000;
  std::map<std::string, std::string> xattrs;
  uint32_t dev_major = 0, dev_minor = 0;
};

FixtureEntry file(const std::string& path, const std::string& content, uint32_t mode = 0644);
FixtureEntry dir(const std::string& path, uint32_t mode = 0755);
FixtureEntry symlink(const std::string& path, const std::string& target);
FixtureEntry hardlink(const std::string& path, const std::string& target);
FixtureEntry fifo(const std::string& path);
FixtureEntry chardev(const std::string& path, uint32_t major, uint32_t minor);  // mode 0666
FixtureEntry blockdev(const std::string& path, uint32_t major, uint32_t minor); // mode 0666

// Writes an uncompressed tar (pax) of the entries, in the given order; returns the bytes.
std::string make_tar(const std::vector<FixtureEntry>& entries);
// gzip / zstd helpers (zlib / libzstd directly).
std::string gzip(const std::string& data);
std::string zstd(const std::string& data);
std::string sha256_hex(const std::string& data);
// The digest of a file, read in blocks (the hostile suites hash the 60+ MiB whittle binary per case).
std::string sha256_file(const std::string& path);

struct FixtureImage
{
  std::vector<std::vector<FixtureEntry>> layers;
  std::string compression = "gzip"; // "none" | "gzip" | "zstd"
  std::vector<std::string> entrypoint = {"/bin/app"};
  std::vector<std::string> cmd;
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  std::string user;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports; // "80/tcp"
  std::string architecture = "";          // default: host's GOARCH
  std::string tag = "latest";
};

// Writes an OCI layout directory at dir (created); returns the manifest digest "sha256:...".
std::string write_oci_layout(const FixtureImage& image, const std::string& dir);
// Writes an oci-archive tar of the layout.
std::string write_oci_archive(const FixtureImage& image, const std::string& file);
// Writes a docker-archive (docker save format: manifest.json, <id>.json, <id>/layer.tar).
void write_docker_archive(const FixtureImage& image, const std::string& file, const std::string& repo_tag);
// Tars a directory tree (sorted, relative names) into file.
void tar_directory(const std::string& dir, const std::string& file);

// Runs a shell command; returns its exit status and captures stdout (+stderr when merge_stderr).
int run_command(const std::string& cmd, std::string* output = nullptr, bool merge_stderr = true);
// The host's GOARCH name ("amd64", "arm64"), as image configs spell it.
std::string host_arch();
// True if something (anything, even a dangling link) exists at path.
bool path_exists(const std::string& path);
// Reads / writes a whole file.
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);

// True if running as root with user/mount/pid namespaces and ptrace available, or unprivileged where user
// namespaces let whittle's rootless mode work. Tests needing them WARN and
// return when false; .ci/run fails if any test printed the skip marker.
bool have_root_sandbox();
// Prints the skip marker "WHITTLE-SKIP: reason" (to stderr) that .ci/run greps for.
void skip(const std::string& reason);

} // namespace whittle::test
