// verify's comparison of two runs (a slim concept; cli only prints it).
#include <catch2/catch.hpp>
#include <whittle/slim/run_compare.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

trace::Profile
run(int exit_code, const std::string& out, std::vector<trace::ProbeResult> probes = {})
{
  trace::Profile p;
  p.runs.resize(1);
  p.runs[0].exit_code = exit_code;
  p.runs[0].stdout_sha256 = out;
  p.runs[0].probes = std::move(probes);
  return p;
}

trace::ProbeResult
probe(int status, const std::string& body)
{
  trace::ProbeResult r;
  r.kind = "http";
  r.target = "http://127.0.0.1:8080/";
  r.status = status;
  r.ok = status == 200;
  r.body_sha256 = body;
  return r;
}

} // namespace

TEST_CASE("slim::compare_runs: exit status, stdout, probes; what the slimmed run missed", "[slim][verify]")
{
  trace::Profile a = run(0, "aaaa", {probe(200, "b1")});
  a.add("/etc/app.conf", trace::Access::read);
  a.add("/usr/lib/locale/C.utf8", trace::Access::missing);
  trace::Profile same = run(0, "aaaa", {probe(200, "b1")});
  same.add("/etc/app.conf", trace::Access::missing); // not compared when the runs agree
  VerifyOutcome ok = compare_runs(a, same);
  CHECK(ok.ok);
  CHECK(ok.differences.empty());
  CHECK(ok.not_found.empty());
  CHECK(ok.missing.empty());

  trace::Profile b = run(1, "bbbb", {probe(404, "b2")});
  b.add("/etc/app.conf", trace::Access::missing);
  b.add("/usr/lib/locale/C.utf8", trace::Access::missing);
  b.add("/usr/bin/sleep", trace::Access::missing);
  VerifyOutcome v = compare_runs(a, b);
  CHECK_FALSE(v.ok);
  CHECK(v.differences == std::vector<std::string>{"exit status 0/signal 0 -> 1/signal 0",
                                                  "stdout differs (sha256 aaaa -> bbbb)",
                                                  "probe http://127.0.0.1:8080/: status 200 -> 404",
                                                  "probe http://127.0.0.1:8080/: body differs"});
  CHECK(v.not_found == std::vector<std::string>{"/etc/app.conf"}); // what the original found
  CHECK(v.missing ==
        std::vector<std::string>{"/etc/app.conf", "/usr/bin/sleep", "/usr/lib/locale/C.utf8"}); // all of it

  CHECK_FALSE(compare_runs(a, run(0, "aaaa")).ok); // a probe fewer
  CHECK_FALSE(compare_runs(a, trace::Profile{}).ok);
}
