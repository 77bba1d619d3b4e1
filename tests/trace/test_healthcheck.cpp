// The image's HEALTHCHECK as a probe of the traced run: its schedule, and in the sandbox under the tracer,
// its files recorded apart (CMD exec'd directly, a shell command through /bin/sh), retried until the app is
// ready, failed and timed out checks.
#include "trace_fixture.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <whittle/trace/healthcheck.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using Lines = std::vector<std::string>;
using std::chrono::milliseconds;

namespace {

// The "path:access" lines of a probe's files.
Lines
probe_lines(const trace::ProbeResult& probe)
{
  trace::Profile only;
  for (const auto& f : probe.files) {
    only.files[f.path] = f;
  }
  return test::file_lines(only);
}

trace::HealthcheckProbe
check(std::vector<std::string> argv, std::string target)
{
  trace::HealthcheckProbe h;
  h.argv = std::move(argv);
  h.target = std::move(target);
  return h;
}

} // namespace

TEST_CASE("trace::healthcheck_schedule: docker's meaning, a trace's waits", "[trace]")
{
  trace::HealthcheckProbe h;
  SECTION("unset fields: docker's timeout and retries, a quick gap, the probe patience as start window")
  {
    auto s = trace::healthcheck_schedule(h, milliseconds(30000));
    CHECK(s.attempt_timeout == milliseconds(30000));
    CHECK(s.gap == milliseconds(250));
    CHECK(s.window == milliseconds(30000));
    CHECK(s.retries == 3);
  }
  SECTION("the image's values: a 30 s interval is not waited for, a longer start period is")
  {
    h.interval = milliseconds(30000);
    h.start_interval = milliseconds(5000);
    h.timeout = milliseconds(2000);
    h.start_period = milliseconds(90000);
    h.retries = 5;
    auto s = trace::healthcheck_schedule(h, milliseconds(30000));
    CHECK(s.attempt_timeout == milliseconds(2000));
    CHECK(s.gap == milliseconds(250));
    CHECK(s.window == milliseconds(90000));
    CHECK(s.retries == 5);
  }
  SECTION("a shorter interval is used, down to 10 ms")
  {
    h.interval = milliseconds(100);
    CHECK(trace::healthcheck_schedule(h, milliseconds(0)).gap == milliseconds(100));
    h.start_interval = milliseconds(1);
    CHECK(trace::healthcheck_schedule(h, milliseconds(0)).gap == milliseconds(10));
  }
}

TEST_CASE("trace: the image's HEALTHCHECK runs as a probe in the sandbox", "[ptrace]")
{
  if (!test::have_root_sandbox()) {
    test::skip("healthcheck tests need root, namespaces and ptrace");
    return;
  }
  test::TestDir dir;
  SECTION("CMD is exec'd directly (found on PATH, no shell) and its files are kept apart")
  {
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.healthcheck = check({"tracee", "open", "/data/b.txt"}, R"(CMD ["tracee","open","/data/b.txt"])");
      o.continue_after = trace::ContinueAfter::probes;
    });
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(run.probes[0].kind == "healthcheck");
    CHECK(run.probes[0].target == R"(CMD ["tracee","open","/data/b.txt"])");
    CHECK(run.probes[0].ok);
    CHECK(run.probes[0].status == 0);
    CHECK(probe_lines(run.probes[0]) == Lines{"/:dir", "/bin/tracee:read,exec", "/data/b.txt:read"});
    CHECK(test::file_lines(out.profile) == Lines{"/:dir", "/bin/tracee:read,exec"});
    CHECK(run.signal == SIGTERM); // stopped once the healthcheck passed
    CHECK(!out.timed_out);
  }
  SECTION("CMD-SHELL's argv runs through the image's /bin/sh")
  {
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.healthcheck = check({"/bin/sh", "-c", "open /data/b.txt"}, "CMD-SHELL open /data/b.txt");
      o.continue_after = trace::ContinueAfter::probes;
    });
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(run.probes[0].ok);
    CHECK(probe_lines(run.probes[0]) ==
          Lines{"/:dir", "/bin/sh:stat->tracee", "/bin/tracee:read,exec", "/data/b.txt:read"});
  }
  SECTION("after exec probes, with files of its own")
  {
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.exec_probes = {"open /data/a.txt"};
      o.healthcheck = check({"/bin/tracee", "open", "/data/sub/c.txt"}, "CMD [...]");
      o.continue_after = trace::ContinueAfter::probes;
    });
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 2);
    CHECK(run.probes[0].kind == "exec");
    CHECK(run.probes[1].kind == "healthcheck");
    CHECK(probe_lines(run.probes[0]) ==
          Lines{"/:dir", "/bin/sh:stat->tracee", "/bin/tracee:read,exec", "/data/a.txt:read"});
    CHECK(probe_lines(run.probes[1]) == Lines{"/:dir", "/bin/tracee:read,exec", "/data/sub/c.txt:read"});
  }
  SECTION("retried quickly until the app is ready, then passes; every attempt's files are united")
  {
    auto start = std::chrono::steady_clock::now();
    auto out = test::trace_tracee(dir, {"ready-after", "1200", "/tmp/ready"}, [](trace::TraceOptions& o) {
      o.healthcheck = check({"tracee", "open", "/tmp/ready"}, "CMD [...]");
      o.healthcheck->interval = milliseconds(30000); // docker's default: not waited for
      o.continue_after = trace::ContinueAfter::probes;
    });
    auto took = std::chrono::steady_clock::now() - start;
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(run.probes[0].ok);
    CHECK(run.probes[0].status == 0);
    // Missing at first, read at the end: the lines of several attempts.
    CHECK(probe_lines(run.probes[0]) == Lines{"/:dir", "/bin/tracee:read,exec", "/tmp/ready:read,missing"});
    CHECK(took >= milliseconds(1200));
    CHECK(took < std::chrono::seconds(10));
  }
  SECTION("a check that keeps failing fails after the window and the retries")
  {
    auto start = std::chrono::steady_clock::now();
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.healthcheck = check({"tracee", "open", "/data/missing.txt"}, "CMD [...]");
      o.probe_patience = milliseconds(800);
      o.continue_after = trace::ContinueAfter::probes;
    });
    auto took = std::chrono::steady_clock::now() - start;
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(run.probes[0].kind == "healthcheck");
    CHECK(!run.probes[0].ok);
    CHECK(run.probes[0].status == 1);
    CHECK(probe_lines(run.probes[0]) == Lines{"/:dir", "/bin/tracee:read,exec", "/data/missing.txt:missing"});
    CHECK(took >= milliseconds(800));
    CHECK(took < std::chrono::seconds(10));
  }
  SECTION("a program that is not in the image fails with 127")
  {
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.healthcheck = check({"curl", "-f", "http://127.0.0.1/"}, "CMD [...]");
      o.probe_patience = milliseconds(0);
      o.healthcheck->retries = 1;
      o.continue_after = trace::ContinueAfter::probes;
    });
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(!run.probes[0].ok);
    CHECK(run.probes[0].status == 127);
  }
  SECTION("a check that hangs is cut at its Timeout and counts as failed (-1)")
  {
    auto start = std::chrono::steady_clock::now();
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.healthcheck = check({"tracee", "spin"}, "CMD [...]");
      o.healthcheck->timeout = milliseconds(300);
      o.healthcheck->retries = 2;
      o.probe_patience = milliseconds(0);
      o.continue_after = trace::ContinueAfter::probes;
    });
    auto took = std::chrono::steady_clock::now() - start;
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(!run.probes[0].ok);
    CHECK(run.probes[0].status == -1);
    CHECK(took >= milliseconds(600));
    CHECK(took < std::chrono::seconds(10));
  }
  SECTION("without a healthcheck nothing runs, and the app runs to its end")
  {
    auto out = test::trace_tracee(dir, {"open", "/data/a.txt"});
    CHECK(out.profile.runs.at(0).probes.empty());
    CHECK(out.profile.runs.at(0).exit_code == 0);
  }
  SECTION("a command too long for the sandbox is refused before the app starts")
  {
    CHECK_THROWS_AS(
        test::trace_tracee(dir, {"spin"},
                           [](trace::TraceOptions& o) {
                             o.healthcheck = check({"/bin/sh", "-c", std::string(3000, 'x')}, "x");
                           }),
        BadInput);
  }
}

TEST_CASE("trace: a healthcheck probe survives the profile's JSON", "[trace]")
{
  trace::Profile p;
  trace::RunRecord run;
  trace::ProbeResult probe;
  probe.kind = "healthcheck";
  probe.target = "CMD-SHELL curl -f http://localhost/ || exit 1";
  probe.status = 0;
  probe.ok = true;
  probe.files = {{"/usr/bin/curl", static_cast<uint16_t>(trace::Access::exec), ""}};
  run.probes.push_back(probe);
  p.runs.push_back(run);
  trace::Profile back = trace::parse_profile(trace::serialize_profile(p), "profile");
  REQUIRE(back.runs.at(0).probes.size() == 1);
  const auto& b = back.runs[0].probes[0];
  CHECK(b.kind == "healthcheck");
  CHECK(b.target == probe.target);
  CHECK(b.ok);
  REQUIRE(b.files.size() == 1);
  CHECK(b.files[0].path == "/usr/bin/curl");
}
