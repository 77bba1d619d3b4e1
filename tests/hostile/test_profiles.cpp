// Hostile tracer profiles: a profile is a file users keep in git and pass around, so `profile merge` and
// `build` treat it as untrusted input. Each case ends with exit 0 and a correct result, or exit 1 and an
// error naming the profile; nothing is written outside the output, no host file reaches the image, no
// partial output is left, and no terminal escape from the profile reaches stderr.
#include "hostile/binaries.hpp"
#include "hostile/corpus.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <sys/stat.h>

using namespace whittle;

namespace {

struct ProfileCase
{
  std::string name;
  std::function<std::string(const std::string& canary)> text;
  // True if the profile is well-formed: merge and build must accept it.
  bool valid = false;
  // When refused, the error holds this besides the profile's file name.
  std::string mention;
};

std::string
profile(const std::string& files, const std::string& special = "[]", const std::string& tail = "")
{
  return R"({"schema": "whittle/profile/v1",
  "image": {"ref": "oci:img:latest", "manifest_digest": "", "platform": ""},
  "runs": [{"argv": ["/bin/app", "open", "/etc/os-release"], "env": [], "workdir": "/", "user": "0:0",
            "exit_code": 0, "signal": 0, "duration_ms": 1, "probes": []}],
  "files": )" +
         files + R"(, "special": )" + special + tail + "}\n";
}

std::string
one_file(const std::string& path, const std::string& more = "")
{
  return R"([{"path": ")" + path + R"(", "access": ["read"])" + more + "}]";
}

std::string
nested(size_t depth)
{
  return std::string(depth, '[') + std::string(depth, ']');
}

std::vector<ProfileCase>
profile_cases()
{
  using C = const std::string&;
  return {
      {"not JSON", [](C) { return std::string("{\"schema\": "); }, false, "invalid JSON"},
      {"a top-level array", [](C) { return std::string("[]"); }, false, "not an object"},
      {"100,000 nested arrays", [](C) { return nested(100000); }, false, "not an object"},
      {"100,000 nested arrays as files", [](C) { return profile(nested(100000)); }, false, "file #0"},
      {"a file path climbing out of the root",
       [](C c) { return profile(one_file("/../../../../../../.." + c + "/secret")); }, false, "canonical"},
      {"a relative file path", [](C) { return profile(one_file("etc/os-release")); }, false, "canonical"},
      {"a path holding NUL", [](C) { return profile(one_file("/etc/os-release\\u0000/../../x")); }, false,
       "canonical"},
      {"a path holding terminal escapes", [](C) { return profile(one_file("/etc/\\u001b[2J/../x")); }, false,
       "\\x1b[2J"},
      {"raw invalid UTF-8", [](C) { return profile(one_file("/etc/\xff\xfe")); }, false, "invalid JSON"},
      {"access that is not a list",
       [](C) { return profile(R"([{"path": "/etc/os-release", "access": "read"}])"); }, false, "access"},
      {"an unknown access", [](C) { return profile(R"([{"path": "/etc/os-release", "access": ["own"]}])"); },
       false, "own"},
      {"an exit code beyond 64 bits",
       [](C) {
         std::string p = profile("[]");
         return p.replace(p.find("\"exit_code\": 0"), 14, "\"exit_code\": 1e400");
       },
       false, "1e400"},
      {"a file listed twice",
       [](C) {
         return profile(R"([{"path": "/etc/os-release", "access": ["read"]},
                            {"path": "/etc/os-release", "access": ["stat"]}])");
       },
       false, "twice"},
      {"a link_target naming a host file",
       [](C c) { return profile(one_file("/etc/os-release", R"(, "link_target": ")" + c + R"(/secret")")); },
       true, ""},
      {"special paths outside the root",
       [](C c) {
         return profile(one_file("/etc/os-release"), R"([{"path": ")" + c + R"(/secret", "access": ["read"]},
                 {"path": "/../../../../../../..)" + c + R"(/secret", "access": ["read", "exec"]}])");
       },
       true, ""},
      {"syscall names holding escapes and paths",
       [](C) {
         return profile(one_file("/etc/os-release"), "[]", R"(, "syscalls": ["read", "\u001b[2J", "../x"])");
       },
       true, ""},
      {"a profile of another image",
       [](C) {
         std::string p = profile(one_file("/etc/os-release"));
         return p.replace(p.find("\"manifest_digest\": \"\""), 21,
                          "\"manifest_digest\": \"sha256:" + std::string(64, '0') + "\"");
       },
       true, ""},
      {"50,000 files the image does not hold",
       [](C) {
         std::string files = "[";
         for (int i = 0; i < 50000; ++i) {
           files += std::string(i ? "," : "") + R"({"path": "/nope/)" + std::to_string(i) +
                    R"(", "access": ["stat"]})";
         }
         return profile(files + "]");
       },
       true, ""},
      {"a 1 MiB path", [](C) { return profile(one_file("/" + std::string(1 << 20, 'a'))); }, true, ""},
  };
}

struct Outcome
{
  int rc = 0;
  std::string err;
};

Outcome
run(const test::TestDir& t, const std::string& args)
{
  Outcome o;
  o.rc = test::run_command("env TMPDIR='" + (t / "tmp") + "' '" + test::hostile::whittle_binary() + "' " +
                               args + " 2>'" + (t / "stderr") + "' >/dev/null",
                           nullptr, false);
  o.err = test::read_file(t / "stderr");
  return o;
}

std::string
tree_listing(const std::string& dir)
{
  std::string out;
  test::run_command("cd '" + dir +
                        "' && find . -printf '%p %y %m %s\\n' | LC_ALL=C sort && find . -type f "
                        "-exec sha256sum {} + | LC_ALL=C sort",
                    &out, false);
  return out;
}

} // namespace

TEST_CASE("hostile profiles: profile merge and build refuse them cleanly or keep only image files",
          "[hostile]")
{
  std::string app = test::read_file(test::hostile::tracee_binary());
  for (const auto& pc : profile_cases()) {
    DYNAMIC_SECTION(pc.name)
    {
      test::TestDir t;
      std::string canary = t / "canary";
      test::hostile::write_canary(canary);
      ::mkdir((t / "tmp").c_str(), 0755);
      ::mkdir((t / "out").c_str(), 0755);
      test::hostile::write_base_image(t / "img", app);
      test::write_file(t / "profile.json", pc.text(canary));
      std::string canary_before = tree_listing(canary);

      auto check = [&](const std::string& what, const Outcome& o) {
        std::printf("hostile profile: %-40.40s %-6s exit %d %.160s\n", pc.name.c_str(), what.c_str(), o.rc,
                    o.err.substr(0, o.err.find('\n')).c_str());
        INFO(what << ": exit " << o.rc << "\nstderr: " << o.err.substr(0, 4000));
        CHECK(o.rc == (pc.valid ? 0 : 1));
        CHECK_THAT(o.err, !Catch::Contains("AddressSanitizer") && !Catch::Contains("runtime error:") &&
                              !Catch::Contains("terminate called"));
        CHECK(o.err.find('\x1b') == std::string::npos);
        if (o.rc == 1) {
          CHECK_THAT(o.err, Catch::StartsWith("whittle: error:") && Catch::Contains("profile.json"));
          CHECK_THAT(o.err, Catch::Contains(pc.mention));
        }
        CHECK(tree_listing(canary) == canary_before);
        std::string left;
        test::run_command("ls -A '" + (t / "tmp") + "'", &left, false);
        CHECK(left.empty());
      };

      std::string merged = t / "out/merged.json";
      Outcome merge = run(t, "profile merge '" + (t / "profile.json") + "' '" + (t / "profile.json") +
                                 "' -o '" + merged + "' --allow-mixed");
      check("merge", merge);
      CHECK(test::path_exists(merged) == (merge.rc == 0));

      std::string built = t / "out/build";
      Outcome build = run(t, "build oci:" + (t / "img") + ":latest --profile '" + (t / "profile.json") +
                                 "' -o oci:" + built + ":slim --artifacts '" + (t / "out/art") + "'");
      check("build", build);
      CHECK(test::path_exists(built) == (build.rc == 0));
      CHECK(test::path_exists(t / "out/art") == (build.rc == 0));
      if (build.rc == 0) {
        CHECK_FALSE(test::hostile::layout_holds_canary(built));
        // The image's own file is kept; nothing the profile names outside the image is.
        Outcome back = run(t, "inspect oci:" + built + ":slim");
        CHECK(back.rc == 0);
        std::string listing;
        test::run_command("for f in '" + built +
                              "'/blobs/sha256/*; do zcat -f \"$f\" 2>/dev/null | tar tf - "
                              "2>/dev/null; done",
                          &listing, false);
        CHECK_THAT(listing, Catch::Contains("etc/os-release"));
        CHECK_THAT(listing,
                   !Catch::Contains("secret") && !Catch::Contains("nope/") && !Catch::Contains("aaaa"));
      }
    }
  }
}
