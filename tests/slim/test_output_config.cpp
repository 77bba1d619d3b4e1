// The slimmed image's config: every runtime field of the original carried over, OnBuild dropped (and said
// so), whittle's user and labels added; checked on the function and on the config written to disk.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <whittle/oci/image.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/rewrite.hpp>

using namespace whittle;
using namespace whittle::slim;
using nlohmann::json;

namespace {

const std::string k_diff = "sha256:" + std::string(64, 'a');

// A config that sets every runtime field docker and podman write, and one whittle does not know.
json
full_runtime_config()
{
  return {
      {"User", "root"},
      {"Entrypoint", {"/docker-entrypoint.sh"}},
      {"Cmd", {"nginx", "-g", "daemon off;"}},
      {"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.25.3"}},
      {"WorkingDir", "/srv/www"},
      {"ExposedPorts", {{"80/tcp", json::object()}, {"443/tcp", json::object()}}},
      {"Volumes", {{"/var/cache/nginx", json::object()}, {"/data", json::object()}}},
      {"Labels", {{"maintainer", "NGINX <docker-maint@nginx.com>"}, {"org.example.tier", "web"}}},
      {"StopSignal", "SIGQUIT"},
      {"Healthcheck",
       {{"Test", {"CMD-SHELL", "curl -fsS http://127.0.0.1/ || exit 1"}},
        {"Interval", 10000000000LL},
        {"Timeout", 2000000000LL},
        {"StartPeriod", 3000000000LL},
        {"StartInterval", 500000000LL},
        {"Retries", 5}}},
      {"Shell", {"/bin/bash", "-c"}},
      {"OnBuild", {"COPY . /srv/www", "RUN make"}},
      {"ArgsEscaped", true},
  };
}

oci::ImageConfig
full_config()
{
  json j = {{"architecture", "amd64"},
            {"os", "linux"},
            {"created", "2024-05-01T00:00:00Z"},
            {"author", "someone"},
            {"config", full_runtime_config()},
            {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + std::string(64, '1')}}}},
            {"history", {{{"created_by", "ADD rootfs.tar /"}}}}};
  return oci::ImageConfig::parse(j.dump(), "full config");
}

ImageOptions
options(bool change_user)
{
  ImageOptions io;
  io.source_date_epoch = 1650000000;
  if (change_user) {
    io.user.user = "65532:65532";
    io.user.changed = true;
    io.user.non_root = true;
  }
  io.labels = {{"io.whittle.read-only-rootfs", "true"},
               {"io.whittle.writable-paths", "/var/cache/nginx"},
               {"org.opencontainers.image.base.name", "oci:/src:latest"},
               // An equal key: whittle's value wins.
               {"org.example.tier", "web-slim"}};
  io.history_created_by = "whittle: kept 10 of 100 paths";
  io.history_comment = "removed by reason: not-traced 90";
  return io;
}

// Every field of the original's runtime config against the output's, by name: the same, except User
// (the plan's), Labels (the original's plus whittle's) and OnBuild (gone).
void
check_carried_over(const oci::ImageConfig& out, const ImageOptions& io)
{
  const json in = full_runtime_config();
  REQUIRE(out.raw.contains("config"));
  const json& c = out.raw["config"];
  for (const char* key : {"Entrypoint", "Cmd", "Env", "WorkingDir", "ExposedPorts", "Volumes", "StopSignal",
                          "Healthcheck", "Shell", "ArgsEscaped"}) {
    INFO(key);
    REQUIRE(c.contains(key));
    CHECK(c[key] == in[key]);
  }
  CHECK(!c.contains("OnBuild"));
  CHECK(c["User"] == (io.user.changed ? json(io.user.user) : in["User"]));
  json labels = in["Labels"];
  for (const auto& [k, v] : io.labels) {
    labels[k] = v;
  }
  CHECK(c["Labels"] == labels);
  CHECK(c["Labels"]["maintainer"] == "NGINX <docker-maint@nginx.com>");
  CHECK(c["Labels"]["org.example.tier"] == "web-slim");
  // No field appears that the original did not have.
  for (const auto& [k, v] : c.items()) {
    INFO(k);
    CHECK(in.contains(k));
  }
  // The accessors read the same values back.
  CHECK(out.entrypoint() == std::vector<std::string>{"/docker-entrypoint.sh"});
  CHECK(out.working_dir() == "/srv/www");
  CHECK(out.exposed_ports() == std::vector<std::string>{"443/tcp", "80/tcp"});
  auto hc = out.healthcheck();
  REQUIRE(hc);
  CHECK(hc->test == std::vector<std::string>{"CMD-SHELL", "curl -fsS http://127.0.0.1/ || exit 1"});
  CHECK(hc->retries == 5);
  CHECK(out.shell() == std::vector<std::string>{"/bin/bash", "-c"});
  // Outside "config": platform, author and created as they were; one diff_id; history plus whittle's.
  CHECK(out.raw["architecture"] == "amd64");
  CHECK(out.raw["os"] == "linux");
  CHECK(out.raw["author"] == "someone");
  CHECK(out.raw["created"] == "2024-05-01T00:00:00Z");
  REQUIRE(out.diff_ids().size() == 1);
  auto h = out.history();
  REQUIRE(h.size() == 2);
  CHECK(h[0].created_by == "ADD rootfs.tar /");
  CHECK(h[0].empty_layer);
  CHECK(h[1].created_by == io.history_created_by);
  CHECK(h[1].comment == io.history_comment);
  CHECK(h[1].created == "2022-04-15T05:20:00Z");
  CHECK(!h[1].empty_layer);
}

} // namespace

TEST_CASE("slim::output_config carries every runtime field over and drops OnBuild", "[slim]")
{
  oci::ImageConfig src = full_config();
  oci::Digest diff = oci::Digest::parse(k_diff);
  SECTION("user changed to non-root")
  {
    ImageOptions io = options(true);
    oci::ImageConfig out = output_config(src, diff, io);
    check_carried_over(out, io);
    CHECK(out.user() == "65532:65532");
    CHECK(out.diff_ids()[0].str() == k_diff);
  }
  SECTION("user kept")
  {
    ImageOptions io = options(false);
    oci::ImageConfig out = output_config(src, diff, io);
    check_carried_over(out, io);
    CHECK(out.user() == "root");
  }
  SECTION("the source is not changed")
  {
    output_config(src, diff, options(true));
    CHECK(src.on_build().size() == 2);
    CHECK(src.user() == "root");
  }
}

TEST_CASE("slim::config_notes says that OnBuild was dropped, and nothing otherwise", "[slim]")
{
  auto notes = config_notes(full_config());
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("OnBuild") != std::string::npos);
  CHECK(notes[0].find("2 trigger(s)") != std::string::npos);
  CHECK(notes[0].find("`RUN make`") != std::string::npos);
  oci::ImageConfig plain = full_config();
  plain.clear_on_build();
  CHECK(config_notes(plain).empty());
}

TEST_CASE("slim::write_image writes the carried-over config", "[slim]")
{
  test::TestDir t;
  test::FixtureImage img;
  img.layers = {{test::dir("bin"), test::file("bin/app", "app", 0755)}};
  std::string src_dir = t / "src";
  test::write_oci_layout(img, src_dir);
  oci::Image image = oci::open_image(oci::parse_reference("oci:" + src_dir + ":latest"));
  std::string root = t / "root";
  ::mkdir(root.c_str(), 0755);
  rootfs::ApplyOptions ao;
  ao.extract_to = root;
  rootfs::ApplyResult applied = rootfs::apply_layers(image, ao);
  // The config under test replaces the fixture's (its diff_ids are replaced by the new layer's anyway).
  image.config = full_config();
  RootFiles files(root);
  trace::Profile profile;
  profile.add("/bin/app", trace::Access::exec);
  KeepPlan plan = plan_keep_set(applied.tree, files, profile, KeepOptions{});
  LayerOptions lo;
  auto entries = plan_layer(applied.tree, files, plan, lo);
  ImageOptions io = options(true);
  std::string dest = "oci:" + (t / "out") + ":slim";
  write_image(image, entries, files, io, oci::parse_reference(dest, true));
  oci::Image out = oci::open_image(oci::parse_reference(dest));
  check_carried_over(out.config, io);
}
