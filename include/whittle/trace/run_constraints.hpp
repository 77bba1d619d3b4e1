#pragma once
// The constraints a run is held to beyond the sandbox itself: what `podman run --read-only --tmpfs P
// --cap-drop=ALL [--cap-add C] --security-opt=no-new-privileges --security-opt seccomp=F` does. The trace
// runs without them (Docker's default capabilities, a writable root); verify runs the slimmed image with
// exactly the value the artifacts (run-flags.txt, securitycontext.yaml, seccomp.json) are written from, so
// a hint can only say what verify ran. no_new_privs is always set by the sandbox.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace whittle::trace {

struct RunConstraints
{
  // The root is mounted read-only; only tmpfs_paths are writable.
  bool read_only_root = false;
  // Image paths (canonical, absolute) that get a tmpfs as podman's --tmpfs gives one (measured with
  // podman 4.3.1 and runc 1.1.5, docs/sandbox.md): rw, nosuid, nodev but NOT noexec (podman's docs say
  // noexec; its runtime spec does not ask for it), no size limit of its own; the image directory's
  // content is copied in with its owners and modes (tmpcopyup), the mount's root takes the directory's
  // mode but is owned by the container's root (0:0), and a path the image lacks gets mode 1777. So a
  // non-root user can write at the top of such a tmpfs only if the image directory's mode lets others
  // write (as /tmp's 1777): a directory the user owns must sit below the tmpfs path, not be it.
  std::vector<std::string> tmpfs_paths;
  // The capabilities the app keeps (1 << CAP_*); 0 is --cap-drop=ALL. As podman gives --cap-add: a root
  // app has them effective, permitted and bounding (not inheritable, not ambient); a non-root --user gets
  // them as ambient capabilities too (inheritable, permitted, effective, bounding and ambient all equal
  // the mask), so they survive its exec.
  uint64_t capabilities = 0;
  // Syscall names the app may make (seccomp.json's allow list, baseline included); every other call fails
  // with ENOSYS. nullopt: no such filter (--no-seccomp).
  std::optional<std::set<std::string>> seccomp_allow;
};

} // namespace whittle::trace
