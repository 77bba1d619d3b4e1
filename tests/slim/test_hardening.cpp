// The Hardening value and everything generated from it: the verify run's constraints and the hints
// (run-flags.txt, securitycontext.yaml, seccomp.json) say exactly the value's user, tmpfs paths,
// capabilities and syscalls, and nothing else.
#include "support/test_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <linux/capability.h>
#include <nlohmann/json.hpp>
#include <whittle/slim/artifacts.hpp>
#include <whittle/slim/hardening.hpp>
#include <whittle/slim/report.hpp>
#include <whittle/slim/rewrite.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

UserPlan
user(const std::string& u, bool non_root, const std::string& note = "note")
{
  UserPlan p;
  p.user = u;
  p.non_root = non_root;
  p.note = note;
  return p;
}

WriteHints
hints(std::vector<std::string> writable, bool read_only = true)
{
  WriteHints h;
  h.read_only_rootfs = read_only;
  h.writable_paths = std::move(writable);
  if (!read_only) {
    h.why_not = "the app wrote into /";
  }
  return h;
}

// The words of the `podman run` line of run-flags.txt (the values here are plain: no quoting to undo).
std::vector<std::string>
command_words(const std::string& flags)
{
  std::vector<std::string> words;
  size_t start = flags.find("podman run");
  REQUIRE(start != std::string::npos);
  std::string line = flags.substr(start, flags.find('\n', start) - start);
  for (size_t i = 0; i < line.size();) {
    size_t j = line.find(' ', i);
    words.push_back(line.substr(i, j == std::string::npos ? std::string::npos : j - i));
    i = j == std::string::npos ? line.size() : j + 1;
  }
  return words;
}

std::vector<std::string>
values_of(const std::vector<std::string>& words, const std::string& prefix)
{
  std::vector<std::string> out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (prefix.back() == '=' && words[i].rfind(prefix, 0) == 0) {
      out.push_back(words[i].substr(prefix.size()));
    } else if (words[i] == prefix && i + 1 < words.size()) {
      out.push_back(words[i + 1]);
    }
  }
  return out;
}

} // namespace

TEST_CASE("slim::make_hardening: capabilities only for root, seccomp from the syscalls plus the baseline",
          "[slim][hardening]")
{
  std::set<std::string> traced = {"openat", "clone3", "bind"};
  Hardening nonroot = make_hardening(user("65532:65532", true), hints({"/tmp", "/var/cache/nginx"}),
                                     {"CHOWN", "SETUID"}, traced);
  CHECK(nonroot.user == "65532:65532");
  CHECK(nonroot.non_root);
  CHECK(nonroot.read_only_root);
  CHECK(nonroot.tmpfs_paths == std::vector<std::string>{"/tmp", "/var/cache/nginx"});
  CHECK(nonroot.capabilities.empty()); // a non-root user keeps none
  REQUIRE(nonroot.seccomp_allow);
  CHECK(nonroot.seccomp_allow->count("clone3") == 1);
  CHECK(nonroot.seccomp_allow->count("bind") == 1);
  for (const auto& b : seccomp_baseline()) {
    CHECK(nonroot.seccomp_allow->count(b) == 1);
  }
  CHECK(nonroot.seccomp_allow->count("mount") == 0);

  Hardening root = make_hardening(user("", false, "kept root"), hints({}, false),
                                  {"SETUID", "CHOWN", "NOT_A_CAP", "CHOWN"}, std::nullopt);
  CHECK(root.user == "0:0");
  CHECK_FALSE(root.non_root);
  CHECK_FALSE(root.read_only_root);
  CHECK(root.tmpfs_paths.empty());
  CHECK(root.why_not_read_only == "the app wrote into /");
  CHECK(root.capabilities == std::vector<std::string>{"CHOWN", "SETUID"}); // sorted, known, once
  CHECK_FALSE(root.seccomp_allow);
}

TEST_CASE("slim::run_constraints is the value: tmpfs paths, the capability mask, the allow list",
          "[slim][hardening]")
{
  Hardening h = make_hardening(user("0:0", false), hints({"/run", "/tmp"}),
                               {"NET_BIND_SERVICE", "SETGID", "SETUID", "CHOWN"}, std::set<std::string>{"bind"});
  trace::RunConstraints c = run_constraints(h);
  CHECK(c.read_only_root);
  CHECK(c.tmpfs_paths == h.tmpfs_paths);
  uint64_t expected = (uint64_t{1} << CAP_NET_BIND_SERVICE) | (uint64_t{1} << CAP_SETGID) |
                      (uint64_t{1} << CAP_SETUID) | (uint64_t{1} << CAP_CHOWN);
  CHECK(c.capabilities == expected);
  REQUIRE(c.seccomp_allow);
  CHECK(*c.seccomp_allow == *h.seccomp_allow);

  Hardening bare = make_hardening(user("65532:65532", true), hints({}, false), {"CHOWN"}, std::nullopt);
  trace::RunConstraints b = run_constraints(bare);
  CHECK_FALSE(b.read_only_root);
  CHECK(b.tmpfs_paths.empty());
  CHECK(b.capabilities == 0);
  CHECK_FALSE(b.seccomp_allow);

  CHECK(capability_number("CHOWN") == CAP_CHOWN);
  CHECK(capability_number("SYS_ADMIN") == CAP_SYS_ADMIN);
  CHECK_FALSE(capability_number("CAP_CHOWN"));
  CHECK_FALSE(capability_number("chown"));
}

TEST_CASE("slim::traced_capabilities unites the runs' capabilities", "[slim][hardening]")
{
  trace::Profile p;
  p.runs.resize(2);
  p.runs[0].capabilities = {"SETUID", "CHOWN"};
  p.runs[1].capabilities = {"NET_BIND_SERVICE", "CHOWN"};
  CHECK(traced_capabilities(p) == std::vector<std::string>{"CHOWN", "NET_BIND_SERVICE", "SETUID"});
  CHECK(traced_capabilities(trace::Profile{}).empty());
}

TEST_CASE("slim artifacts state exactly the Hardening value: user, tmpfs paths, capabilities, seccomp",
          "[slim][hardening][artifacts]")
{
  SECTION("root keeping the traced capabilities, read-only with two tmpfs")
  {
    Hardening h = make_hardening(user("0:0", false, "kept root: no non-root user verified"),
                                 hints({"/run", "/var/cache/nginx"}), {"SETUID", "CHOWN", "SETGID"},
                                 std::set<std::string>{"bind", "accept4"});
    std::vector<std::string> w = command_words(run_flags(h));
    CHECK(values_of(w, "--user=") == std::vector<std::string>{"0:0"});
    CHECK(values_of(w, "--tmpfs") == h.tmpfs_paths);
    CHECK(values_of(w, "--cap-add=") == std::vector<std::string>{"CHOWN", "SETGID", "SETUID"});
    CHECK(std::count(w.begin(), w.end(), "--cap-drop=ALL") == 1);
    CHECK(std::count(w.begin(), w.end(), "--read-only") == 1);
    CHECK(std::count(w.begin(), w.end(), "--security-opt=no-new-privileges") == 1);
    CHECK(values_of(w, "--security-opt") == std::vector<std::string>{"seccomp=seccomp.json"});
    CHECK(w.back() == "IMAGE");

    std::string yaml = security_context(h);
    CHECK(yaml.find("  runAsNonRoot: false\n") != std::string::npos);
    CHECK(yaml.find("  runAsUser: 0\n  runAsGroup: 0\n") != std::string::npos);
    CHECK(yaml.find("  readOnlyRootFilesystem: true\n") != std::string::npos);
    CHECK(yaml.find("  capabilities:\n    drop:\n      - ALL\n    add:\n      - \"CHOWN\"\n      - \"SETGID\"\n"
                    "      - \"SETUID\"\n  seccompProfile:\n") != std::string::npos);
    CHECK(yaml.find("type: Localhost") != std::string::npos);
    CHECK(yaml.find("mountPath: \"/run\"") != std::string::npos);
    CHECK(yaml.find("mountPath: \"/var/cache/nginx\"") != std::string::npos);
  }
  SECTION("non-root, root not read-only, no seccomp: no --read-only, no --tmpfs, no --cap-add")
  {
    Hardening h = make_hardening(user("101:101", true), hints({"/"}, false), {"CHOWN"}, std::nullopt);
    std::string flags = run_flags(h);
    std::vector<std::string> w = command_words(flags);
    CHECK(values_of(w, "--user=") == std::vector<std::string>{"101:101"});
    CHECK(values_of(w, "--tmpfs").empty());
    CHECK(values_of(w, "--cap-add=").empty());
    CHECK(std::count(w.begin(), w.end(), "--read-only") == 0);
    CHECK(values_of(w, "--security-opt").empty());
    CHECK(flags.find("# The root is not read-only: the app wrote into /.") != std::string::npos);

    std::string yaml = security_context(h);
    CHECK(yaml.find("runAsNonRoot: true") != std::string::npos);
    CHECK(yaml.find("runAsUser: 101") != std::string::npos);
    CHECK(yaml.find("readOnlyRootFilesystem: false") != std::string::npos);
    CHECK(yaml.find("add:") == std::string::npos);
    CHECK(yaml.find("type: RuntimeDefault") != std::string::npos);
    CHECK(yaml.find("volumeMounts") == std::string::npos);
  }
  SECTION("write_artifacts writes seccomp.json from the value's allow list, not the profile's")
  {
    test::TestDir out;
    Report r;
    r.hardening = make_hardening(user("65532:65532", true), hints({"/tmp"}), {}, std::set<std::string>{"bind"});
    trace::Profile p;
    p.syscalls = std::set<std::string>{"bind", "kexec_load"}; // the value is what counts
    write_artifacts(out / "art", r, p, "amd64");
    auto sc = nlohmann::json::parse(test::read_file(out / "art/seccomp.json"));
    auto names = sc["syscalls"][0]["names"].get<std::set<std::string>>();
    CHECK(names == *r.hardening.seccomp_allow);
    CHECK(test::read_file(out / "art/run-flags.txt") == run_flags(r.hardening));
    CHECK(test::read_file(out / "art/securitycontext.yaml") == security_context(r.hardening));
    auto rep = nlohmann::json::parse(test::read_file(out / "art/report.json"));
    CHECK(rep["hardening"]["user"] == "65532:65532");
    CHECK(rep["hardening"]["tmpfs_paths"] == nlohmann::json::array({"/tmp"}));

    test::TestDir none;
    r.hardening.seccomp_allow.reset();
    write_artifacts(none / "art", r, p, "amd64");
    CHECK_FALSE(test::path_exists(none / "art/seccomp.json"));
  }
}
