// Probes: an HTTP GET from inside the sandbox's network namespace, and a command run inside the sandbox
// whose files are recorded apart.
#include "trace_fixture.hpp"

#include <whittle/trace/http_probe.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/sha256.hpp>

#include <catch2/catch.hpp>
#include <csignal>

using namespace whittle;
using Lines = std::vector<std::string>;

TEST_CASE("trace::parse_http_url", "[trace]")
{
  auto u = trace::parse_http_url("http://127.0.0.1:8080/health?x=1");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 8080);
  CHECK(u.path == "/health?x=1");
  CHECK(trace::parse_http_url("http://localhost").port == 80);
  CHECK(trace::parse_http_url("http://localhost").path == "/");
  CHECK_THROWS_AS(trace::parse_http_url("https://127.0.0.1/"), UsageError);
  CHECK_THROWS_AS(trace::parse_http_url("http://example.com/"), UsageError);
  CHECK_THROWS_AS(trace::parse_http_url("http://127.0.0.1:0/"), UsageError);
}

TEST_CASE("trace: HTTP and exec probes", "[ptrace]")
{
  if (!test::have_root_sandbox()) {
    test::skip("probe tests need root, namespaces and ptrace");
    return;
  }
  test::TestDir dir;
  SECTION("HTTP probe waits for the app, then the app is stopped")
  {
    auto out = test::trace_tracee(dir, {"serve", "8080"}, [](trace::TraceOptions& o) {
      o.http_probes = {"http://127.0.0.1:8080/"};
      o.continue_after = trace::ContinueAfter::probes;
    });
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(run.probes[0].kind == "http");
    CHECK(run.probes[0].ok);
    CHECK(run.probes[0].status == 200);
    CHECK(run.probes[0].body_sha256 == util::sha256_hex("hello"));
    CHECK(run.signal == SIGTERM);
    CHECK(!out.timed_out);
    CHECK(test::file_lines(out.profile) == Lines{"/:dir", "/bin/tracee:read,exec", "/data/a.txt:read"});
  }
  SECTION("an unanswered probe is recorded as failed")
  {
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.http_probes = {"http://127.0.0.1:9/"};
      o.continue_after = trace::ContinueAfter::probes;
      o.probe_patience = std::chrono::milliseconds(600);
    });
    REQUIRE(out.profile.runs.at(0).probes.size() == 1);
    CHECK(!out.profile.runs.at(0).probes[0].ok);
  }
  SECTION("exec probe files are kept apart")
  {
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.exec_probes = {"open /data/b.txt"};
      o.continue_after = trace::ContinueAfter::probes;
    });
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(run.probes[0].kind == "exec");
    CHECK(run.probes[0].ok);
    CHECK(run.probes[0].status == 0);
    trace::Profile probe_only;
    for (const auto& f : run.probes[0].files) {
      probe_only.files[f.path] = f;
    }
    CHECK(test::file_lines(probe_only) == Lines{"/:dir", "/bin/sh:stat->tracee", "/bin/tracee:read,exec", "/data/b.txt:read"});
    CHECK(test::file_lines(out.profile) == Lines{"/:dir", "/bin/tracee:read,exec"});
  }
  SECTION("continue for a number of seconds")
  {
    auto start = std::chrono::steady_clock::now();
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      trace::parse_continue_after("0.5", o);
    });
    CHECK(!out.timed_out);
    CHECK(out.profile.runs.at(0).signal == SIGTERM);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  }
}
