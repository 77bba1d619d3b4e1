// The attacker suite (see test_attacks.cpp), part two: what a run yields and what bounds it: image-derived
// names in the artifacts, the app's disk, memory and tasks, whittle's own memory, calls that would hide
// from the profile, the refused syscalls, and the end of the run when the app exits.
#include "hostile/attack_harness.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <linux/keyctl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>

using namespace whittle;
using namespace whittle::test::attack;

TEST_CASE("attack: image-derived names in run-flags.txt and securitycontext.yaml stay one quoted value",
          "[attack]")
{
  // A directory the app writes into: slim names it in both artifacts (a --tmpfs flag, a volume mount).
  std::string name;
  std::vector<test::FixtureEntry> dirs;
  SECTION("a name that reads as flags")
  {
    name = "/data --privileged -v /:/host";
    dirs = {test::dir("data --privileged -v /", 0777), test::dir("data --privileged -v /:/", 0777),
            test::dir("data --privileged -v /:/host/", 0777)};
  }
  SECTION("a name holding newlines and YAML keys")
  {
    name = "/cache\n  privileged: true\n  runAsUser: 0\n#";
    dirs = {test::dir(name.substr(1) + "/", 0777)};
  }
  SECTION("a name holding shell expansions and quotes")
  {
    name = "/data $(printf INJECTED) `printf INJECTED` 'q' \"d\" \\ * ; printf INJECTED";
    dirs = {test::dir(name.substr(1) + "/", 0777)};
  }
  Host h;
  h.image(dirs); // as root: the single-id fallback of a rootless run can switch to no other user
  std::string art = h.t / "art";
  Run r = h.whittle({"slim", h.ref, "-o", "oci:" + (h.t / "out/slim") + ":slim", "--workdir", h.t / "work",
                     "--timeout", "60", "--no-verify", "--artifacts", art, "--", "touch", name});
  INFO(r.describe());
  REQUIRE(r.code == 0);
  // The app did write there (slim keeps the app's stdout to itself: its profile says so).
  CHECK(contains(profile_paths(json::parse(test::read_file(art + "/profile.json")), true),
                 name + "/written-by-app"));

  // run-flags.txt read back by /bin/sh: the name is at most one argument (whittle may leave out a path no
  // --tmpfs can name), and nothing else came from it: no flag, no expansion, no command of its own.
  INFO("run-flags.txt:\n" << test::read_file(art + "/run-flags.txt"));
  int sh = test::run_command("sh -c 'podman() { printf \"%s\\0\" \"$@\"; }; . \"$1\"' sh '" + art +
                                 "/run-flags.txt' > '" + (h.t / "argv") + "' 2>'" + (h.t / "sh.err") + "'",
                             nullptr);
  INFO("sh stderr: " << test::read_file(h.t / "sh.err"));
  CHECK(sh == 0);
  CHECK(test::read_file(h.t / "sh.err").empty());
  std::string argv_out = test::read_file(h.t / "argv");
  std::vector<std::string> words;
  for (size_t p = 0, q; (q = argv_out.find('\0', p)) != std::string::npos; p = q + 1) {
    words.push_back(argv_out.substr(p, q - p));
  }
  REQUIRE_FALSE(words.empty());
  CHECK(words[0] == "run");
  CHECK(std::count(words.begin(), words.end(), "IMAGE") == 1);
  CHECK(words.back() == "IMAGE");
  CHECK(std::count(words.begin(), words.end(), name) <= 1);
  for (size_t i = 0; i < words.size(); ++i) {
    INFO("word " << i << ": " << words[i]);
    if (words[i] == name) {
      REQUIRE(i > 0);
      CHECK(words[i - 1] == "--tmpfs");
      continue;
    }
    CHECK(words[i] != "--privileged");
    CHECK(words[i] != "-v");
    CHECK(words[i].find("/:/host") == std::string::npos);
    CHECK(words[i].find("INJECTED") == std::string::npos);
    CHECK(words[i].find("privileged:") == std::string::npos);
  }

  // securitycontext.yaml read back by a YAML parser: no key came from the name.
  std::string yaml_json;
  INFO("securitycontext.yaml:\n" << test::read_file(art + "/securitycontext.yaml"));
  REQUIRE(
      test::run_command("python3 -c 'import sys, json, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), "
                        "sys.stdout)' '" +
                            art + "/securitycontext.yaml'",
                        &yaml_json, false) == 0);
  json sc = json::parse(yaml_json);
  REQUIRE(sc.is_object());
  CHECK(sc.size() == 1);
  REQUIRE(sc.contains("securityContext"));
  const json& ctx = sc["securityContext"];
  CHECK_FALSE(ctx.contains("privileged"));
  CHECK_THAT(yaml_json, !Catch::Contains("\"privileged\""));
  // A YAML parser keeps the last of two equal keys: an injected `runAsUser: 0` shows only in the text.
  std::istringstream yaml(test::read_file(art + "/securitycontext.yaml"));
  std::string line;
  int keys = 0;
  while (std::getline(yaml, line)) {
    size_t first = line.find_first_not_of(' ');
    keys += first != std::string::npos && line.compare(first, 10, "runAsUser:") == 0;
  }
  CHECK(keys <= 1);
  h.check_canaries(r);
}

// The --disk cases work on /dev/shm, which no build or image download writes to: the watchdog and these
// checks measure the whole filesystem (docs/sandbox.md), and CI's builds beside the suite write to the
// one that holds /tmp.
const std::string k_quiet_fs = "/dev/shm";

TEST_CASE("attack: the app's disk writes stop at the --disk cap", "[attack]")
{
  Host h;
  h.image();
  const uint64_t cap = uint64_t{64} << 20;
  const uint64_t slack = uint64_t{192} << 20;
  test::TestDir quiet(k_quiet_fs);
  h.work = quiet.path();
  std::string where = h.work;
  std::vector<std::string> attack;
  std::vector<std::string> flags = {"--disk", "64m"};
  bool slim = false;
  SECTION("2 GiB written into one file")
  {
    attack = {"fill", "write", "/tmp/fill", "2048"};
  }
  SECTION("2 GiB fallocated")
  {
    attack = {"fill", "fallocate", "/tmp/fill", "2048"};
  }
  SECTION("2 GiB written as 32 MiB files")
  {
    attack = {"fill", "write-many", "/tmp/fill", "2048"};
  }
  SECTION("2 GiB written under slim with its default work directory (/dev/shm: host RAM)")
  {
    attack = {"fill", "write", "/tmp/fill", "2048"};
    slim = true;
    where = "/dev/shm";
  }
  uint64_t start = free_bytes(where);
  uint64_t lowest = start;
  auto watch = [&] { lowest = std::min(lowest, free_bytes(where)); };
  Run r;
  if (slim) {
    std::vector<std::string> args = {"slim",      h.ref, "-o",          "oci:" + (h.t / "out/slim") + ":slim",
                                     "--timeout", "60",  "--no-verify", "--artifacts",
                                     h.t / "art"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("--");
    args.insert(args.end(), attack.begin(), attack.end());
    r = h.whittle(args, watch);
    r.out += r.err; // slim passes the app's stdout on to its stderr, keeping its stdout for its summary
  } else {
    r = h.trace(attack, flags, watch);
  }
  watch();
  INFO(r.describe() << "\nhost filesystem of " << where << " grew by at most " << ((start - lowest) >> 20)
                    << " MiB");
  // A write stops at the cap with a clear error naming it. The app either sees the error
  // itself (its line says where it stopped) or is stopped by whittle (no line; whittle's error says why).
  CHECK(info_lines(r.out, "fill") == std::vector<std::string>{"start"}); // the app ran
  std::string key = "disk-" + attack[1] + ":" + attack[2];
  auto lines = attack_lines(r.out);
  if (lines.count(key)) {
    check_blocked(r, key);
    long stopped = parse_number_after(lines[key], "stopped-at=");
    CHECK(stopped >= 0);
    CHECK(stopped <= 64);
  } else {
    CHECK(r.code == 1);
  }
  CHECK_THAT(r.err, Catch::Contains("--disk"));
  CHECK(start - lowest < cap + slack);
  check_nothing_succeeded(r);
  h.check_canaries(r);
}

TEST_CASE("attack: fallocate(FALLOC_FL_KEEP_SIZE) over many files is refused past the --disk budget, at once",
          "[attack]")
{
  Host h;
  h.image();
  const uint64_t cap = uint64_t{64} << 20;
  test::TestDir quiet(k_quiet_fs);
  h.work = quiet.path();
  std::string where = h.work;
  uint64_t start = free_bytes(where);
  uint64_t lowest = start;
  // 8 x 256 MiB reservations in a few milliseconds: the watchdog (a sample every 25 ms) alone would see
  // them only once made, and KEEP_SIZE leaves every file's size 0, so RLIMIT_FSIZE never applies.
  Run r = h.trace({"fill", "fallocate-keep", "/tmp/fill", "2048"}, {"--disk", "64m"},
                  [&] { lowest = std::min(lowest, free_bytes(where)); });
  lowest = std::min(lowest, free_bytes(where));
  INFO(r.describe() << "\nhost filesystem grew by at most " << ((start - lowest) >> 20) << " MiB");
  // The app sees the refusal itself, as from a full disk, before any reservation past the budget: it is
  // not killed later by the watchdog, and it reserved nothing (256 MiB > the 64 MiB budget).
  std::string key = "disk-fallocate-keep:/tmp/fill";
  auto lines = attack_lines(r.out);
  REQUIRE(lines.count(key) == 1);
  check_blocked(r, key, "ENOSPC");
  CHECK(parse_number_after(lines[key], "stopped-at=") == 0);
  CHECK(r.code == 0);
  CHECK(start - lowest < cap);
  json p = h.profile();
  CHECK(p["runs"][0]["refused"].value("fallocate(past --disk)", 0) >= 1);
  check_nothing_succeeded(r);
  h.check_canaries(r);
}

TEST_CASE("attack: 3 GiB of anonymous memory stops at the --memory cap", "[attack]")
{
  Host h;
  h.image();
  Run r = h.trace({"memory", "3072"}, {"--memory", "128m"});
  INFO(r.describe());
  // The app is refused the memory (ENOMEM) or killed; it never holds much past the cap.
  check_nothing_succeeded(r);
  CHECK(r.code != 2); // a usage error: the flag is missing
  auto progress = info_lines(r.out, "memory");
  REQUIRE_FALSE(progress.empty()); // the app ran
  CHECK(progress[0] == "start");
  long touched = 0;
  for (const auto& l : progress) {
    touched = std::max(touched, parse_number_after(l, "touched="));
  }
  CHECK(touched <= 128 + 64);
  auto lines = attack_lines(r.out);
  if (lines.count("memory")) {
    CHECK_THAT(lines["memory"], Catch::StartsWith("result=blocked"));
  }
  CHECK_THAT(r.err, !Catch::Contains("unknown option"));
  h.check_canaries(r);
}

TEST_CASE("attack: a fork bomb is bounded by --pids", "[attack]")
{
  Host h;
  h.image();
  Run r = h.trace({"forkbomb", "1000"}, {"--pids", "64"});
  INFO(r.describe());
  // A pids cap, with a flag.
  check_blocked(r, "forkbomb");
  long forked = parse_number_after(attack_lines(r.out)["forkbomb"], "forked=");
  CHECK(forked >= 0);
  CHECK(forked < 64);
  check_nothing_succeeded(r);
  h.check_canaries(r);
}

TEST_CASE("attack: 120,000 distinct paths keep whittle's RSS under 256 MiB", "[attack]")
{
  Host h;
  h.image();
  Run r = h.trace({"stat-many", "120000"});
  INFO(r.describe());
  // Whittle's RSS stays under 256 MiB whatever the app does; a path-count cap may stop
  // the run, with a clear error.
  auto progress = info_lines(r.out, "stat-many");
  REQUIRE_FALSE(progress.empty()); // the app ran
  CHECK(progress[0] == "start");
  CHECK(r.maxrss_kib > 0);
  CHECK(r.maxrss_kib < k_rss_cap_kib);
  CHECK((r.code == 0 || (r.code == 1 && r.err.find("whittle: error:") != std::string::npos)));
  if (r.code == 0) {
    CHECK(progress == std::vector<std::string>{"start", "done=120000"});
  }
  h.check_canaries(r);
}

TEST_CASE("attack: an HTTP probe answered with a 3 GB body keeps whittle's RSS bounded", "[attack]")
{
  Host h;
  h.image();
  Run r = h.trace({"http-serve", "8089", "3072"}, {"--probe", "http://127.0.0.1:8089/"});
  INFO(r.describe());
  // A probe reads at most a set body size (16 MiB), hashed as it streams.
  CHECK_FALSE(info_lines(r.out, "http-serve").empty());
  CHECK(r.maxrss_kib > 0);
  CHECK(r.maxrss_kib < k_rss_cap_kib);
  CHECK((r.code == 0 || r.code == 1));
  // The probe stopped reading long before the 3 GB end.
  long sent = -1;
  for (const auto& l : info_lines(r.out, "http-serve")) {
    if (l.rfind("sent=", 0) == 0) {
      sent = parse_number_after(l, "sent=");
    }
  }
  CHECK(sent < 3072);
  CHECK_FALSE(r.timed_out);
  h.check_canaries(r);
}

TEST_CASE("attack: nothing the app reads hides from the profile", "[attack]")
{
  Host h;
  SECTION("io_uring_setup answers ENOSYS")
  {
    h.image();
    Run r = h.trace({"io_uring"});
    INFO(r.describe());
    CHECK(r.code == 0);
    check_blocked(r, "io_uring_setup", "ENOSYS");
    check_nothing_succeeded(r);
    h.check_canaries(r);
  }
  SECTION("statx and open_tree with AT_EMPTY_PATH and a real path are recorded")
  {
    h.image({test::file("etc/statx-target", "s\n"), test::file("etc/open-tree-target", "o\n")});
    Run r = h.trace({"empty-path", "/etc/statx-target", "/etc/open-tree-target"});
    INFO(r.describe());
    REQUIRE(r.code == 0);
    CHECK(info_lines(r.out, "statx") == std::vector<std::string>{"/etc/statx-target 0"});
    auto paths = profile_paths(h.profile());
    CHECK(contains(paths, "/etc/statx-target"));
    // open_tree may be refused outright (a mount call: EPERM, as Docker without CAP_SYS_ADMIN); if the
    // kernel resolved its path, the profile has it.
    auto open_tree = info_lines(r.out, "open_tree");
    REQUIRE(open_tree.size() == 1);
    if (open_tree[0] != "/etc/open-tree-target EPERM") {
      CHECK(open_tree[0] == "/etc/open-tree-target 0");
      CHECK(contains(paths, "/etc/open-tree-target"));
    }
    h.check_canaries(r);
  }
  SECTION("a seccomp filter with NEW_LISTENER is refused")
  {
    h.image();
    Run r = h.trace({"seccomp-listener"});
    INFO(r.describe());
    CHECK(r.code == 0);
    check_blocked(r, "seccomp-new-listener", "EPERM");
    check_nothing_succeeded(r);
    h.check_canaries(r);
  }
  SECTION("clone with CLONE_UNTRACED is refused, clone3 too")
  {
    h.image({test::file("etc/untraced-target", "u\n")});
    Run r = h.trace({"clone-untraced", "/etc/untraced-target"});
    INFO(r.describe());
    CHECK(r.code == 0);
    check_blocked(r, "clone-untraced", "EPERM");
    // clone3's flags sit in memory the filter cannot read: ENOSYS (glibc falls back to clone) or EPERM.
    check_blocked(r, "clone3-untraced");
    auto l = attack_lines(r.out)["clone3-untraced"];
    CHECK((l.find("errno=ENOSYS") != std::string::npos || l.find("errno=EPERM") != std::string::npos));
    check_nothing_succeeded(r);
    h.check_canaries(r);
  }
  SECTION("a file name that is not UTF-8 is recorded byte-exact, escaped as \\xHH")
  {
    std::string tar = test::make_tar({test::dir("etc/")});
    tar.resize(tar.size() - 1024);
    tar += test::hostile::tar_header("etc/bad\xff\xfe", 2) + std::string("x\n") + std::string(510, '\0');
    tar += std::string(1024, '\0');
    h.raw_image(tar);
    Run r = h.trace({"open-raw", "/etc/bad\\xff\\xfe"});
    INFO(r.describe());
    // The profile writer keeps it (docs/profile.md's escaped form) instead of throwing.
    REQUIRE(r.code == 0);
    CHECK(info_lines(r.out, "open-raw") == std::vector<std::string>{"/etc/bad\\xff\\xfe 0"});
    auto paths = profile_paths(h.profile());
    CHECK(contains(paths, "/etc/bad\\xff\\xfe"));
    h.check_canaries(r);
  }
}

TEST_CASE("attack: the Docker-default refused syscalls fail with EPERM and are counted in the profile",
          "[attack]")
{
  const std::vector<std::string> names = {"keyctl",     "bpf",         "perf_event_open",   "userfaultfd",
                                          "kexec_load", "init_module", "open_by_handle_at", "reboot",
                                          "swapon",     "acct",        "settimeofday"};
  Host h;
  h.image();
  Run r = h.trace({"refused"});
  INFO(r.describe());
  REQUIRE(r.code == 0);
  // Refused with EPERM and counted in the profile so a user sees that the app tried.
  for (const auto& n : names) {
    check_blocked(r, "refused:" + n, "EPERM");
  }
  check_nothing_succeeded(r);
  json p = h.profile();
  INFO("profile: " << p.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 4000));
  // Counted under "refused": top-level or per run (runs[].refused), either {"name": count, ...} or a list
  // of names or of {"syscall"/"name": ..., "count": ...}.
  std::vector<json> refused;
  if (p.contains("refused")) {
    refused.push_back(p["refused"]);
  }
  if (p.contains("runs") && p["runs"].is_array()) {
    for (const auto& run : p["runs"]) {
      if (run.contains("refused")) {
        refused.push_back(run["refused"]);
      }
    }
  }
  REQUIRE_FALSE(refused.empty());
  std::map<std::string, long> counted;
  for (const auto& part : refused) {
    if (part.is_object()) {
      for (const auto& [k, v] : part.items()) {
        counted[k] += v.is_number() ? v.get<long>() : 1;
      }
    } else if (part.is_array()) {
      for (const auto& e : part) {
        if (e.is_string()) {
          counted[e.get<std::string>()] += 1;
        } else if (e.is_object()) {
          std::string n = e.contains("syscall") ? e["syscall"].get<std::string>() : e.value("name", "");
          counted[n] += e.contains("count") && e["count"].is_number() ? e["count"].get<long>() : 1;
        }
      }
    }
  }
  for (const auto& n : names) {
    INFO("refused syscall " << n);
    CHECK(counted[n] >= 1);
  }
  h.check_canaries(r);
}

TEST_CASE("attack: a daemon the app leaves behind does not keep the run alive", "[attack]")
{
  Host h;
  h.image();
  Run r = h.trace({"daemon", "60"}, {"--timeout", "120"});
  INFO(r.describe());
  CHECK(r.code == 0);
  CHECK(info_lines(r.out, "daemon") == std::vector<std::string>{"started"});
  // When the entrypoint exits, everything else in the sandbox is killed at once.
  CHECK(r.seconds < 15);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto left = processes_running("/bin/app", "daemon");
  CHECK(left.empty());
  for (pid_t pid : left) {
    ::kill(pid, SIGKILL);
  }
  h.check_canaries(r);
}
