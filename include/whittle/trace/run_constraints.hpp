#pragma once
// The constraints a run is held to beyond the sandbox itself: what `podman run --read-only --tmpfs P
// --cap-drop=ALL [--cap-add C] --security-opt=no-new-privileges --security-opt seccomp=F` does. The trace
// runs without them (Docker's default capabilities, a writable root); verify runs the slimmed image with
// exactly the value the artifacts (run-flags.txt, securitycontext.yaml, seccomp.json) are written from, so
// a hint can only say what verify ran (issue 10 item 1). no_new_privs is always set by the sandbox.
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
  // Image paths (canonical, absolute) that get a tmpfs as podman's --tmpfs gives one: rw, noexec, nosuid,
  // nodev, with the image directory's content, mode and owner copied up (tmpcopyup).
  std::vector<std::string> tmpfs_paths;
  // The capabilities the app keeps (1 << CAP_*); 0 is --cap-drop=ALL.
  uint64_t capabilities = 0;
  // Syscall names the app may make (seccomp.json's allow list, baseline included); every other call fails
  // with ENOSYS. nullopt: no such filter (--no-seccomp).
  std::optional<std::set<std::string>> seccomp_allow;
};

} // namespace whittle::trace
