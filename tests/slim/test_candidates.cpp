// The user candidates of slim: their order, the UserPlan each writes, and the loop
// that keeps the first that verifies, with a fake verify in place of plan + write + run.
#include <catch2/catch.hpp>
#include <whittle/slim/candidates.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

trace::Profile
profile_with(const std::string& switched, std::vector<std::string> caps)
{
  trace::Profile p;
  p.runs.resize(1);
  p.runs[0].switched_user = switched;
  p.runs[0].capabilities = std::move(caps);
  return p;
}

std::vector<std::string>
users_of(const std::vector<UserCandidate>& cs)
{
  std::vector<std::string> out;
  for (const auto& c : cs) {
    out.push_back(c.user + "/" + to_string(c.kind));
  }
  return out;
}

VerifyOutcome
failed(std::vector<std::string> not_found = {})
{
  VerifyOutcome v;
  v.ok = false;
  v.differences = {"exit status 0/signal 0 -> 1/signal 0"};
  v.not_found = std::move(not_found);
  return v;
}

} // namespace

TEST_CASE("slim::user_candidates: nonroot, then the switched user, then root with the traced capabilities",
          "[slim][candidates]")
{
  trace::Profile p = profile_with("101:101", {"CHOWN", "SETGID", "SETUID"});
  for (const std::string root : {"", "0", "root", "0:0"}) {
    INFO(root);
    auto cs = user_candidates(root, p, UserMode::nonroot);
    CHECK(users_of(cs) == std::vector<std::string>{"65532:65532/nonroot", "101:101/switched-user",
                                                   (root.empty() ? "0:0" : root) + "/root"});
    CHECK(cs[0].capabilities.empty());
    CHECK(cs[1].capabilities.empty());
    CHECK(cs[2].capabilities == std::vector<std::string>{"CHOWN", "SETGID", "SETUID"});
    CHECK(cs[2].note.find("CHOWN, SETGID, SETUID") != std::string::npos);
  }

  SECTION("no switch, a switch to root, to 65532 or a malformed one: no switched-user candidate")
  {
    for (const std::string s : {"", "0:0", "65532:65532", "www-data", "1:x", "4294967296:1"}) {
      INFO(s);
      CHECK(users_of(user_candidates("", profile_with(s, {}), UserMode::nonroot)) ==
            std::vector<std::string>{"65532:65532/nonroot", "0:0/root"});
    }
  }
  SECTION("an image that runs as non-root keeps its user: one candidate")
  {
    auto cs = user_candidates("nginx", p, UserMode::nonroot);
    CHECK(users_of(cs) == std::vector<std::string>{"nginx/image"});
    CHECK(cs[0].capabilities.empty());
  }
  SECTION("--user forces one candidate; a root one keeps the traced capabilities")
  {
    CHECK(users_of(user_candidates("", p, UserMode::explicit_id, "1000")) ==
          std::vector<std::string>{"1000:1000/--user"});
    auto root = user_candidates("app", p, UserMode::explicit_id, "0:0");
    CHECK(users_of(root) == std::vector<std::string>{"0:0/--user"});
    CHECK(root[0].capabilities == p.runs[0].capabilities);
    auto keep = user_candidates("", p, UserMode::keep);
    CHECK(users_of(keep) == std::vector<std::string>{"0:0/--user"});
    CHECK(keep[0].capabilities == p.runs[0].capabilities);
    CHECK(users_of(user_candidates("app", p, UserMode::keep)) == std::vector<std::string>{"app/--user"});
    CHECK_THROWS_AS(user_candidates("", p, UserMode::explicit_id, "nobody"), UsageError);
  }
}

TEST_CASE("slim::candidate_user_plan writes each candidate's user", "[slim][candidates]")
{
  trace::Profile p = profile_with("101:102", {"CHOWN"});
  auto cs = user_candidates("", p, UserMode::nonroot);
  UserPlan nonroot = candidate_user_plan("", cs[0]);
  CHECK(nonroot.user == "65532:65532");
  CHECK(nonroot.changed);
  CHECK(nonroot.non_root);
  CHECK(nonroot.add_nonroot_entries);
  CHECK(nonroot.note == cs[0].note);
  UserPlan switched = candidate_user_plan("", cs[1]);
  CHECK(switched.user == "101:102");
  CHECK(switched.uid == 101);
  CHECK(switched.gid == 102);
  CHECK(switched.changed);
  CHECK(switched.non_root);
  CHECK_FALSE(switched.add_nonroot_entries);
  UserPlan root = candidate_user_plan("", cs[2]);
  CHECK_FALSE(root.changed); // the config's User stays as it was
  CHECK_FALSE(root.non_root);
  CHECK(root.note == cs[2].note);
  UserPlan image = candidate_user_plan("nginx", user_candidates("nginx", p, UserMode::nonroot)[0]);
  CHECK(image.user == "nginx");
  CHECK_FALSE(image.changed);
  CHECK(image.non_root);
}

TEST_CASE("slim::select_candidate keeps the first that verifies and records every attempt",
          "[slim][candidates]")
{
  trace::Profile p = profile_with("101:101", {"CHOWN", "SETUID"});
  auto cs = user_candidates("", p, UserMode::nonroot);
  std::vector<std::string> tried;
  auto nothing_in_original = [](const std::string&) { return false; };

  SECTION("the switched user verifies: root is never tried")
  {
    auto verify = [&](const UserCandidate& c, const std::set<std::string>&) {
      tried.push_back(c.user);
      return c.user == "101:101" ? VerifyOutcome{} : failed();
    };
    Selection s = select_candidate(cs, verify, nothing_in_original, {});
    CHECK(tried == std::vector<std::string>{"65532:65532", "101:101"});
    REQUIRE(s.chosen);
    CHECK(*s.chosen == 1);
    REQUIRE(s.attempts.size() == 2);
    CHECK_FALSE(s.attempts[0].ok);
    CHECK(s.attempts[0].differences == failed().differences);
    CHECK(s.attempts[1].ok);
    CHECK(s.attempts[1].differences.empty());
  }
  SECTION("nothing verifies: every candidate is tried once, none chosen")
  {
    auto verify = [&](const UserCandidate& c, const std::set<std::string>&) {
      tried.push_back(c.user);
      return failed();
    };
    Selection s = select_candidate(cs, verify, nothing_in_original, {});
    CHECK(tried == std::vector<std::string>{"65532:65532", "101:101", "0:0"});
    CHECK_FALSE(s.chosen);
    CHECK(s.attempts.size() == 3);
    for (const auto& a : s.attempts) {
      CHECK(a.verifies == 1);
      CHECK_FALSE(a.ok);
    }
  }
  SECTION("repairs found for one candidate carry over to the next")
  {
    std::vector<std::set<std::string>> seen;
    auto verify = [&](const UserCandidate& c, const std::set<std::string>& repairs) {
      tried.push_back(c.user);
      seen.push_back(repairs);
      if (c.user == "65532:65532") {
        return failed({"/etc/app.conf"});
      }
      return repairs.count("/etc/app.conf") ? VerifyOutcome{} : failed({"/etc/app.conf"});
    };
    auto in_original = [](const std::string& path) { return path == "/etc/app.conf"; };
    Selection s = select_candidate(cs, verify, in_original, {});
    // 65532: fails, repaired once, fails again with nothing new; 101 verifies at once with the repair.
    CHECK(tried == std::vector<std::string>{"65532:65532", "65532:65532", "101:101"});
    CHECK(seen[0].empty());
    CHECK(seen[1] == std::set<std::string>{"/etc/app.conf"});
    CHECK(seen[2] == std::set<std::string>{"/etc/app.conf"});
    REQUIRE(s.chosen);
    CHECK(*s.chosen == 1);
    REQUIRE(s.repairs.size() == 1);
    CHECK(s.repairs[0].user == "65532:65532");
    CHECK(s.repairs[0].round == 1);
    CHECK(s.repairs[0].paths == std::vector<std::string>{"/etc/app.conf"});
    CHECK(s.attempts[0].verifies == 2);
  }
}
