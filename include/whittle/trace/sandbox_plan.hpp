#pragma once
// The sandbox as data (bubblewrap's SetupOp list): every mount, directory and symlink the sandbox init
// makes inside the rootfs, the identity and program of the app. Built from options and the rootfs before
// anything is mounted, so it is unit-testable without root and printable under --debug.
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>
#include <whittle/trace/limits.hpp>
#include <whittle/trace/run_constraints.hpp>
#include <whittle/util/id_shift.hpp>

namespace whittle::trace {

struct BindMount
{
  std::string host;   // host path (must exist)
  std::string target; // canonical image path
  bool read_only = false;
};

// Parses "HOST:CONTAINER[:ro]"; throws UsageError with one sentence when malformed.
BindMount parse_bind_mount(const std::string& spec);

enum class Network
{
  none,
  host
};

struct SandboxOptions
{
  std::string rootfs;            // extracted root filesystem (host path)
  std::string state_dir;         // whittle's own files (hosts, resolv.conf, hostname) are written here
  std::vector<std::string> argv; // Entrypoint + Cmd, already chosen
  std::vector<std::string> env;  // K=V
  std::string workdir = "/";
  std::string user; // "", "name", "uid", "name:group", "uid:gid"
  std::vector<BindMount> mounts;
  Network network = Network::none;
  std::string hostname = "whittle";
  // The app's ids 0..count-1 are base.. in whittle's namespace (trace/idmap); the rootfs was extracted
  // with the same shift. Inactive: the Sandbox chooses trace::sandbox_id_shift().
  util::IdShift id_shift;
  // The rootfs holds the image's own ids (a directory whittle did not extract): mounted idmapped by
  // id_shift, its owners on disk unchanged (trace::given_rootfs_ids).
  bool idmap_rootfs = false;
  // verify's constraints (read-only root, tmpfs, capabilities, seccomp allow list); nullopt for a trace.
  std::optional<RunConstraints> constraints;
};

enum class OpKind
{
  mount_fs,  // mount a fresh filesystem (proc, sysfs, tmpfs, devpts) at target
  bind,      // bind host source at target (recursive); MS_RDONLY/NOSUID/NODEV/NOEXEC in flags are set on the
             // whole bind, submounts included (mount_setattr AT_RECURSIVE)
  readonly,  // bind target onto itself, read-only all the way down (runc's readonlyPaths)
  mask,      // hide target: /dev/null bound over a file, an empty read-only tmpfs over a directory
             // (runc's maskedPaths)
  make_dir,  // mkdir target (inside a fresh tmpfs)
  make_file, // create an empty file at target (inside a fresh tmpfs), a bind target
  symlink,   // symlink target -> source (inside a fresh tmpfs)
  tmpfs,     // podman's --tmpfs: a fresh tmpfs (rw, nosuid, nodev; exec allowed) at target, holding a copy of
             // the image directory's content (owners, modes, times); its root gets the directory's mode and
             // the sandbox root as owner, or mode 1777 when the image has no such directory (data
             // "mode=1777"). RunConstraints::tmpfs_paths; docs/sandbox.md, Verify's constraints.
};

struct SetupOp
{
  OpKind kind = OpKind::make_dir;
  std::string source;               // host path (bind), fs type (mount_fs), link target (symlink)
  std::string target;               // image path, relative to the rootfs, without the leading "/"
  unsigned long flags = 0;          // MS_* for mount_fs / bind
  std::string data;                 // mount data for mount_fs
  bool must_exist_in_image = false; // the target is created in the rootfs before the sandbox starts
  bool target_is_dir = true;
  bool optional = false; // skipped when the target does not exist (kernel files that vary by build)
};

struct SandboxPlan
{
  std::string rootfs;
  std::vector<SetupOp> ops;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string user; // as resolved, "uid:gid"
  std::string exe;  // the program to execve (image path)
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string workdir = "/";
  std::string hostname;
  Network network = Network::none;
  std::vector<std::string> special; // image paths recorded apart (mount targets of whittle's own files)
  AppLimits limits;
  bool limits_by_cgroup = false; // a cgroup holds the app's memory and task caps (else rlimits do)
  util::IdShift id_shift;        // as SandboxOptions::id_shift
  // As SandboxOptions::constraints: the rootfs read-only, tmpfs ops, the capability mask and the seccomp
  // allow list of the app (sandbox.cpp).
  std::optional<RunConstraints> constraints;
  bool idmap_rootfs = false; // as SandboxOptions::idmap_rootfs
};

// runc's and podman's lists (runc libcontainer/specconv, containers/common pkg/config): /proc and /sys
// paths made read-only, and paths masked. docs/sandbox.md says where whittle differs.
extern const std::vector<std::string> k_readonly_paths;
extern const std::vector<std::string> k_masked_paths;

// Interface.

// Builds the plan: resolves the user against the rootfs's /etc/passwd and /etc/group (ids range-checked:
// 4294967295 and overflow are refused), argv[0] against the image PATH (inside the rootfs), writes
// hosts/resolv.conf/hostname into state_dir. The rootfs bind and every writable mount are nosuid and
// nodev; /proc and /sys are guarded as runc does. With constraints, a tmpfs op per tmpfs path, after
// whittle's /proc, /dev and /sys and before its /etc files and the --mount binds (podman's order: by
// depth). Throws UsageError (no command, bad --mount, a tmpfs path that is not absolute or is /) or BadInput
// (unknown user, malformed id in the image's /etc/passwd or /etc/group naming file and line, program not
// found in the image).
SandboxPlan make_plan(const SandboxOptions& options);

// A readable listing of the plan, one op per line (for --debug and tests).
std::string describe(const SandboxPlan& plan);

} // namespace whittle::trace
