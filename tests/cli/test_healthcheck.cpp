// The image's HEALTHCHECK in the trace options (CMD, CMD-SHELL through the image's shell, NONE, the
// --no-healthcheck flag) and in verify's comparison of two runs.
#include <catch2/catch.hpp>
#include <whittle/cli/trace_options.hpp>

using namespace whittle;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

oci::ImageConfig
config(const json& runtime)
{
  json j = {{"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}, {"config", runtime}};
  return oci::ImageConfig::parse(j.dump(), "config");
}

json
base_runtime()
{
  return {{"Entrypoint", {"/usr/sbin/nginx"}}, {"Env", {"PATH=/usr/bin:/bin"}}};
}

trace::Profile
profile_with(std::vector<trace::ProbeResult> probes)
{
  trace::Profile p;
  trace::RunRecord run;
  run.exit_code = -1;
  run.signal = 15;
  run.probes = std::move(probes);
  p.runs.push_back(run);
  return p;
}

trace::ProbeResult
health(bool ok, int status)
{
  trace::ProbeResult r;
  r.kind = "healthcheck";
  r.target = "CMD [\"curl\",\"-f\",\"http://127.0.0.1/\"]";
  r.ok = ok;
  r.status = status;
  return r;
}

} // namespace

TEST_CASE("cli::healthcheck_probe: CMD exec'd as it stands, CMD-SHELL under the image's shell", "[cli]")
{
  SECTION("CMD")
  {
    json rt = base_runtime();
    rt["Healthcheck"] = {{"Test", {"CMD", "curl", "-f", "http://127.0.0.1/"}},
                         {"Interval", 30000000000LL},
                         {"Timeout", 1500000}, // 1.5 ms: rounded up, never to "unset"
                         {"StartPeriod", 5000000000LL},
                         {"StartInterval", 1000000000LL},
                         {"Retries", 4}};
    auto h = cli::healthcheck_probe(config(rt));
    REQUIRE(h);
    CHECK(h->argv == std::vector<std::string>{"curl", "-f", "http://127.0.0.1/"});
    CHECK(h->target == R"(CMD ["curl","-f","http://127.0.0.1/"])");
    CHECK(h->interval == milliseconds(30000));
    CHECK(h->timeout == milliseconds(2));
    CHECK(h->start_period == milliseconds(5000));
    CHECK(h->start_interval == milliseconds(1000));
    CHECK(h->retries == 4);
  }
  SECTION("CMD-SHELL goes through /bin/sh -c")
  {
    json rt = base_runtime();
    rt["Healthcheck"] = {{"Test", {"CMD-SHELL", "curl -f http://127.0.0.1/ || exit 1"}}};
    auto h = cli::healthcheck_probe(config(rt));
    REQUIRE(h);
    CHECK(h->argv == std::vector<std::string>{"/bin/sh", "-c", "curl -f http://127.0.0.1/ || exit 1"});
    CHECK(h->target == "CMD-SHELL curl -f http://127.0.0.1/ || exit 1");
    CHECK(h->interval == milliseconds(0));
    CHECK(h->retries == 0);
  }
  SECTION("CMD-SHELL under the image's SHELL")
  {
    json rt = base_runtime();
    rt["Shell"] = {"/bin/bash", "-o", "pipefail", "-c"};
    rt["Healthcheck"] = {{"Test", {"CMD-SHELL", "curl -f http://127.0.0.1/ | grep ok"}}};
    auto h = cli::healthcheck_probe(config(rt));
    REQUIRE(h);
    CHECK(h->argv == std::vector<std::string>{"/bin/bash", "-o", "pipefail", "-c",
                                              "curl -f http://127.0.0.1/ | grep ok"});
  }
  SECTION("NONE, an empty test and no healthcheck: nothing")
  {
    json none = base_runtime();
    none["Healthcheck"] = {{"Test", {"NONE"}}, {"Interval", 1000000000}};
    CHECK(!cli::healthcheck_probe(config(none)));
    json empty = base_runtime();
    empty["Healthcheck"] = {{"Test", json::array()}};
    CHECK(!cli::healthcheck_probe(config(empty)));
    CHECK(!cli::healthcheck_probe(config(base_runtime())));
  }
}

TEST_CASE("cli::parse_trace_options runs the healthcheck unless NONE or --no-healthcheck", "[cli]")
{
  json rt = base_runtime();
  rt["Healthcheck"] = {{"Test", {"CMD", "curl", "-f", "http://127.0.0.1/"}}};
  cli::ParsedArgs args;
  SECTION("a healthcheck is a probe: the run stops once it has passed")
  {
    auto o = cli::parse_trace_options(args, config(rt));
    REQUIRE(o.healthcheck);
    CHECK(o.healthcheck->argv.at(0) == "curl");
    CHECK(o.continue_after == trace::ContinueAfter::probes);
  }
  SECTION("--no-healthcheck skips it")
  {
    args.values["--no-healthcheck"] = {""};
    auto o = cli::parse_trace_options(args, config(rt));
    CHECK(!o.healthcheck);
    CHECK(o.continue_after == trace::ContinueAfter::exit);
  }
  SECTION("NONE changes nothing")
  {
    json none = base_runtime();
    none["Healthcheck"] = {{"Test", {"NONE"}}};
    auto o = cli::parse_trace_options(args, config(none));
    auto plain = cli::parse_trace_options(args, config(base_runtime()));
    CHECK(!o.healthcheck);
    CHECK(o.continue_after == plain.continue_after);
    CHECK(o.continue_after == trace::ContinueAfter::exit);
    CHECK(o.sandbox.argv == plain.sandbox.argv);
  }
  SECTION("--continue-after probes is refused without any probe, accepted with a healthcheck")
  {
    args.values["--continue-after"] = {"probes"};
    CHECK_NOTHROW(cli::parse_trace_options(args, config(rt)));
    CHECK_THROWS_WITH(cli::parse_trace_options(args, config(base_runtime())), Catch::Contains("HEALTHCHECK"));
  }
}

TEST_CASE("slim::compare_runs fails verify when the healthcheck fails in the slimmed run", "[cli]")
{
  SECTION("passed in both: no difference")
  {
    auto v = slim::compare_runs(profile_with({health(true, 0)}), profile_with({health(true, 0)}));
    CHECK(v.ok);
    CHECK(v.differences.empty());
  }
  SECTION("passed in the original, failed in the slimmed image")
  {
    auto v = slim::compare_runs(profile_with({health(true, 0)}), profile_with({health(false, 127)}));
    CHECK(!v.ok);
    REQUIRE(v.differences.size() == 1);
    CHECK(v.differences[0].find("healthcheck CMD [\"curl\"") != std::string::npos);
    CHECK(v.differences[0].find("status 127") != std::string::npos);
    CHECK(v.differences[0].find("passed in the original") != std::string::npos);
  }
  SECTION("failed in both: still a failure, naming the way out")
  {
    auto v = slim::compare_runs(profile_with({health(false, 1)}), profile_with({health(false, 1)}));
    CHECK(!v.ok);
    REQUIRE(v.differences.size() == 1);
    CHECK(v.differences[0].find("failed in the original too") != std::string::npos);
    CHECK(v.differences[0].find("--no-healthcheck") != std::string::npos);
  }
  SECTION("missing in the slimmed run (the app ended first): a difference")
  {
    auto v = slim::compare_runs(profile_with({health(true, 0)}), profile_with({}));
    CHECK(!v.ok);
  }
  SECTION("other probes are compared as before")
  {
    trace::ProbeResult e;
    e.kind = "exec";
    e.target = "true";
    e.ok = true;
    trace::ProbeResult e2 = e;
    e2.ok = false;
    e2.status = 1;
    auto v = slim::compare_runs(profile_with({e, health(true, 0)}), profile_with({e2, health(true, 0)}));
    REQUIRE(v.differences.size() == 1);
    CHECK(v.differences[0].find("probe true: status 0 -> 1") != std::string::npos);
  }
}
