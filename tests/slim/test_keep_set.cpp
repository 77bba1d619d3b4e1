#include "fake_root.hpp"

#include <catch2/catch.hpp>
#include <whittle/slim/keep_set.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

// A small Debian-like python image with the usual cruft.
void
python_image(test::FakeRoot& root)
{
  root.dir_node("/usr/lib/x86_64-linux-gnu");
  root.dir_node("/usr/lib64");
  root.symlink("/lib", "usr/lib");
  root.symlink("/lib64", "usr/lib64");
  root.symlink("/bin", "usr/bin");
  root.elf("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", test::x86_lib("ld-linux-x86-64.so.2"));
  root.symlink("/usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  root.elf("/usr/lib/x86_64-linux-gnu/libc.so.6", test::x86_lib("libc.so.6"));
  root.elf("/usr/lib/x86_64-linux-gnu/libz.so.1", test::x86_lib("libz.so.1", {"libc.so.6"}));
  root.elf("/usr/lib/x86_64-linux-gnu/libunused.so.1", test::x86_lib("libunused.so.1"));
  root.elf("/usr/bin/python3.11", test::x86_exe({"libz.so.1", "libc.so.6"}));
  root.symlink("/usr/bin/python3", "python3.11");
  root.elf("/usr/bin/env", test::x86_exe({"libc.so.6"}));
  root.elf("/usr/bin/dash", test::x86_exe({"libc.so.6"}));
  root.symlink("/usr/bin/sh", "dash");
  root.file("/usr/lib/python3.11/os.py", "import abc\n");
  root.file("/usr/lib/python3.11/unused.py", "pass\n");
  root.file("/usr/lib/python3.11/encodings/__init__.py", "x\n");
  root.file("/usr/lib/python3.11/encodings/utf_8.py", "x\n");
  root.file("/usr/share/doc/python3/README", "docs\n");
  root.file("/usr/share/man/man1/python3.1.gz", "man\n");
  root.file("/usr/share/misc/magic", "magic\n");
  root.file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  root.file("/etc/shadow", "secret\n", 0600);
  root.dir_node("/var/cache/app", 0755);
  root.file("/var/cache/app/seed.db", "db\n");
  root.dir_node("/tmp", 01777);
  root.file("/app/main.py", "#!/usr/bin/env python3\nimport os\n", 0755);
}

trace::Profile
python_profile()
{
  trace::Profile p;
  p.add("/app/main.py", trace::Access::exec);
  p.add("/usr/bin/python3", trace::Access::exec);
  p.add("/usr/lib/python3.11/os.py", trace::Access::read);
  p.add("/var/cache/app/new.txt", trace::Access::create);
  p.add("/var/cache/app/new.txt", trace::Access::write);
  p.add("/etc/missing.conf", trace::Access::missing);
  return p;
}

KeepOptions
options()
{
  KeepOptions o;
  o.rules = read_rules_dir(WHITTLE_PROFILES_DIR);
  o.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  o.entrypoint = {"/app/main.py"};
  return o;
}

bool
has_reason(const KeepPlan& plan, const std::string& path, const std::string& reason)
{
  return plan.keep.reasons(path).count(reason) == 1;
}

} // namespace

TEST_CASE("slim::plan_keep_set closes a hand-written python profile", "[slim]")
{
  test::FakeRoot root;
  python_image(root);
  KeepPlan plan = plan_keep_set(root.tree, root.files, python_profile(), options());

  // Traced, plus the shebang chain: env, then python3 on PATH through its symlink.
  CHECK(has_reason(plan, "/app/main.py", "profile"));
  CHECK(has_reason(plan, "/usr/bin/env", "shebang"));
  CHECK(has_reason(plan, "/usr/bin/python3", "symlink"));
  CHECK(plan.keep.contains("/usr/bin/python3.11"));
  CHECK(has_reason(plan, "/usr/lib/python3.11/os.py", "profile"));
  // ELF closure through merged-/usr links.
  CHECK(has_reason(plan, "/usr/lib/x86_64-linux-gnu/libz.so.1", "elf"));
  CHECK(has_reason(plan, "/usr/lib/x86_64-linux-gnu/libc.so.6", "elf"));
  CHECK(has_reason(plan, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "elf"));
  CHECK(plan.keep.contains("/lib64"));
  CHECK(plan.keep.contains("/usr/lib64/ld-linux-x86-64.so.2"));
  CHECK(plan.keep.contains("/lib"));
  // Parents.
  for (const char* p : {"/", "/usr", "/usr/lib", "/usr/lib/python3.11", "/app"}) {
    CHECK(has_reason(plan, p, "parent"));
  }
  // Rules: base and python applied; their keeps are in.
  CHECK(std::find(plan.applied_rules.begin(), plan.applied_rules.end(), "base") != plan.applied_rules.end());
  CHECK(std::find(plan.applied_rules.begin(), plan.applied_rules.end(), "python") !=
        plan.applied_rules.end());
  CHECK(std::find(plan.applied_rules.begin(), plan.applied_rules.end(), "nginx") == plan.applied_rules.end());
  CHECK(has_reason(plan, "/etc/passwd", "rule:base"));
  CHECK(has_reason(plan, "/usr/lib/python3.11/encodings/utf_8.py", "rule:python"));
  CHECK(has_reason(plan, "/tmp", "rule:base"));
  // Written directory kept, the created file does not exist in the image; the existing content under it is
  // not traced and goes.
  CHECK(plan.written_dirs == std::vector<std::string>{"/var/cache/app"});
  CHECK(has_reason(plan, "/var/cache/app", "written-dir"));
  // Removed, each with its reason.
  CHECK(plan.removed.at("/var/cache/app/seed.db") == "not-traced");
  CHECK(plan.removed.at("/usr/lib/python3.11/unused.py") == "not-traced");
  CHECK(plan.removed.at("/usr/lib/x86_64-linux-gnu/libunused.so.1") == "not-traced");
  CHECK(plan.removed.at("/usr/share/doc/python3/README") == "strip:docs");
  CHECK(plan.removed.at("/usr/share/man/man1/python3.1.gz") == "strip:man");
  CHECK(plan.removed.at("/usr/bin/dash") == "strip:shells");
  CHECK(plan.removed.at("/etc/shadow") == "not-traced");
  CHECK_FALSE(plan.keep.contains("/etc/missing.conf"));
  CHECK(plan.missing.empty());
  // Every tree path is either kept or removed, never both.
  CHECK(plan.keep.size() + plan.removed.size() == root.tree.size());
}

TEST_CASE("slim::plan_keep_set options: include, strip, exclude", "[slim]")
{
  test::FakeRoot root;
  python_image(root);
  KeepOptions o = options();

  SECTION("--include-path of a directory keeps its subtree except strip groups")
  {
    o.include_paths = {"/usr/share"};
    KeepPlan plan = plan_keep_set(root.tree, root.files, python_profile(), o);
    CHECK(has_reason(plan, "/usr/share/misc/magic", "include-path"));
    CHECK_FALSE(plan.keep.contains("/usr/share/doc/python3/README"));
    CHECK(plan.removed.at("/usr/share/doc/python3/README") == "strip:docs");
  }
  SECTION("--no-strip keeps what strip groups would drop, and removals are only not-traced")
  {
    o.include_paths = {"/usr/share"};
    o.strip = false;
    KeepPlan plan = plan_keep_set(root.tree, root.files, python_profile(), o);
    CHECK(plan.keep.contains("/usr/share/doc/python3/README"));
    CHECK(plan.removed.at("/usr/bin/dash") == "not-traced");
  }
  SECTION("a traced path is never stripped")
  {
    trace::Profile p = python_profile();
    p.add("/usr/share/doc/python3/README", trace::Access::read);
    KeepPlan plan = plan_keep_set(root.tree, root.files, p, o);
    CHECK(has_reason(plan, "/usr/share/doc/python3/README", "profile"));
  }
  SECTION("--include-exe and --include-shell bring the program and its closure")
  {
    o.include_exes = {"dash"};
    o.include_shell = true;
    KeepPlan plan = plan_keep_set(root.tree, root.files, python_profile(), o);
    CHECK(has_reason(plan, "/usr/bin/dash", "include-exe"));
    CHECK(has_reason(plan, "/usr/bin/dash", "include-shell"));
    CHECK(plan.keep.contains("/bin"));
    CHECK(plan.keep.contains("/usr/bin/sh"));
  }
  SECTION("missing includes are usage errors")
  {
    o.include_exes = {"nope"};
    CHECK_THROWS_AS(plan_keep_set(root.tree, root.files, python_profile(), o), UsageError);
    o.include_exes.clear();
    o.include_paths = {"/nowhere"};
    CHECK_THROWS_AS(plan_keep_set(root.tree, root.files, python_profile(), o), UsageError);
  }
  SECTION("--exclude-pattern removes even traced paths, with the subtree of a directory")
  {
    o.exclude_patterns = {"/usr/lib/python3.11/encodings", "/usr/lib/python3.11/os.py"};
    KeepPlan plan = plan_keep_set(root.tree, root.files, python_profile(), o);
    CHECK_FALSE(plan.keep.contains("/usr/lib/python3.11/os.py"));
    CHECK_FALSE(plan.keep.contains("/usr/lib/python3.11/encodings/utf_8.py"));
    CHECK(plan.removed.at("/usr/lib/python3.11/encodings/utf_8.py") == "excluded");
    CHECK(plan.removed.at("/usr/lib/python3.11/os.py") == "excluded");
    CHECK(plan.keep.contains("/usr/lib/python3.11"));
  }
}

TEST_CASE("slim::plan_keep_set keeps hardlink names that are traced and nothing else", "[slim]")
{
  test::FakeRoot root;
  root.file("/usr/bin/a", "same", 0755);
  root.hardlink("/usr/bin/b", "/usr/bin/a");
  trace::Profile p;
  p.add("/usr/bin/b", trace::Access::read);
  KeepOptions o;
  KeepPlan plan = plan_keep_set(root.tree, root.files, p, o);
  CHECK(plan.keep.contains("/usr/bin/b"));
  CHECK_FALSE(plan.keep.contains("/usr/bin/a"));
}

TEST_CASE("slim::plan_keep_set keeps what the healthcheck touched, not what other probes did", "[slim]")
{
  test::FakeRoot root;
  python_image(root);
  trace::Profile p = python_profile();
  trace::RunRecord run;
  trace::ProbeResult exec_probe;
  exec_probe.kind = "exec";
  exec_probe.target = "cat /etc/shadow";
  exec_probe.files = {{"/etc/shadow", static_cast<uint16_t>(trace::Access::read), ""}};
  trace::ProbeResult health;
  health.kind = "healthcheck";
  health.target = "CMD-SHELL test -s /var/cache/app/seed.db";
  health.ok = true;
  health.files = {{"/usr/bin/sh", static_cast<uint16_t>(trace::Access::stat), "dash"},
                  {"/usr/bin/dash",
                   static_cast<uint16_t>(trace::Access::exec) | static_cast<uint16_t>(trace::Access::read),
                   ""},
                  {"/var/cache/app/seed.db", static_cast<uint16_t>(trace::Access::stat), ""},
                  {"/etc/nothing", static_cast<uint16_t>(trace::Access::missing), ""}};
  run.probes = {exec_probe, health};
  p.runs.push_back(run);

  KeepPlan plan = plan_keep_set(root.tree, root.files, p, options());
  // The shell the base rules would strip is kept, with its libraries and the link to it.
  CHECK(has_reason(plan, "/usr/bin/dash", "healthcheck"));
  CHECK(plan.removed.count("/usr/bin/dash") == 0);
  CHECK(plan.keep.contains("/usr/bin/sh"));
  CHECK(has_reason(plan, "/usr/lib/x86_64-linux-gnu/libc.so.6", "elf"));
  CHECK(has_reason(plan, "/var/cache/app/seed.db", "healthcheck"));
  CHECK_FALSE(plan.keep.contains("/etc/nothing"));
  // An exec probe is the tester's: its files are not the image's to keep.
  CHECK(plan.removed.at("/etc/shadow") == "not-traced");

  // Without the healthcheck's files, the same profile strips the shell (the probe is what kept it).
  p.runs.back().probes = {exec_probe};
  KeepPlan without = plan_keep_set(root.tree, root.files, p, options());
  CHECK(without.removed.at("/usr/bin/dash") == "strip:shells");
  CHECK(without.removed.at("/var/cache/app/seed.db") == "not-traced");
}

namespace {

// An entry script whose retry loop the trace left before `sleep`, a library it sources, a helper script
// on an untaken branch, and a tool it only looks up.
void
script_image(test::FakeRoot& root)
{
  python_image(root);
  root.elf("/usr/lib/x86_64-linux-gnu/libtime.so.1", test::x86_lib("libtime.so.1", {"libc.so.6"}));
  root.elf("/usr/bin/sleep", test::x86_exe({"libtime.so.1", "libc.so.6"}));
  for (const char* p : {"/usr/bin/client", "/usr/bin/server", "/usr/bin/jq", "/usr/bin/curl",
                        "/usr/bin/timeout", "/usr/bin/nc", "/usr/bin/unused"}) {
    root.elf(p, test::x86_exe({"libc.so.6"}));
  }
  root.file("/usr/local/bin/helper.sh", "#!/bin/sh\nexec curl -fs \"$URL\"\n", 0755);
  root.file("/usr/lib/app/lib.sh", "wait_for() { timeout 5 nc -z \"$@\"; }\n");
  root.file("/entrypoint.sh",
            "#!/bin/sh\n"
            "set -e\n"
            ". /usr/lib/app/lib.sh\n"
            "command -v jq >/dev/null || echo \"no jq\"\n"
            "until client ping; do sleep 0.1; done\n"
            "if [ \"$1\" = init ]; then helper.sh; fi\n"
            "wait_for db 5432\n"
            "cat <<EOF\nunused\nEOF\n"
            "if [ \"$(id -u)\" = 0 ]; then exec gosu app \"$0\" \"$@\"; fi\n"
            "if [ \"$1\" = serve ]; then exec server \"$@\"; fi\n"
            "exec \"$@\"\n",
            0755);
}

trace::Profile
script_profile()
{
  trace::Profile p;
  p.add("/entrypoint.sh", trace::Access::exec);
  p.add("/usr/bin/dash", trace::Access::exec);
  p.add("/usr/bin/client", trace::Access::exec);
  p.add("/usr/bin/server", trace::Access::exec);
  return p;
}

bool
has_warning(const KeepPlan& plan, const std::string& part)
{
  return std::any_of(plan.warnings.begin(), plan.warnings.end(),
                     [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

} // namespace

TEST_CASE("slim::plan_keep_set keeps what an executed shell script can run", "[slim][script]")
{
  test::FakeRoot root;
  script_image(root);
  KeepOptions o = options();
  o.entrypoint = {"/entrypoint.sh"};

  SECTION("the programs of the untaken paths come with their closure")
  {
    KeepPlan plan = plan_keep_set(root.tree, root.files, script_profile(), o);
    CHECK(has_reason(plan, "/usr/bin/sleep", "script-command"));
    CHECK(plan.keep.strong("/usr/bin/sleep"));
    CHECK(has_reason(plan, "/usr/lib/x86_64-linux-gnu/libtime.so.1", "elf"));
    CHECK(has_reason(plan, "/usr/bin/server", "script-command"));
    CHECK(has_reason(plan, "/usr/bin/client", "script-command"));
    // The sourced library is kept and scanned; so is the helper script found on PATH.
    CHECK(has_reason(plan, "/usr/lib/app/lib.sh", "script-command"));
    CHECK(has_reason(plan, "/usr/bin/timeout", "script-command"));
    CHECK(has_reason(plan, "/usr/bin/nc", "script-command"));
    CHECK(has_reason(plan, "/usr/local/bin/helper.sh", "script-command"));
    CHECK(has_reason(plan, "/usr/bin/curl", "script-command")); // even though a strip group names it
    // A name only looked up, a heredoc's words, and what no script names are not kept.
    CHECK(plan.removed.at("/usr/bin/jq") == "not-traced");
    CHECK(plan.removed.at("/usr/bin/unused") == "not-traced");
    // The run-time command is a warning, quoted; the helper's "$URL" is an argument, not a command.
    // "$0" (the script re-run as another user) is the script itself: no warning for it.
    CHECK(has_warning(plan, "script `/entrypoint.sh` runs commands decided at run time, not followed: "
                            "`\"$@\"` (--include-exe NAME keeps a program they name)"));
    CHECK_FALSE(has_warning(plan, "helper.sh"));
  }
  SECTION("--no-script-scan keeps only what was traced")
  {
    o.script_scan = false;
    KeepPlan plan = plan_keep_set(root.tree, root.files, script_profile(), o);
    CHECK(plan.removed.at("/usr/bin/sleep") == "not-traced");
    CHECK(plan.removed.at("/usr/lib/app/lib.sh") == "not-traced");
    CHECK_FALSE(plan.keep.contains("/usr/bin/curl"));
    CHECK(plan.removed.at("/usr/bin/curl") == "strip:coreutils");
    CHECK(has_reason(plan, "/usr/bin/client", "profile"));
    CHECK(plan.keep.reasons("/usr/bin/client").count("script-command") == 0);
    CHECK_FALSE(has_warning(plan, "decided at run time"));
  }
  SECTION("an entrypoint `sh -c TEXT` is scanned too")
  {
    o.entrypoint = {"/bin/sh", "-c", "until client ping; do sleep 0.1; done; exec server"};
    trace::Profile p;
    p.add("/usr/bin/dash", trace::Access::exec);
    p.add("/usr/bin/client", trace::Access::exec);
    KeepPlan plan = plan_keep_set(root.tree, root.files, p, o);
    CHECK(has_reason(plan, "/usr/bin/sleep", "script-command"));
    CHECK(has_reason(plan, "/usr/bin/server", "script-command"));
    CHECK_FALSE(plan.keep.contains("/entrypoint.sh"));
  }
  SECTION("a script the scanner cannot read completely is a warning, and what it read counts")
  {
    root.file("/entrypoint.sh", "#!/bin/bash\nsleep 1\necho 'open\n", 0755);
    KeepPlan plan = plan_keep_set(root.tree, root.files, script_profile(), o);
    CHECK(has_reason(plan, "/usr/bin/sleep", "script-command"));
    CHECK(has_warning(plan, "script `/entrypoint.sh` could not be read completely (line 3: unterminated "
                            "single quote)"));
  }
  SECTION("an executed file that is not a shell script is not scanned")
  {
    root.file("/entrypoint.sh", "#!/usr/bin/env python3\nsleep(1)\n", 0755);
    KeepPlan plan = plan_keep_set(root.tree, root.files, script_profile(), o);
    CHECK(plan.removed.at("/usr/bin/sleep") == "not-traced");
  }
}
