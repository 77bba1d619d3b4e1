#include <whittle/slim/candidates.hpp>
#include <whittle/slim/hardening.hpp>
#include <whittle/util/number.hpp>

namespace whittle::slim {

std::string
to_string(CandidateKind k)
{
  switch (k) {
  case CandidateKind::nonroot:
    return "nonroot";
  case CandidateKind::switched_user:
    return "switched-user";
  case CandidateKind::root:
    return "root";
  case CandidateKind::forced:
    return "--user";
  case CandidateKind::image:
    return "image";
  }
  return "?";
}

namespace {

// "uid:gid" when s is one (both numeric, in range), else nullopt.
std::optional<std::string>
numeric_user(const std::string& s)
{
  size_t colon = s.find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  auto uid = util::parse_id(std::string_view(s).substr(0, colon));
  auto gid = util::parse_id(std::string_view(s).substr(colon + 1));
  if (!uid || !gid) {
    return std::nullopt;
  }
  return std::to_string(*uid) + ":" + std::to_string(*gid);
}

std::string
joined(const std::vector<std::string>& v)
{
  std::string o;
  for (const auto& s : v) {
    o += (o.empty() ? "" : ", ") + s;
  }
  return o.empty() ? "none" : o;
}

UserCandidate
root_candidate(CandidateKind kind, const std::string& user, const trace::Profile& profile, const std::string& why)
{
  UserCandidate c{kind, user, traced_capabilities(profile), ""};
  c.note = why + "; capabilities kept: " + joined(c.capabilities);
  return c;
}

} // namespace

std::vector<UserCandidate>
user_candidates(const std::string& image_user, const trace::Profile& profile, UserMode mode, const std::string& id)
{
  if (mode == UserMode::explicit_id) {
    UserPlan p = plan_user(image_user, profile, mode, id); // checks the id
    if (!p.non_root) {
      return {root_candidate(CandidateKind::forced, p.user, profile, "runs as root (--user)")};
    }
    return {{CandidateKind::forced, p.user, {}, p.note}};
  }
  bool root = is_root_user(image_user);
  if (mode == UserMode::keep) {
    if (root) {
      return {root_candidate(CandidateKind::forced, image_user.empty() ? "0:0" : image_user, profile,
                             "kept root (--user keep)")};
    }
    return {{CandidateKind::forced, image_user, {}, "kept the original user (--user keep)"}};
  }
  if (!root) {
    return {{CandidateKind::image, image_user, {}, "the image already runs as `" + image_user + "`"}};
  }
  std::string nonroot = std::to_string(k_nonroot_id) + ":" + std::to_string(k_nonroot_id);
  std::vector<UserCandidate> out;
  out.push_back({CandidateKind::nonroot, nonroot, {}, "the image ran as root; it now runs as nonroot " + nonroot});
  for (const auto& run : profile.runs) {
    auto u = numeric_user(run.switched_user);
    if (!u) {
      continue;
    }
    if (!is_root_user(*u) && *u != nonroot) {
      out.push_back({CandidateKind::switched_user, *u, {},
                     "the image ran as root; it now runs as " + *u + ", the user the app switched to"});
    }
    break;
  }
  out.push_back(root_candidate(CandidateKind::root, image_user.empty() ? "0:0" : image_user, profile,
                               "kept root: no non-root user verified"));
  return out;
}

UserPlan
candidate_user_plan(const std::string& image_user, const UserCandidate& c)
{
  UserPlan p;
  bool unchanged = c.kind == CandidateKind::image || (is_root_user(c.user) && is_root_user(image_user)) ||
                   c.user == image_user;
  if (unchanged) {
    p = plan_user(image_user, {}, UserMode::keep);
  } else {
    p = plan_user(image_user, {}, UserMode::explicit_id, c.user);
  }
  p.note = c.note;
  return p;
}

Selection
select_candidate(const std::vector<UserCandidate>& candidates, const VerifyCandidate& verify,
                 const InOriginal& in_original, const RepairOptions& repair)
{
  Selection s;
  for (const auto& c : candidates) {
    auto once = [&](const std::set<std::string>& paths) { return verify(c, paths); };
    RepairedVerify r = verify_repairing(once, in_original, repair, c.user, s.repair_paths, s.repairs);
    s.attempts.push_back({c, r.outcome.ok, r.outcome.differences, r.outcome.not_found, r.verifies});
    if (r.outcome.ok) {
      s.chosen = s.attempts.size() - 1;
      break;
    }
  }
  return s;
}

} // namespace whittle::slim
