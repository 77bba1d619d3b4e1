#include "fake_root.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <whittle/archive/tar_reader.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/slim/keep_set.hpp>
#include <whittle/slim/rewrite.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

test::FixtureImage
fixture()
{
  test::FixtureImage img;
  test::FixtureEntry fifo = test::fifo("run/app.fifo");
  img.layers = {
      {test::dir("etc"), test::file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
       test::file("etc/group", "root:x:0:\n"), test::dir("usr"), test::dir("usr/bin"),
       test::file("usr/bin/app", "#!/usr/bin/interp\nrun\n", 0755),
       test::hardlink("usr/bin/app2", "usr/bin/app"), test::symlink("usr/bin/link", "app"),
       test::file("usr/bin/interp", "not elf", 0755), test::file("usr/share/doc/app/README", "docs"),
       test::dir("var"), test::dir("var/log"), test::dir("var/log/app"),
       test::file("var/log/app/old.log", "old"), test::dir("run"), fifo},
      // A second layer replaces a file and deletes another (its bytes must not come back).
      {test::file("usr/bin/interp", "newer interp", 0755), test::file("usr/share/doc/app/.wh.README", "")},
  };
  img.entrypoint = {"/usr/bin/link"};
  img.user = "";
  img.labels = {{"maintainer", "me"}};
  return img;
}

trace::Profile
profile()
{
  trace::Profile p;
  p.add("/usr/bin/link", trace::Access::exec);
  p.add("/usr/bin/app2", trace::Access::read);
  p.add("/run/app.fifo", trace::Access::read);
  p.add("/var/log/app/new.log", trace::Access::create);
  return p;
}

struct Built
{
  oci::Image image;
  rootfs::ApplyResult applied;
};

struct Slimmed
{
  ImageResult result;
  KeepPlan plan;
};

Slimmed
slim_into(const test::TestDir& t, const std::string& name, std::optional<int64_t> sde,
          archive::Compression c = archive::Compression::gzip, std::string dest_ref = "")
{
  if (dest_ref.empty()) {
    dest_ref = "oci:" + (t / name) + ":latest";
  }
  std::string src_dir = t / "src";
  struct stat st;
  if (::stat(src_dir.c_str(), &st) != 0) {
    test::write_oci_layout(fixture(), src_dir);
  }
  oci::Image image = oci::open_image(oci::parse_reference("oci:" + src_dir + ":latest"));
  std::string root = t / ("root-" + name);
  ::mkdir(root.c_str(), 0755);
  rootfs::ApplyOptions ao;
  ao.extract_to = root;
  rootfs::ApplyResult applied = rootfs::apply_layers(image, ao);
  RootFiles files(root);
  KeepOptions ko;
  ko.entrypoint = image.config.entrypoint();
  ko.env = image.config.env();
  ko.rules = read_rules_dir(WHITTLE_PROFILES_DIR);
  Slimmed s;
  s.plan = plan_keep_set(applied.tree, files, profile(), ko);
  LayerOptions lo;
  lo.source_date_epoch = sde;
  lo.user = plan_user(image.config.user(), profile(), UserMode::nonroot);
  auto entries = plan_layer(applied.tree, files, s.plan, lo);
  ImageOptions io;
  io.compression = c;
  io.source_date_epoch = sde;
  io.user = lo.user;
  io.labels = {{"io.whittle.read-only-rootfs", "false"},
               {"org.opencontainers.image.base.digest", image.manifest_digest.str()}};
  io.history_created_by = "whittle build";
  s.result = write_image(image, entries, files, io, oci::parse_reference(dest_ref, true));
  return s;
}

} // namespace

TEST_CASE("slim::plan_user", "[slim]")
{
  trace::Profile p;
  UserPlan u = plan_user("", p, UserMode::nonroot);
  CHECK(u.user == "65532:65532");
  CHECK(u.changed);
  CHECK(u.add_nonroot_entries);
  CHECK(plan_user("root", p, UserMode::keep).user == "root");
  CHECK_FALSE(plan_user("root", p, UserMode::keep).changed);
  CHECK(plan_user("1000:1000", p, UserMode::nonroot).user == "1000:1000");
  CHECK(plan_user("0", p, UserMode::explicit_id, "123").user == "123:123");
  CHECK(plan_user("0", p, UserMode::explicit_id, "123:7").gid == 7);
  CHECK_THROWS_AS(plan_user("0", p, UserMode::explicit_id, "bob"), UsageError);
  trace::RunRecord run;
  run.needs_root = {"bind port 80"};
  p.runs.push_back(run);
  UserPlan kept = plan_user("0:0", p, UserMode::nonroot);
  CHECK_FALSE(kept.changed);
  CHECK(kept.note.find("bind port 80") != std::string::npos);
  CHECK(is_root_user("root:root"));
  CHECK_FALSE(is_root_user("nobody"));
}

TEST_CASE("slim::write_image writes one sorted layer read back by TarReader and tar", "[slim]")
{
  test::TestDir t;
  Slimmed s = slim_into(t, "out", 1650000000);
  oci::Image out = oci::open_image(oci::parse_reference("oci:" + (t / "out") + ":latest"));
  REQUIRE(out.layers.size() == 1);
  CHECK(out.config.user() == "65532:65532");
  CHECK(out.config.labels().at("maintainer") == "me");
  CHECK(out.config.labels().at("io.whittle.read-only-rootfs") == "false");
  CHECK(out.config.entrypoint() == std::vector<std::string>{"/usr/bin/link"});
  CHECK(out.manifest.annotations.count("org.opencontainers.image.base.digest") == 1);
  auto history = out.config.history();
  REQUIRE_FALSE(history.empty());
  CHECK(history.back().created_by == "whittle build");
  CHECK(history.back().created == "2022-04-15T05:20:00Z");

  auto layer = oci::open_layer(out, 0);
  archive::TarReader reader(*layer, "slim layer");
  archive::TarEntry e;
  std::vector<std::string> names;
  std::map<std::string, archive::TarEntry> by_name;
  std::map<std::string, std::string> content;
  while (reader.next(e)) {
    if (e.path.size() > 1 && e.path.back() == '/') {
      e.path.pop_back(); // directories are stored as "dir/"
    }
    names.push_back(e.path);
    by_name[e.path] = e;
    if (e.type == archive::EntryType::regular) {
      content[e.path] = util::read_all(reader.data(), 1 << 20, e.path);
    }
    CHECK(e.mtime <= 1650000000);
  }
  CHECK(std::is_sorted(names.begin(), names.end()));
  // Kept: the traced names, the symlink target, the shebang interpreter (from the upper layer), the fifo.
  CHECK(content.at("usr/bin/app") == "#!/usr/bin/interp\nrun\n");
  CHECK(by_name.at("usr/bin/app2").type == archive::EntryType::hardlink);
  CHECK(by_name.at("usr/bin/app2").link_target == "usr/bin/app");
  CHECK(by_name.at("usr/bin/link").type == archive::EntryType::symlink);
  CHECK(content.at("usr/bin/interp") == "newer interp");
  CHECK(by_name.at("run/app.fifo").type == archive::EntryType::fifo);
  // The nonroot user exists and owns the directory the app wrote into.
  CHECK(content.at("etc/passwd") ==
        "root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n");
  CHECK(content.at("etc/group") == "root:x:0:\nnonroot:x:65532:\n");
  CHECK(by_name.at("var/log/app").uid == 65532);
  // Removed: untraced content and the whited-out file.
  CHECK(by_name.count("var/log/app/old.log") == 0);
  CHECK(by_name.count("usr/share/doc/app/README") == 0);
  CHECK(s.plan.removed.at("/var/log/app/old.log") == "not-traced");

  // An independent reader agrees.
  std::string blob = t / ("out/blobs/sha256/" + out.layers[0].descriptor.digest.hex);
  std::string listing;
  REQUIRE(test::run_command("zcat '" + blob + "' | tar tvf -", &listing) == 0);
  CHECK(listing.find("usr/bin/app2 link to usr/bin/app") != std::string::npos);
  CHECK(listing.find("usr/bin/link -> app") != std::string::npos);
  CHECK(listing.find("65532/65532") != std::string::npos);
  CHECK(listing.find("old.log") == std::string::npos);
}

TEST_CASE("slim::write_image is reproducible", "[slim]")
{
  test::TestDir t;
  Slimmed a = slim_into(t, "a", 1650000000);
  Slimmed b = slim_into(t, "b", 1650000000);
  CHECK(a.result.manifest_digest == b.result.manifest_digest);
  CHECK(a.result.layer.digest == b.result.layer.digest);
  Slimmed z1 = slim_into(t, "z1", std::nullopt, archive::Compression::zstd);
  Slimmed z2 = slim_into(t, "z2", std::nullopt, archive::Compression::zstd);
  CHECK(z1.result.manifest_digest == z2.result.manifest_digest);
  CHECK(z1.result.layer_stats.diff_id == z2.result.layer_stats.diff_id);
  CHECK_FALSE(z1.result.layer.digest == a.result.layer.digest);
}

TEST_CASE("slim::write_image to a docker-archive keeps base.* as labels only", "[slim]")
{
  test::TestDir t;
  std::string ref = "docker-archive:" + (t / "slim.tar") + ":whittle/slim:1";
  slim_into(t, "d", 1650000000, archive::Compression::gzip, ref);
  oci::Image out = oci::open_image(oci::parse_reference(ref));
  REQUIRE(out.layers.size() == 1);
  CHECK(out.config.labels().count("org.opencontainers.image.base.digest") == 1);
  CHECK(out.config.user() == "65532:65532");
  std::string listing;
  REQUIRE(test::run_command("tar tf '" + (t / "slim.tar") + "'", &listing) == 0);
  CHECK(listing.find("manifest.json") != std::string::npos);
}

TEST_CASE("slim::plan_layer gives a new non-root user what the app wrote; tmpfs roots become 1777",
          "[slim][candidates]")
{
  test::FakeRoot root;
  root.dir_node("/var", 0755);
  root.dir_node("/var/lib", 0755);
  root.dir_node("/var/lib/app", 0750);
  root.dir_node("/var/lib/app/cache", 0700);
  root.file("/var/log.txt", "old", 0644);
  root.dir_node("/etc", 0755);
  root.file("/etc/app.conf", "conf", 0644);
  KeepPlan plan;
  for (const auto& p :
       {"/var", "/var/lib", "/var/lib/app", "/var/lib/app/cache", "/var/log.txt", "/etc", "/etc/app.conf"}) {
    plan.keep.add(p, "profile");
  }
  plan.written_dirs = {"/var/lib/app", "/var/lib/app/cache"};
  plan.written_files = {"/var/log.txt"};
  LayerOptions lo;
  lo.user = plan_user("", {}, UserMode::explicit_id, "101:102");
  lo.tmpfs_paths = {"/var/lib/app"};
  auto by_path = [](const std::vector<LayerEntry>& es) {
    std::map<std::string, archive::TarEntry> m;
    for (const auto& e : es) {
      m["/" + e.entry.path] = e.entry;
    }
    return m;
  };
  auto m = by_path(plan_layer(root.tree, root.files, plan, lo));
  CHECK(m.at("/var/lib/app").uid == 101);
  CHECK(m.at("/var/lib/app").gid == 102);
  CHECK(m.at("/var/lib/app").mode == 01777); // a tmpfs root: podman makes it root's, with this mode
  CHECK(m.at("/var/lib/app/cache").uid == 101);
  CHECK(m.at("/var/lib/app/cache").mode == 0700); // below the tmpfs: copied up with its owner
  CHECK(m.at("/var/log.txt").uid == 101);
  CHECK(m.at("/var/log.txt").mode == 0644);
  CHECK(m.at("/etc/app.conf").uid == 0); // not written: untouched
  CHECK(m.at("/var/lib").uid == 0);

  SECTION("root (or an unchanged user) changes no owner or mode")
  {
    lo.user = plan_user("", {}, UserMode::keep);
    auto k = by_path(plan_layer(root.tree, root.files, plan, lo));
    CHECK(k.at("/var/lib/app").uid == 0);
    CHECK(k.at("/var/lib/app").mode == 0750);
    CHECK(k.at("/var/log.txt").uid == 0);
  }
}
