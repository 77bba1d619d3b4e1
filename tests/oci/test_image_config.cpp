// The runtime fields of the image config that slim carries over and checks: HEALTHCHECK, Shell, OnBuild.
#include <catch2/catch.hpp>
#include <whittle/oci/image_config.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::oci;
using nlohmann::json;

namespace {

ImageConfig
with_config(const json& config)
{
  json j = {{"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}, {"config", config}};
  return ImageConfig::parse(j.dump(), "config");
}

} // namespace

TEST_CASE("oci::ImageConfig::healthcheck reads CMD and CMD-SHELL with docker's fields", "[oci]")
{
  ImageConfig c = with_config({{"Healthcheck",
                                {{"Test", {"CMD", "curl", "-f", "http://localhost/"}},
                                 {"Interval", 30000000000LL},
                                 {"Timeout", 3000000000LL},
                                 {"StartPeriod", 5000000000LL},
                                 {"StartInterval", 1000000000LL},
                                 {"Retries", 4}}}});
  auto h = c.healthcheck();
  REQUIRE(h);
  CHECK(h->test == std::vector<std::string>{"CMD", "curl", "-f", "http://localhost/"});
  CHECK(!h->shell());
  CHECK(h->interval_ns == 30000000000LL);
  CHECK(h->timeout_ns == 3000000000LL);
  CHECK(h->start_period_ns == 5000000000LL);
  CHECK(h->start_interval_ns == 1000000000LL);
  CHECK(h->retries == 4);

  auto s = with_config({{"Healthcheck", {{"Test", {"CMD-SHELL", "pg_isready || exit 1"}}}}}).healthcheck();
  REQUIRE(s);
  CHECK(s->shell());
  CHECK(s->test[1] == "pg_isready || exit 1");
  CHECK(s->interval_ns == 0); // unset: the runtime's default
  CHECK(s->retries == 0);
}

TEST_CASE("oci::ImageConfig::healthcheck: NONE, an empty test and none at all mean no healthcheck", "[oci]")
{
  CHECK(!with_config({{"Healthcheck", {{"Test", {"NONE"}}}}}).healthcheck());
  CHECK(!with_config({{"Healthcheck", {{"Test", json::array()}}}}).healthcheck());
  CHECK(!with_config({{"Healthcheck", {{"Interval", 1}}}}).healthcheck());
  CHECK(!with_config({{"Healthcheck", nullptr}}).healthcheck());
  CHECK(!with_config({{"Cmd", {"x"}}}).healthcheck());
  CHECK(!with_config(json::object()).healthcheck());
}

TEST_CASE("oci::ImageConfig refuses a healthcheck docker would refuse", "[oci]")
{
  auto bad = [](const json& hc, const std::string& needle) {
    INFO(hc.dump());
    CHECK_THROWS_AS(with_config({{"Healthcheck", hc}}), BadInput);
    CHECK_THROWS_WITH(with_config({{"Healthcheck", hc}}), Catch::Contains(needle));
  };
  bad("curl", "config.Healthcheck");
  bad({{"Test", "CMD-SHELL true"}}, "config.Healthcheck.Test");
  bad({{"Test", {"CMD"}}}, "config.Healthcheck.Test");
  bad({{"Test", {"CMD-SHELL"}}}, "config.Healthcheck.Test");
  bad({{"Test", {"NONE", "x"}}}, "config.Healthcheck.Test");
  bad({{"Test", {"SHELL", "true"}}}, "config.Healthcheck.Test");
  bad({{"Test", {"CMD", 1}}}, "config.Healthcheck.Test");
  bad({{"Test", {"CMD", "true"}}, {"Interval", "30s"}}, "config.Healthcheck.Interval");
  bad({{"Test", {"CMD", "true"}}, {"Timeout", -1}}, "config.Healthcheck.Timeout");
  bad({{"Test", {"CMD", "true"}}, {"Retries", 1.5}}, "config.Healthcheck.Retries");
  bad({{"Test", {"CMD", "true"}}, {"StartPeriod", true}}, "config.Healthcheck.StartPeriod");
  CHECK_THROWS_WITH(with_config({{"Shell", "/bin/bash"}}), Catch::Contains("config.Shell"));
  CHECK_THROWS_WITH(with_config({{"OnBuild", {1}}}), Catch::Contains("config.OnBuild"));
}

TEST_CASE("oci::ImageConfig Shell and OnBuild", "[oci]")
{
  CHECK(with_config(json::object()).shell() == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK(with_config({{"Shell", {"/bin/bash", "-eo", "pipefail", "-c"}}}).shell() ==
        std::vector<std::string>{"/bin/bash", "-eo", "pipefail", "-c"});
  ImageConfig c = with_config({{"OnBuild", {"RUN make", "COPY . /src"}}, {"Cmd", {"x"}}});
  CHECK(c.on_build() == std::vector<std::string>{"RUN make", "COPY . /src"});
  c.clear_on_build();
  CHECK(c.on_build().empty());
  CHECK(!c.raw["config"].contains("OnBuild"));
  CHECK(c.cmd() == std::vector<std::string>{"x"});
  ImageConfig none = ImageConfig::parse(R"({"rootfs":{"type":"layers","diff_ids":[]}})", "config");
  none.clear_on_build(); // nothing to drop: no config object is made up
  CHECK(!none.raw.contains("config"));
}
