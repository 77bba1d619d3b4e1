#pragma once
// How the slimmed image is meant to run, as one value: its user, a read-only root with tmpfs at the
// writable paths, the capabilities it keeps, the syscalls it may make. slim's verify run is held to
// run_constraints() of this value, and run-flags.txt, securitycontext.yaml and seccomp.json are written
// from the same value, so a hint can only say what verify ran.
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <whittle/trace/profile.hpp>
#include <whittle/trace/run_constraints.hpp>

namespace whittle::slim {

struct UserPlan;
struct WriteHints;

struct Hardening
{
  // The --user value: "uid:gid" ("0:0" for root), or the image's own non-root User as it stands.
  std::string user = "0:0";
  bool non_root = false;
  std::string user_note; // why this user (UserPlan::note)
  bool read_only_root = false;
  std::vector<std::string> tmpfs_paths; // canonical image paths, none inside another
  std::string why_not_read_only;        // set when read_only_root is false
  // Kept capabilities by name without CAP_ ("CHOWN", "NET_BIND_SERVICE"), in capability order; empty:
  // --cap-drop=ALL.
  std::vector<std::string> capabilities;
  // seccomp.json's allow list (the traced syscalls and the baseline); nullopt: no profile (--no-seccomp,
  // or a profile traced without syscall recording).
  std::optional<std::set<std::string>> seccomp_allow;
};

// Interface.

// The value for a planned user and write hints. capabilities are kept only for a root user (a non-root
// one gets none; names the kernel does not know are dropped); seccomp_allow is syscalls plus
// seccomp_baseline() when syscalls is set. Never throws.
Hardening make_hardening(const UserPlan& user, const WriteHints& hints,
                         const std::vector<std::string>& capabilities,
                         const std::optional<std::set<std::string>>& syscalls);

// The union of the capabilities every run of the profile used as root (RunRecord::capabilities), sorted.
std::vector<std::string> traced_capabilities(const trace::Profile& profile);

// CAP_<name>'s number for a name without the CAP_ prefix ("CHOWN" -> 0), from trace's table
// (trace::capability_mask); nullopt for an unknown name.
std::optional<int> capability_number(const std::string& name);

// What the verify run is held to: read-only root and tmpfs paths, the capability mask (1 << CAP_*), the
// seccomp allow list. Throws UsageError only for a capability name trace does not know (make_hardening
// keeps only known ones).
trace::RunConstraints run_constraints(const Hardening& h);

} // namespace whittle::slim
