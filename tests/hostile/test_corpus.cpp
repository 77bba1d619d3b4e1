// Every command over every case of the hostile-image corpus (tests/hostile/corpus.cpp): each ends with
// exit 0 and a correct result, or exit 1 and a `whittle: error:` naming what it refused; never a crash or
// a sanitizer report, never a write outside its work and output directories (a host canary tree is hashed
// before and after), never a partial output at the destination, never a leftover temporary file.
#include "hostile/binaries.hpp"
#include "hostile/corpus.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <sys/stat.h>

using namespace whittle;

namespace {

// A digest of a tree: every path, type, mode and content (sha256sum of files, readlink of links).
std::string
tree_hash(const std::string& dir)
{
  std::string out;
  int rc = test::run_command("cd '" + dir +
                                 "' && find . -printf '%p %y %m %s %l\\n' | LC_ALL=C sort && "
                                 "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum",
                             &out, false);
  REQUIRE(rc == 0);
  return out;
}

std::string
listing(const std::string& dir)
{
  std::string out;
  test::run_command("ls -A '" + dir + "'", &out, false);
  return out;
}

struct Outcome
{
  int rc = 0;
  std::string out;
  std::string err;
};

Outcome
run(const test::TestDir& t, const std::string& env, const std::string& args)
{
  Outcome o;
  std::string cmd = "env TMPDIR='" + (t / "tmp") + "' " + env + " '" + test::hostile::whittle_binary() +
                    "' " + args + " 2>'" + (t / "stderr") + "'";
  o.rc = test::run_command(cmd, &o.out, false);
  o.err = test::read_file(t / "stderr");
  return o;
}

// The checks shared by every command: a clean exit, a clear error, no sanitizer report.
void
check_outcome(const Outcome& o, const std::string& mention)
{
  INFO("exit " << o.rc << "\nstderr: " << o.err.substr(0, 4000));
  CHECK((o.rc == 0 || o.rc == 1));
  CHECK_THAT(o.err, !Catch::Contains("AddressSanitizer") && !Catch::Contains("runtime error:") &&
                        !Catch::Contains("LeakSanitizer") && !Catch::Contains("terminate called"));
  // Names from the image reach stderr escaped: no terminal control sequence gets through.
  CHECK(o.err.find('\x1b') == std::string::npos);
  if (o.rc == 1) {
    CHECK_THAT(o.err, Catch::StartsWith("whittle: error:") || Catch::Contains("\nwhittle: error:") ||
                          Catch::Contains("whittle: verify failed:"));
    if (!mention.empty()) {
      CHECK_THAT(o.err, Catch::Contains(mention));
    }
  }
}

std::string
profile_json(const std::string& ref)
{
  return R"({
  "schema": "whittle/profile/v1",
  "image": {"ref": ")" +
         ref + R"(", "manifest_digest": "", "platform": "linux/amd64"},
  "runs": [{"argv": ["/bin/app", "open", "/etc/os-release"], "env": [], "workdir": "/", "user": "0:0",
            "exit_code": 0, "signal": 0, "duration_ms": 1, "probes": []}],
  "files": [
    {"path": "/bin/app", "access": ["read", "exec"]},
    {"path": "/etc/os-release", "access": ["read"]},
    {"path": "/etc/ok", "access": ["read"]},
    {"path": "/bin/self", "access": ["stat"], "link_target": "/proc/self/exe"},
    {"path": "/etc/loop", "access": ["stat"], "link_target": "loop2"},
    {"path": "/etc/self", "access": ["stat"], "link_target": "self"},
    {"path": "/etc/chain", "access": ["read"]},
    {"path": "/bin/zero", "access": ["read", "exec"]}
  ],
  "special": [],
  "syscalls": []
}
)";
}

} // namespace

TEST_CASE("hostile corpus: every command ends cleanly, writes only its outputs, leaves no partial output",
          "[hostile]")
{
  std::string app = test::read_file(test::hostile::tracee_binary());
  // Catch2 enters the test case once per section: the binary's digest is taken on the first entry only.
  static const std::string whittle_hash = test::sha256_file(test::hostile::whittle_binary());
  bool sandbox = test::have_root_sandbox();
  if (!sandbox) {
    test::skip("no root sandbox: trace and slim are not run over the hostile corpus");
  }
  for (const auto& c : test::hostile::corpus(app)) {
    DYNAMIC_SECTION(c.name)
    {
      test::TestDir t;
      std::string canary = t / "canary";
      test::hostile::write_canary(canary);
      ::mkdir((t / "tmp").c_str(), 0755);
      ::mkdir((t / "work").c_str(), 0755);
      ::mkdir((t / "out").c_str(), 0755);
      c.write(t / "img", canary);
      std::string ref = c.transport + ":" + (t / "img") + (c.transport == "oci" ? ":latest" : "");
      test::write_file(t / "profile.json", profile_json(ref));
      std::string before = tree_hash(canary);
      auto image_hash = [&] {
        return c.transport == "oci" ? tree_hash(t / "img") : test::sha256_hex(test::read_file(t / "img"));
      };
      std::string image_before = image_hash();

      // After each command: the canary and the source image unchanged, the temp dir empty, the work dir
      // empty, and the destination either absent (failure) or complete (success).
      auto after = [&](const std::string& what, const Outcome& o, const std::string& dest) {
        // One line per command, so a run shows what each case ended with.
        std::string first = o.err.substr(0, o.err.find('\n'));
        std::printf("hostile: %-40.40s %-14s exit %d %.160s\n", c.name.c_str(), what.c_str(), o.rc,
                    first.c_str());
        INFO(what << ": exit " << o.rc << "\nstderr: " << o.err.substr(0, 4000));
        check_outcome(o, c.mention);
        CHECK(tree_hash(canary) == before);
        CHECK(image_hash() == image_before);
        CHECK(listing(t / "tmp").empty());
        CHECK(listing(t / "work").empty());
        CHECK_THAT(listing(t / "out"), !Catch::Contains(".whittle"));
        CHECK_FALSE(test::path_exists("/pwned"));
        if (!dest.empty()) {
          if (o.rc != 0) {
            CHECK_FALSE(test::path_exists(dest));
          } else {
            CHECK(test::path_exists(dest + "/index.json"));
            CHECK(test::path_exists(dest + "/oci-layout"));
            // Nothing of the host made it into the output image.
            CHECK_FALSE(test::hostile::layout_holds_canary(dest));
          }
        }
      };

      Outcome inspect = run(t, c.env, "inspect " + ref + " --json");
      after("inspect --json", inspect, "");
      Outcome human = run(t, c.env, "inspect " + ref);
      after("inspect", human, "");
      // A well-formed image is read; a malformed or hostile one is refused.
      CHECK(inspect.rc == (c.valid || c.headers_valid ? 0 : 1));
      CHECK(human.rc == inspect.rc);

      std::string conv = t / "out/convert";
      Outcome convert = run(t, c.env, "convert " + ref + " oci:" + conv + ":latest");
      after("convert", convert, conv);
      if (convert.rc == 0) {
        // convert copies layers: its output reads back exactly as the source does.
        Outcome again = run(t, c.env, "inspect oci:" + conv + ":latest --json");
        CHECK(again.rc == inspect.rc);
      }

      std::string built = t / "out/build";
      Outcome build = run(t, c.env,
                          "build " + ref + " --profile " + (t / "profile.json") + " -o oci:" + built +
                              ":slim --artifacts " + (t / "out/build-artifacts"));
      after("build", build, built);
      CHECK(build.rc == (c.valid ? 0 : 1));
      if (build.rc == 0) {
        // A slimmed image is applied and rewritten by whittle: it must read back cleanly.
        Outcome back = run(t, "", "inspect oci:" + built + ":slim --json");
        INFO(back.err);
        CHECK(back.rc == 0);
      } else {
        CHECK_FALSE(test::path_exists(t / "out/build-artifacts"));
      }

      if (sandbox) {
        std::string profile = t / "out/traced.json";
        Outcome trace =
            run(t, c.env, "trace " + ref + " -o " + profile + " --timeout 3 --workdir " + (t / "work"));
        after("trace", trace, "");
        if (trace.rc != 0) {
          CHECK_FALSE(test::path_exists(profile));
        }
        std::string slimmed = t / "out/slim";
        Outcome slim = run(t, c.env,
                           "slim " + ref + " -o oci:" + slimmed + ":slim --timeout 3 --workdir " +
                               (t / "work") + " --artifacts " + (t / "out/slim-artifacts"));
        after("slim", slim, slimmed);
        if (slim.rc == 0) {
          Outcome back = run(t, "", "inspect oci:" + slimmed + ":slim --json");
          INFO(back.err);
          CHECK(back.rc == 0);
        }

        // verify runs the image and its slimmed version (or the image twice when slim refused it): it
        // agrees exactly when the image could be traced, since the app's output is deterministic.
        std::string against = slim.rc == 0 ? "oci:" + slimmed + ":slim" : ref;
        Outcome verify =
            run(t, c.env, "verify " + ref + " " + against + " --timeout 3 --workdir " + (t / "work"));
        after("verify", verify, "");
        CHECK(verify.rc == (trace.rc == 0 ? 0 : 1));
      }
      CHECK(test::sha256_file(test::hostile::whittle_binary()) == whittle_hash);
    }
  }
}

TEST_CASE("hostile corpus: the generated bomb is a valid gzip stream of the announced size", "[hostile]")
{
  test::TestDir t;
  std::string blob = test::hostile::gzip_bomb(test::hostile::tar_header("z", 3 << 20), (3 << 20) + 1024);
  CHECK(blob.size() < 20000);
  test::write_file(t / "b.gz", blob);
  std::string out;
  REQUIRE(test::run_command("gzip -t '" + (t / "b.gz") + "' && zcat '" + (t / "b.gz") + "' | wc -c", &out) ==
          0);
  CHECK(std::stoull(out) == 512 + (3 << 20) + 1024);
  REQUIRE(test::run_command("zcat '" + (t / "b.gz") + "' | tar tvf -", &out) == 0);
  CHECK_THAT(out, Catch::Contains("3145728"));
}
