#pragma once
// The tracer profile: what an app really touched, as plain data. Written by `whittle trace`, read by
// `whittle build`, merged by `whittle profile merge`. Schema "whittle/profile/v1" (docs/profile.md).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace whittle::trace {

// Access kinds, serialised as these lowercase words.
enum class Access : uint16_t
{
  read = 1 << 0,
  write = 1 << 1,
  exec = 1 << 2,
  stat = 1 << 3,
  readlink = 1 << 4,
  create = 1 << 5,
  remove = 1 << 6, // "delete"
  dir = 1 << 7,
  missing = 1 << 8,
};

std::string to_string(Access a);
std::optional<Access> parse_access(const std::string& s);

struct FileRecord
{
  std::string path;        // canonical image path
  uint16_t access = 0;     // bitwise or of Access
  std::string link_target; // set when the path is a symlink that was followed or read
  bool has(Access a) const { return (access & static_cast<uint16_t>(a)) != 0; }
  bool operator==(const FileRecord&) const = default;
};

struct ProbeResult
{
  std::string kind;        // "http" | "exec" | "healthcheck"
  std::string target;      // URL, command, or the image's healthcheck ("CMD-SHELL curl -f ...")
  int status = 0;          // HTTP status or exit code
  std::string body_sha256; // HTTP body digest (or exec stdout digest)
  bool ok = false;
  std::vector<FileRecord> files; // exec probes and healthchecks: files the probe touched, kept apart
};

struct RunRecord
{
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string workdir;
  std::string user;
  int exit_code = -1;
  int signal = 0;
  int64_t duration_ms = 0;
  std::string stdout_sha256;
  std::vector<ProbeResult> probes;
  std::vector<std::string> needs_root; // reasons the app needs root ("setuid", "bind port 80", ...)
  // The first non-root identity the app switched to (setuid/setresuid/setgid... as seen inside),
  // "uid:gid"; "" when it never switched. JSON "switched_user". slim's second non-root candidate.
  std::string switched_user;
  // The capabilities the app used as root, by name without CAP_ ("CHOWN", "SETUID", "NET_BIND_SERVICE"),
  // sorted; JSON "capabilities". The set slim keeps when the image must stay root.
  std::vector<std::string> capabilities;
  // The app's calls the sandbox's baseline policy refused, by rule label ("keyctl", "ioctl(TIOCSTI)"),
  // with their count.
  std::map<std::string, uint64_t> refused;
};

struct Profile
{
  std::string schema = "whittle/profile/v1";
  std::string image_ref;
  std::string manifest_digest;
  std::string platform;
  std::vector<RunRecord> runs;
  std::map<std::string, FileRecord> files;       // by path (sorted)
  std::map<std::string, uint16_t> special;       // /proc, /sys, /dev accesses, kept apart
  std::optional<std::set<std::string>> syscalls; // complete set, only from a --syscalls trace

  // Records an access (ors the bits into an existing record).
  void add(const std::string& path, Access a, const std::string& link_target = "");
};

// Strings in the JSON are the bytes whittle saw, in an escaped form that is always valid UTF-8: a byte
// that is not part of a valid UTF-8 sequence becomes `\xHH` (two lowercase hex digits), a backslash
// becomes `\\`, everything else is kept. unescape_profile_string reverses it exactly (a backslash before
// anything else is kept as it stands, as profiles written before the escape read). Never fail.
std::string escape_profile_string(const std::string& bytes);
std::string unescape_profile_string(const std::string& text);

// Parses profile JSON; throws BadInput naming `what` on invalid JSON, wrong schema or bad fields.
Profile parse_profile(const std::string& json, const std::string& what);
// Serialises deterministically (files sorted by path, two-space indent, trailing newline).
std::string serialize_profile(const Profile& p);
// Reads / writes (atomically) a profile file.
Profile read_profile(const std::string& path);
void write_profile(const Profile& p, const std::string& path);
// Unites several profiles: runs concatenated (each keeps its own needs_root and refused counts), file
// accesses or-ed, syscalls united (absent if any lacks them). Throws BadInput if they name different manifest
// digests, unless allow_mixed.
Profile merge_profiles(const std::vector<Profile>& profiles, bool allow_mixed = false);

} // namespace whittle::trace
