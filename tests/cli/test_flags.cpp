// The whittle binary with bad flag values, environment variables and input files: each is refused before
// any work with the documented exit code and a message naming the flag (or variable, or file) and value.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <ctime>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>
#include <whittle/trace/profile.hpp>

using namespace whittle;

namespace {

struct Run
{
  int rc = -1;
  std::string out;
  std::string err;
};

// Runs whittle with `args` (shell words) and `env` ("K=V ..." prefix); gives up after 60 s so a command
// that blocks (on a FIFO) fails the test instead of hanging it.
Run
run(const test::TestDir& t, const std::string& args, const std::string& env = "")
{
  Run r;
  r.rc = test::run_command(env + " timeout 60 '" + std::string(WHITTLE_BINARY) + "' " + args + " 2>'" +
                               (t / "stderr") + "'",
                           &r.out, false);
  r.err = test::read_file(t / "stderr");
  return r;
}

std::string
image(const test::TestDir& t)
{
  test::FixtureImage img;
  img.layers = {{test::dir("etc"), test::file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), test::dir("app"),
                 test::file("app/run", "#!/app/interp\n", 0755), test::file("app/interp", "x", 0755)}};
  img.entrypoint = {"/app/run"};
  test::write_oci_layout(img, t / "img");
  return "oci:" + (t / "img") + ":latest";
}

void
write_profile(const std::string& path)
{
  trace::Profile p;
  p.add("/app/run", trace::Access::exec);
  trace::RunRecord run;
  run.argv = {"/app/run"};
  run.exit_code = 0;
  p.runs.push_back(run);
  trace::write_profile(p, path);
}

void
make_old(const std::string& path)
{
  struct timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = ::time(nullptr) - 2 * 3600;
  ts[0].tv_nsec = ts[1].tv_nsec = 0;
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

} // namespace

TEST_CASE("whittle refuses out-of-range user ids as usage errors", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  write_profile(t / "p.json");
  for (const char* user : {"4294967296", "4294967295", "99999999999999999999", "0:4294967296"}) {
    INFO(user);
    Run r = run(t, "trace " + src + " -o " + (t / "out.json") + " --user " + user);
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("--user `" + std::string(user) + "`"));
    r = run(t, "slim " + src + " -o oci:" + (t / "slim") + " --trace-user " + user);
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("--trace-user `" + std::string(user) + "`"));
    r = run(t, "build " + src + " --profile " + (t / "p.json") + " -o oci:" + (t / "b") + " --user " + user);
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("--user `" + std::string(user) + "`"));
  }
  CHECK_FALSE(test::path_exists(t / "out.json"));
  CHECK_FALSE(test::path_exists(t / "b"));
}

TEST_CASE("whittle refuses a --timeout that is not a positive number of seconds", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  for (const char* v : {"-5", "2abc", "inf", "nan", "0"}) {
    INFO(v);
    for (const std::string& cmd : {"trace " + src + " -o " + (t / "out.json"), "verify " + src + " " + src,
                                   "slim " + src + " -o oci:" + (t / "s")}) {
      Run r = run(t, cmd + " --timeout " + v);
      CHECK(r.rc == 2);
      CHECK_THAT(r.err, Catch::Contains("--timeout `" + std::string(v) + "`"));
    }
  }
}

TEST_CASE("trace, slim and verify check every trace flag's value before they open an image", "[cli]")
{
  // The image does not exist: a flag error that names the flag shows the flags were read first.
  test::TestDir t;
  std::string missing = "oci:" + (t / "no-such-layout") + ":latest";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"--timeout inf", "--timeout"},
      {"--memory 5q", "--memory"},
      {"--pids -1", "--pids"},
      {"--disk 1gb", "--disk"},
      {"--network bridge", "--network"},
      {"--env =x", "--env"},
      {"--continue-after soon", "--continue-after"},
      {"--mount /tmp:relative", "--mount"},
      {"--no-seccomp --syscalls", "--no-seccomp"},
  };
  for (const auto& [flag, name] : bad) {
    for (const std::string& cmd :
         {"trace " + missing + " -o " + (t / "out.json"), "verify " + missing + " " + missing,
          "slim " + missing + " -o oci:" + (t / "s")}) {
      INFO(cmd << " " << flag);
      Run r = run(t, cmd + " " + flag);
      CHECK(r.rc == 2);
      CHECK_THAT(r.err, Catch::Contains(name));
      CHECK_THAT(r.err, !Catch::Contains("no-such-layout"));
    }
  }
  // The same command with good flags reaches the image and names it.
  Run r = run(t, "trace " + missing + " -o " + (t / "out.json") + " --timeout 5 --memory 1g");
  CHECK(r.rc != 0);
  CHECK_THAT(r.err, Catch::Contains("no-such-layout"));
  CHECK_FALSE(test::path_exists(t / "out.json"));
  CHECK_FALSE(test::path_exists(t / "s"));
}

TEST_CASE("whittle refuses a --continue-after that is neither a keyword nor positive seconds", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  for (const char* v : {"-5", "inf", "nan", "2abc", "soon"}) {
    INFO(v);
    Run r = run(t, "trace " + src + " -o " + (t / "out.json") + " --continue-after " + v);
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("--continue-after `" + std::string(v) + "`"));
  }
}

TEST_CASE("whittle refuses a 65th --probe-exec instead of dropping it", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  std::string probes;
  for (int i = 0; i < 65; ++i) {
    probes += " --probe-exec true";
  }
  Run r = run(t, "trace " + src + " -o " + (t / "out.json") + probes);
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("--probe-exec given 65 times") && Catch::Contains("at most 64"));
}

TEST_CASE("whittle refuses bad WHITTLE_MAX_LAYER_* values, naming the variable", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  for (const char* v : {"-1", "lots", "0", "99999999999999999999", "1.5G"}) {
    INFO(v);
    Run r = run(t, "inspect " + src, std::string("WHITTLE_MAX_LAYER_BYTES='") + v + "'");
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("WHITTLE_MAX_LAYER_BYTES=`" + std::string(v) + "`"));
    r = run(t, "inspect " + src, std::string("WHITTLE_MAX_LAYER_RATIO='") + v + "'");
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("WHITTLE_MAX_LAYER_RATIO"));
  }
  CHECK(run(t, "inspect " + src, "WHITTLE_MAX_LAYER_BYTES=64M").rc == 0);
}

TEST_CASE("whittle reads WHITTLE_MAX_IMAGE_BYTES, refusing a bad value", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  Run r = run(t, "inspect " + src, "WHITTLE_MAX_IMAGE_BYTES=5MB");
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("WHITTLE_MAX_IMAGE_BYTES=`5MB`"));
  // inspect applies the layers: a cap below the image's size stops it.
  r = run(t, "inspect " + src, "WHITTLE_MAX_IMAGE_BYTES=1");
  CHECK(r.rc == 1);
  CHECK_THAT(r.err, Catch::Contains("(WHITTLE_MAX_IMAGE_BYTES)"));
  CHECK(run(t, "inspect " + src, "WHITTLE_MAX_IMAGE_BYTES=1M").rc == 0);
}

TEST_CASE("whittle convert dates an archive by SOURCE_DATE_EPOCH, refusing a bad value", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  Run r = run(t, "convert " + src + " oci-archive:" + (t / "bad.tar"), "SOURCE_DATE_EPOCH=2abc");
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("SOURCE_DATE_EPOCH=`2abc`"));
  CHECK_FALSE(test::path_exists(t / "bad.tar"));
  r = run(t, "convert " + src + " oci-archive:" + (t / "e.tar"), "SOURCE_DATE_EPOCH=1700000000");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  std::string listing;
  REQUIRE(test::run_command("TZ=UTC tar --full-time -tvf '" + (t / "e.tar") + "'", &listing) == 0);
  CHECK_THAT(listing, Catch::Contains("2023-11-14 22:13:20 index.json"));
}

TEST_CASE("whittle trace puts its work directory in $TMPDIR", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  // A TMPDIR that does not exist: the work directory's creation fails, naming where it was made.
  Run r = run(t, "trace " + src + " -o " + (t / "out.json"), "TMPDIR='" + (t / "missing") + "'");
  CHECK(r.rc == 1);
  CHECK_THAT(r.err, Catch::Contains(t / "missing/.whittle-trace-"));
}

TEST_CASE("whittle slim refuses a missing --include-path or --include-exe before tracing", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  Run r = run(t, "slim " + src + " -o oci:" + (t / "s") + " --include-path /nope");
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("--include-path `/nope`: no such path in the image"));
  r = run(t, "slim " + src + " -o oci:" + (t / "s") + " --include-exe nosuchtool");
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("--include-exe `nosuchtool`"));
  r = run(t, "slim " + src + " -o oci:" + (t / "s") + " --include-shell");
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("--include-shell"));
  CHECK_THAT(r.err, !Catch::Contains("tracing"));
  CHECK_FALSE(test::path_exists(t / "s"));
}

TEST_CASE("whittle checks conflicting flags before any work", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  Run r = run(t, "inspect " + src + " --quiet --verbose");
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("--quiet and --verbose"));
  r = run(t, "trace " + src + " -o " + (t / "p.json") + " --untraced --syscalls");
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("--untraced") && Catch::Contains("--syscalls"));
  r = run(t, "trace " + src + " -o " + (t / "p.json") + " --untraced --tracer notify");
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("--tracer"));
}

TEST_CASE("whittle refuses profile and rule files that are FIFOs or too large, without blocking", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  write_profile(t / "p.json");
  REQUIRE(::mkfifo((t / "fifo").c_str(), 0644) == 0);
  std::string dest = " -o oci:" + (t / "out");
  Run r = run(t, "build " + src + " --profile " + (t / "fifo") + dest);
  CHECK(r.rc == 1);
  CHECK_THAT(r.err, Catch::Contains("read profile `" + (t / "fifo") + "`: a FIFO"));
  r = run(t, "profile merge " + (t / "p.json") + " " + (t / "fifo") + " -o " + (t / "m.json"));
  CHECK(r.rc == 1);
  CHECK_THAT(r.err, Catch::Contains("a FIFO"));
  r = run(t, "build " + src + " --profile " + (t / "p.json") + dest + " --rules " + (t / "fifo"));
  CHECK(r.rc == 1);
  CHECK_THAT(r.err, Catch::Contains("read rules `" + (t / "fifo") + "`: a FIFO"));
  int fd = ::open((t / "huge.json").c_str(), O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, (64LL << 20) + 1) == 0); // sparse: over the profile cap without writing it
  ::close(fd);
  r = run(t, "build " + src + " --profile " + (t / "huge.json") + dest);
  CHECK(r.rc == 1);
  CHECK_THAT(r.err, Catch::Contains("huge.json") && Catch::Contains("64 MiB"));
  CHECK_FALSE(test::path_exists(t / "out"));
}

TEST_CASE("profile merge --json prints a summary on stdout", "[cli]")
{
  test::TestDir t;
  write_profile(t / "a.json");
  write_profile(t / "b.json");
  Run r =
      run(t, "profile merge " + (t / "a.json") + " " + (t / "b.json") + " -o " + (t / "m.json") + " --json");
  REQUIRE(r.rc == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["inputs"] == 2);
  CHECK(j["runs"] == 2);
  CHECK(j["output"] == t / "m.json");
}

TEST_CASE("the stale-file cleaner leaves the user's files and odd names alone", "[cli]")
{
  test::TestDir t;
  std::string src = image(t);
  ::mkdir((t / "out2").c_str(), 0755);
  ::mkdir((t / "out2/.whittle-notes").c_str(), 0755);
  test::write_file(t / "out2/.whittle-notes/todo.txt", "mine");
  make_old(t / "out2/.whittle-notes/todo.txt");
  make_old(t / "out2/.whittle-notes");
  ::mkdir((t / "out2/whittle-work-archive").c_str(), 0755);
  make_old(t / "out2/whittle-work-archive");
  test::write_file(t / "out2/.whittle-99999999999999999999", "");
  make_old(t / "out2/.whittle-99999999999999999999");
  ::mkdir((t / "tmp").c_str(), 0755);
  test::write_file(t / "tmp/.whittle-99999999999999999999", "");
  Run r = run(t, "convert " + src + " oci:" + (t / "out2/img"), "TMPDIR='" + (t / "tmp") + "'");
  INFO(r.err);
  CHECK(r.rc == 0);
  CHECK(test::read_file(t / "out2/.whittle-notes/todo.txt") == "mine");
  CHECK(test::path_exists(t / "out2/whittle-work-archive"));
  CHECK(test::path_exists(t / "out2/.whittle-99999999999999999999"));
  r = run(t, "convert " + src + " oci-archive:" + (t / "out2/img.tar"), "TMPDIR='" + (t / "tmp") + "'");
  CHECK(r.rc == 0);
  CHECK(test::path_exists(t / "out2/.whittle-notes/todo.txt"));
}

TEST_CASE("trace and verify --json print their result as JSON on stdout", "[cli][userns]")
{
  if (!test::have_root_sandbox()) {
    test::skip("no root sandbox: trace cannot run");
    return;
  }
  test::TestDir t;
  // A static program that prints to stdout and exits 0: the app's output must not reach stdout.
  test::FixtureImage img;
  img.layers = {{test::dir("app"), test::file("app/tool", test::read_file("/sbin/ldconfig"), 0755)}};
  img.entrypoint = {"/app/tool"};
  img.cmd = {"--version"};
  test::write_oci_layout(img, t / "img");
  std::string src = "oci:" + (t / "img") + ":latest";
  Run r = run(t, "trace " + src + " -o " + (t / "p.json") + " --json --timeout 30");
  INFO(r.err);
  REQUIRE(r.rc == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["exit_code"] == 0);
  CHECK(j["profile"] == t / "p.json");
  CHECK(j["files"].get<int>() >= 1);
  CHECK_THAT(r.err, Catch::Contains("ldconfig")); // the app's --version output, moved to stderr
  r = run(t, "verify " + src + " " + src + " --json --timeout 30");
  REQUIRE(r.rc == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["ok"] == true);
  CHECK(j["differences"].empty());
}
