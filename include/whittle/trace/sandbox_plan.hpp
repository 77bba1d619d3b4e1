#pragma once
// The sandbox as data (bubblewrap's SetupOp list): every mount, directory and symlink the sandbox init
// makes inside the rootfs, the identity and program of the app. Built from options and the rootfs before
// anything is mounted, so it is unit-testable without root and printable under --debug.
#include <whittle/trace/limits.hpp>

#include <string>
#include <sys/types.h>
#include <vector>

namespace whittle::trace {

struct BindMount
{
  std::string host;      // host path (must exist)
  std::string target;    // canonical image path
  bool read_only = false;
};

// Parses "HOST:CONTAINER[:ro]"; throws UsageError with one sentence when malformed.
BindMount parse_bind_mount(const std::string& spec);

enum class Network { none, host };

struct SandboxOptions
{
  std::string rootfs;    // extracted root filesystem (host path)
  std::string state_dir; // whittle's own files (hosts, resolv.conf, hostname) are written here
  std::vector<std::string> argv; // Entrypoint + Cmd, already chosen
  std::vector<std::string> env;  // K=V
  std::string workdir = "/";
  std::string user;      // "", "name", "uid", "name:group", "uid:gid"
  std::vector<BindMount> mounts;
  Network network = Network::none;
  std::string hostname = "whittle";
};

enum class OpKind {
  mount_fs,   // mount a fresh filesystem (proc, sysfs, tmpfs, devpts) at target
  bind,       // bind host source at target (recursive)
  remount_ro, // make the bind at target read-only
  make_dir,   // mkdir target (inside a fresh tmpfs)
  make_file,  // create an empty file at target (inside a fresh tmpfs), a bind target
  symlink,    // symlink target -> source (inside a fresh tmpfs)
};

struct SetupOp
{
  OpKind kind = OpKind::make_dir;
  std::string source;  // host path (bind), fs type (mount_fs), link target (symlink)
  std::string target;  // image path, relative to the rootfs, without the leading "/"
  unsigned long flags = 0; // MS_* for mount_fs / bind
  std::string data;    // mount data for mount_fs
  bool must_exist_in_image = false; // the target is created in the rootfs before the sandbox starts
  bool target_is_dir = true;
};

struct SandboxPlan
{
  std::string rootfs;
  std::vector<SetupOp> ops;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string user;               // as resolved, "uid:gid"
  std::string exe;                // the program to execve (image path)
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string workdir = "/";
  std::string hostname;
  Network network = Network::none;
  std::vector<std::string> special; // image paths recorded apart (mount targets of whittle's own files)
  AppLimits limits;
  bool limits_by_cgroup = false; // a cgroup holds the app's memory and task caps (else rlimits do)
};

// Interface.

// Builds the plan: resolves the user against the rootfs's /etc/passwd and /etc/group, argv[0] against
// the image PATH (inside the rootfs), writes hosts/resolv.conf/hostname into state_dir. Throws UsageError
// (no command, bad --mount) or BadInput (unknown user, program not found in the image).
SandboxPlan make_plan(const SandboxOptions& options);

// A readable listing of the plan, one op per line (for --debug and tests).
std::string describe(const SandboxPlan& plan);

} // namespace whittle::trace
