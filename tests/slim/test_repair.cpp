// Self-repair: bounded rounds, stopping as soon as a round finds nothing new, only
// paths the original has; and the keep set keeps repaired paths with their closure as verify-repair.
#include "fake_root.hpp"

#include <catch2/catch.hpp>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/repair.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

VerifyOutcome
missing(std::vector<std::string> paths)
{
  VerifyOutcome v;
  v.ok = false;
  v.differences = {"stdout differs"};
  v.not_found = std::move(paths);
  return v;
}

bool
anything(const std::string&)
{
  return true;
}

} // namespace

TEST_CASE("slim::repair_paths: new paths the original has, sorted", "[slim][repair]")
{
  auto in_original = [](const std::string& p) { return p != "/home/nonroot/.config"; };
  CHECK(repair_paths(missing({"/usr/lib/b.so", "/home/nonroot/.config", "/etc/a", "/etc/a"}),
                     {"/usr/lib/b.so"}, in_original) == std::vector<std::string>{"/etc/a"});
  CHECK(repair_paths(VerifyOutcome{}, {}, anything).empty()); // a passed verify asks for nothing
  // A path the trace never took (a retry loop's `sleep`): missing in the slimmed run, in the original.
  VerifyOutcome untraced = missing({});
  untraced.missing = {"/usr/bin/sleep", "/usr/local/bin/sleep"};
  auto image_has = [](const std::string& p) { return p == "/usr/bin/sleep"; };
  CHECK(repair_paths(untraced, {}, image_has) == std::vector<std::string>{"/usr/bin/sleep"});
}

TEST_CASE("slim::verify_repairing: bounded, stops when nothing new is found", "[slim][repair]")
{
  std::set<std::string> paths;
  std::vector<RepairRound> rounds;
  std::vector<std::set<std::string>> calls;

  SECTION("passes after two repairs")
  {
    auto verify = [&](const std::set<std::string>& p) {
      calls.push_back(p);
      if (!p.count("/a")) {
        return missing({"/a"});
      }
      if (!p.count("/b")) {
        return missing({"/a", "/b"}); // /a again: not new
      }
      return VerifyOutcome{};
    };
    RepairedVerify r = verify_repairing(verify, anything, {}, "65532:65532", paths, rounds);
    CHECK(r.outcome.ok);
    CHECK(r.verifies == 3);
    CHECK(paths == std::set<std::string>{"/a", "/b"});
    REQUIRE(rounds.size() == 2);
    CHECK(rounds[0].round == 1);
    CHECK(rounds[0].paths == std::vector<std::string>{"/a"});
    CHECK(rounds[1].round == 2);
    CHECK(rounds[1].paths == std::vector<std::string>{"/b"});
    CHECK(rounds[1].user == "65532:65532");
  }
  SECTION("a new path every time: at most max_rounds repairs, then the failure stands")
  {
    int n = 0;
    auto verify = [&](const std::set<std::string>& p) {
      calls.push_back(p);
      return missing({"/p" + std::to_string(n++)});
    };
    RepairedVerify r = verify_repairing(verify, anything, {true, 3}, "u", paths, rounds);
    CHECK_FALSE(r.outcome.ok);
    CHECK(r.verifies == 4);
    CHECK(rounds.size() == 3);
    CHECK(paths.size() == 3);
    CHECK(r.outcome.not_found == std::vector<std::string>{"/p3"});
  }
  SECTION("nothing new (or nothing the original has): one verify, no round")
  {
    auto verify = [&](const std::set<std::string>& p) {
      calls.push_back(p);
      return missing({"/only/in/the/slimmed/run"});
    };
    RepairedVerify r = verify_repairing(
        verify, [](const std::string&) { return false; }, {}, "u", paths, rounds);
    CHECK_FALSE(r.outcome.ok);
    CHECK(r.verifies == 1);
    CHECK(rounds.empty());
    CHECK(paths.empty());
  }
  SECTION("--no-repair: one verify whatever it misses")
  {
    auto verify = [&](const std::set<std::string>& p) {
      calls.push_back(p);
      return missing({"/a"});
    };
    RepairedVerify r = verify_repairing(verify, anything, {false, 3}, "u", paths, rounds);
    CHECK(r.verifies == 1);
    CHECK(rounds.empty());
  }
}

TEST_CASE("slim::plan_keep_set keeps repair paths with their closure as verify-repair", "[slim][repair]")
{
  test::FakeRoot root;
  root.elf("/usr/bin/tool", test::x86_exe({"libz.so.1"}));
  root.elf("/lib64/ld-linux-x86-64.so.2", test::ElfSpec{});
  root.elf("/usr/lib/libz.so.1", test::ElfSpec{});
  root.symlink("/bin", "usr/bin");
  root.file("/etc/app.conf", "x");
  KeepOptions o;
  o.env = {"LD_LIBRARY_PATH=/usr/lib"};
  o.repair_paths = {"/bin/tool", "/does/not/exist"};
  KeepPlan plan = plan_keep_set(root.tree, root.files, trace::Profile{}, o);
  CHECK(plan.keep.reasons("/usr/bin/tool").count("verify-repair") == 1);
  CHECK(plan.keep.strong("/usr/bin/tool"));
  CHECK(plan.keep.contains("/bin")); // the symlink on the way
  CHECK(plan.keep.contains("/usr/lib/libz.so.1"));
  CHECK_FALSE(plan.keep.contains("/etc/app.conf"));
  CHECK_FALSE(plan.keep.contains("/does/not/exist"));
}
