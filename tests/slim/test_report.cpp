#include "fake_root.hpp"

#include <catch2/catch.hpp>
#include <whittle/slim/artifacts.hpp>
#include <whittle/slim/report.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

void
image(test::FakeRoot& root)
{
  root.file("/app/main", "0123456789", 0755);
  root.file("/app/data/seed.db", "dbdb");
  root.dir_node("/tmp", 01777);
  root.file("/usr/share/doc/a/README", "0123456789abcdef");
  root.file("/usr/share/doc/a/NEWS", "0123");
  root.file("/usr/share/doc/b/README", "01");
  root.file("/var/lib/junk", "junkjunk");
}

} // namespace

TEST_CASE("slim::analyse_writes: read-only only when every written dir can be a tmpfs", "[slim]")
{
  test::FakeRoot root;
  image(root);
  KeepPlan plan;
  plan.keep.add("/app/main", "profile");
  plan.keep.add("/app/data/seed.db", "profile");
  plan.keep.add("/tmp", "written-dir");
  plan.written_dirs = {"/tmp"};
  WriteHints h = analyse_writes(root.tree, plan);
  CHECK(h.read_only_rootfs);
  CHECK(h.writable_paths == std::vector<std::string>{"/tmp"});

  plan.written_dirs = {"/app/data", "/app/data/sub", "/tmp"};
  h = analyse_writes(root.tree, plan);
  CHECK_FALSE(h.read_only_rootfs);
  CHECK(h.writable_paths == std::vector<std::string>{"/app/data", "/tmp"});
  CHECK(h.why_not.find("/app/data/seed.db") != std::string::npos);
}

TEST_CASE("slim::analyse_writes: an empty file the app wrote does not block a tmpfs, others do", "[slim]")
{
  test::FakeRoot root;
  image(root);
  root.file("/var/log/app/access.log", "");
  root.file("/var/log/app/shipped.log", "");
  root.file("/var/log/app/old.log", "history");
  KeepPlan plan;
  plan.keep.add("/app/main", "profile");
  plan.keep.add("/var/log/app/access.log", "profile");
  plan.written_dirs = {"/var/log/app"};
  plan.written_files = {"/var/log/app/access.log"};
  WriteHints h = analyse_writes(root.tree, plan);
  CHECK(h.read_only_rootfs);
  CHECK(h.writable_paths == std::vector<std::string>{"/var/log/app"});

  // Empty but never written by the app: it may be opened without O_CREAT, so a tmpfs could hide it.
  plan.keep.add("/var/log/app/shipped.log", "profile");
  h = analyse_writes(root.tree, plan);
  CHECK_FALSE(h.read_only_rootfs);
  CHECK(h.why_not.find("/var/log/app/shipped.log") != std::string::npos);

  // Written but not empty: its content would be hidden.
  plan.keep.remove("/var/log/app/shipped.log");
  plan.keep.add("/var/log/app/old.log", "profile");
  plan.written_files.push_back("/var/log/app/old.log");
  h = analyse_writes(root.tree, plan);
  CHECK_FALSE(h.read_only_rootfs);
  CHECK(h.why_not.find("/var/log/app/old.log") != std::string::npos);
}

TEST_CASE("slim::make_report counts, groups removals and renders artifacts", "[slim]")
{
  test::FakeRoot root;
  image(root);
  KeepOptions o;
  o.rules = read_rules_dir(WHITTLE_PROFILES_DIR);
  trace::Profile p;
  p.add("/app/main", trace::Access::exec);
  p.add("/tmp/x", trace::Access::create);
  p.syscalls = std::set<std::string>{"openat", "read", "clone3"};
  KeepPlan plan = plan_keep_set(root.tree, root.files, p, o);
  Report r = make_report(root.tree, plan);
  CHECK(r.files_before == 6);
  CHECK(r.bytes_before == 10 + 4 + 16 + 4 + 2 + 8);
  CHECK(r.files_after == 1);
  CHECK(r.bytes_after == 10);
  CHECK(r.removed_by_reason.at("strip:docs").files == 3);
  CHECK(r.removed_by_reason.at("strip:docs").bytes == 22);
  CHECK(r.removed_by_reason.at("not-traced").files == 2);
  // /usr/share/doc and its whole subtree go as one group.
  bool doc_group = false;
  for (const auto& g : r.removed_groups) {
    if (g.path == "/usr/share/doc") {
      doc_group = true;
      CHECK(g.reason == "strip:docs");
      CHECK(g.paths == 6);
      CHECK(g.bytes == 22);
    }
    CHECK(g.path != "/usr/share/doc/a/README");
  }
  CHECK(doc_group);
  REQUIRE_FALSE(r.largest_kept_dirs.empty());
  CHECK(r.largest_kept_dirs[0].first == "/app");
  CHECK(r.hints.read_only_rootfs);
  CHECK(r.hints.writable_paths == std::vector<std::string>{"/tmp"});

  r.user = plan_user("", p, UserMode::nonroot);
  nlohmann::json j = report_json(r);
  CHECK(j["schema"] == "whittle/report/v1");
  CHECK(j["removed_by_reason"]["not-traced"]["files"] == 2);
  CHECK(j["user"]["user"] == "65532:65532");
  CHECK(report_summary(r).find("strip:docs") != std::string::npos);

  nlohmann::json sc = seccomp_profile(*p.syscalls, "amd64");
  CHECK(sc["defaultAction"] == "SCMP_ACT_ERRNO");
  auto names = sc["syscalls"][0]["names"].get<std::vector<std::string>>();
  CHECK(std::find(names.begin(), names.end(), "clone3") != names.end());
  CHECK(std::find(names.begin(), names.end(), "execve") != names.end());
  CHECK(std::find(names.begin(), names.end(), "mount") == names.end());
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(sc["architectures"][0] == "SCMP_ARCH_X86_64");

  r.hardening = make_hardening(r.user, r.hints, {}, p.syscalls);
  std::string flags = run_flags(r.hardening);
  CHECK(flags.find("podman run --rm --read-only --tmpfs /tmp --cap-drop=ALL --security-opt=no-new-privileges "
                   "--user=65532:65532 --security-opt seccomp=seccomp.json IMAGE") != std::string::npos);
  Hardening without_seccomp = r.hardening;
  without_seccomp.seccomp_allow.reset();
  std::string yaml = security_context(without_seccomp);
  CHECK(yaml.find("runAsNonRoot: true") != std::string::npos);
  CHECK(yaml.find("runAsUser: 65532") != std::string::npos);
  CHECK(yaml.find("readOnlyRootFilesystem: true") != std::string::npos);
  CHECK(yaml.find("type: RuntimeDefault") != std::string::npos);

  test::TestDir out;
  auto written = write_artifacts(out / "art", r, p, "amd64");
  CHECK(written.size() == 5);
  CHECK(test::read_file(out / "art/profile.json").find("whittle/profile/v1") != std::string::npos);
  auto rep = nlohmann::json::parse(test::read_file(out / "art/report.json"));
  CHECK(rep["artifacts"].size() == 5);
  auto sec = nlohmann::json::parse(test::read_file(out / "art/seccomp.json"));
  CHECK(sec["defaultErrnoRet"] == 38);
}

TEST_CASE("slim: report.json survives paths that are not UTF-8", "[slim]")
{
  test::FakeRoot root;
  root.file("/app/main", "x", 0755);
  root.file("/app/caf\xe9.txt", "latin-1 name");
  KeepPlan plan;
  plan.keep.add("/app/main", "profile");
  plan.removed["/app/caf\xe9.txt"] = "not-traced";
  Report r = make_report(root.tree, plan);
  test::TestDir out;
  trace::Profile p;
  CHECK_NOTHROW(write_artifacts(out / "art", r, p, "amd64"));
  auto j = nlohmann::json::parse(test::read_file(out / "art/report.json"));
  CHECK(j["removed"].size() >= 1);
}
