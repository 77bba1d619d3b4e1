#include <whittle/slim/hardening.hpp>
#include <whittle/slim/report.hpp>
#include <whittle/slim/rewrite.hpp>
#include <whittle/trace/capabilities.hpp>
#include <whittle/trace/syscall_baseline.hpp>
#include <whittle/util/error.hpp>

namespace whittle::slim {

std::optional<int>
capability_number(const std::string& name)
{
  // trace's table is the one list of names; it also takes a CAP_ prefix, which the hints never carry.
  if (name.rfind("CAP_", 0) == 0) {
    return std::nullopt;
  }
  try {
    return __builtin_ctzll(trace::capability_mask({name}));
  } catch (const UsageError&) {
    return std::nullopt;
  }
}

std::vector<std::string>
traced_capabilities(const trace::Profile& profile)
{
  std::set<std::string> all;
  for (const auto& run : profile.runs) {
    all.insert(run.capabilities.begin(), run.capabilities.end());
  }
  return {all.begin(), all.end()};
}

Hardening
make_hardening(const UserPlan& user, const WriteHints& hints, const std::vector<std::string>& capabilities,
               const std::optional<std::set<std::string>>& syscalls)
{
  Hardening h;
  h.user = user.user.empty() ? "0:0" : user.user;
  h.non_root = user.non_root;
  h.user_note = user.note;
  h.read_only_root = hints.read_only_rootfs;
  if (h.read_only_root) {
    h.tmpfs_paths = hints.writable_paths;
  } else {
    h.why_not_read_only = hints.why_not;
  }
  if (!user.non_root) {
    uint64_t mask = 0;
    for (const auto& c : capabilities) {
      if (auto n = capability_number(c)) {
        mask |= uint64_t{1} << *n;
      }
    }
    h.capabilities = trace::names_of_capabilities(mask);
  }
  if (syscalls) {
    std::set<std::string> allow = *syscalls;
    allow.insert(trace::seccomp_baseline().begin(), trace::seccomp_baseline().end());
    h.seccomp_allow = std::move(allow);
  }
  return h;
}

trace::RunConstraints
run_constraints(const Hardening& h)
{
  trace::RunConstraints c;
  c.read_only_root = h.read_only_root;
  c.tmpfs_paths = h.tmpfs_paths;
  c.capabilities = trace::capability_mask(h.capabilities);
  c.seccomp_allow = h.seccomp_allow;
  return c;
}

} // namespace whittle::slim
