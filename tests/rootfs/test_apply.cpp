#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <whittle/oci/image.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::rootfs;
using test::FixtureEntry;

namespace {

oci::Image
open_fixture(const test::TestDir& t, const test::FixtureImage& fx, const std::string& name = "img")
{
  test::write_oci_layout(fx, t / name);
  return oci::open_image(oci::parse_reference("oci:" + (t / name)));
}

FixtureEntry
whiteout(const std::string& path)
{
  return test::file(path, "");
}

// Applies the image with extraction into t/"root" and checks that the directory matches the tree.
ApplyResult
apply_and_extract(const test::TestDir& t, const oci::Image& image)
{
  std::string root = t / "root";
  ::mkdir(root.c_str(), 0755);
  ApplyOptions opts;
  opts.extract_to = root;
  ApplyResult r = apply_layers(image, opts);
  for (const auto& [path, node] : r.tree.nodes()) {
    INFO("extracted " << path);
    struct stat st;
    REQUIRE(::lstat((root + path).c_str(), &st) == 0);
    switch (node.type) {
    case NodeType::regular:
      CHECK(S_ISREG(st.st_mode));
      CHECK(static_cast<uint64_t>(st.st_size) == node.size);
      break;
    case NodeType::directory:
      CHECK(S_ISDIR(st.st_mode));
      break;
    case NodeType::symlink:
      CHECK(S_ISLNK(st.st_mode));
      break;
    default:
      break;
    }
    bool device = node.type == NodeType::char_device || node.type == NodeType::block_device;
    if (node.type != NodeType::symlink) {
      CHECK((st.st_mode & 07777) == (device ? 0u : node.mode)); // a device's placeholder has mode 0
    }
  }
  std::string out;
  test::run_command("cd '" + root + "' && find . -mindepth 1 | wc -l", &out);
  CHECK(std::stoul(out) == r.tree.size() - 1);
  return r;
}

} // namespace

TEST_CASE("rootfs::apply_layers applies whiteouts to lower layers only", "[rootfs]")
{
  test::TestDir t;
  test::FixtureImage fx;
  fx.layers = {
      {test::dir("a/"), test::file("a/x", std::string(10, 'x')), test::file("a/y", std::string(20, 'y')),
       test::dir("a/sub/"), test::file("a/sub/deep", std::string(3, 'd')), test::file("b/file", "12345"),
       test::file("c/z", "1234567"), test::file("d/q", "old"), test::file("keep", "k")},
      // The opaque whiteout comes after this layer's own a/new and a/sub/mine: they must survive it.
      // d/.wh.q after d/q of the same layer means "replace", not "delete".
      {test::file("a/new", "n"), test::dir("a/sub/"), test::file("a/sub/mine", "m"),
       whiteout("a/.wh..wh..opq"), whiteout(".wh.b"), test::file("c/z", "abc"), test::file("d/q", "new!"),
       whiteout("d/.wh.q"), whiteout(".wh.never-existed")},
  };
  oci::Image image = open_fixture(t, fx);
  ApplyResult r = apply_and_extract(t, image);
  const Tree& tree = r.tree;

  CHECK(tree.find("/a/new") != nullptr);
  CHECK(tree.find("/a/sub/mine") != nullptr);
  CHECK(tree.find("/a/x") == nullptr);
  CHECK(tree.find("/a/y") == nullptr);
  CHECK(tree.find("/a/sub/deep") == nullptr);
  CHECK(tree.find("/b") == nullptr);
  CHECK(tree.find("/c/z")->size == 3);
  REQUIRE(tree.find("/d/q") != nullptr);
  CHECK(tree.find("/d/q")->size == 4);
  CHECK(tree.find("/d/q")->layer == 1);
  CHECK(tree.find("/keep")->layer == 0);
  CHECK(test::read_file(t / "root/d/q") == "new!");
  CHECK_FALSE(test::path_exists(t / "root/a/x"));
  CHECK_FALSE(test::path_exists(t / "root/b"));
  CHECK_FALSE(test::path_exists(t / "root/a/.wh..wh..opq"));

  REQUIRE(r.layers.size() == 2);
  // Layer 0 loses a/x, a/y, a/sub/deep, b/file, c/z and d/q: 10 + 20 + 3 + 5 + 7 + 3 bytes.
  CHECK(r.layers[0].waste_bytes == 48);
  CHECK(r.layers[0].waste_files == 6);
  CHECK(r.layers[1].waste_bytes == 0);
  CHECK(r.layers[0].files == 9);
  CHECK(r.layers[1].entries == 9);
  CHECK(r.layers[1].files == 5);
  CHECK(r.layers[0].bytes == 10 + 20 + 3 + 5 + 7 + 3 + 1);
  CHECK(r.layers[0].uncompressed > 0);
  CHECK(r.layers[0].uncompressed % 512 == 0);
}

TEST_CASE("rootfs::apply_layers resolves hardlinks to lower layers and replaces directories", "[rootfs]")
{
  test::TestDir t;
  test::FixtureImage fx;
  fx.compression = "zstd";
  fx.layers = {
      {test::file("usr/bin/perl5.36", std::string(100, 'p'), 0755), test::dir("d/"), test::file("d/x", "xx"),
       test::symlink("bin", "usr/bin")},
      {test::hardlink("usr/bin/perl", "usr/bin/perl5.36"), test::file("d", "now a file"),
       test::fifo("run/initctl"), test::file("deep/er/path", "implicit parents")},
  };
  oci::Image image = open_fixture(t, fx);
  ApplyResult r = apply_and_extract(t, image);
  const Tree& tree = r.tree;

  REQUIRE(tree.find("/usr/bin/perl") != nullptr);
  CHECK(tree.find("/usr/bin/perl")->hardlink_of == "/usr/bin/perl5.36");
  CHECK(tree.find("/usr/bin/perl")->size == 100);
  CHECK(tree.total_bytes() == 100 + 10 + 16);
  struct stat a, b;
  REQUIRE(::lstat((t / "root/usr/bin/perl").c_str(), &a) == 0);
  REQUIRE(::lstat((t / "root/usr/bin/perl5.36").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);

  CHECK(tree.find("/d")->type == NodeType::regular);
  CHECK(tree.find("/d/x") == nullptr);
  CHECK(r.layers[0].waste_bytes == 2);
  CHECK(r.layers[0].waste_files == 1);
  CHECK(tree.find("/run/initctl")->type == NodeType::fifo);
  CHECK(tree.find("/deep")->implicit);
  CHECK(tree.find("/deep/er")->implicit);
  CHECK_FALSE(tree.find("/deep/er/path")->implicit);
  CHECK(tree.resolve("/bin/perl").path == "/usr/bin/perl");

  SECTION("layer_limit applies only the first layers")
  {
    ApplyOptions opts;
    opts.layer_limit = 1;
    ApplyResult first = apply_layers(image, opts);
    CHECK(first.layers.size() == 1);
    CHECK(first.tree.find("/d/x") != nullptr);
    CHECK(first.tree.find("/usr/bin/perl") == nullptr);
  }
}

TEST_CASE("rootfs::apply_layers extracts owners, xattrs, device nodes and directory metadata", "[rootfs]")
{
  test::TestDir t;
  test::FixtureImage fx;
  FixtureEntry owned = test::file("home/user/notes", "n", 0600);
  owned.uid = 1000;
  owned.gid = 1001;
  owned.xattrs = {{"user.origin", "fixture"}};
  FixtureEntry dev = test::chardev("dev/null", 1, 3);
  FixtureEntry ro = test::dir("ro/", 0555);
  ro.mtime = 1234567890;
  fx.layers = {{test::dir("home/", 0755), owned, dev, ro, test::file("ro/inside", "filled after the dir")}};
  oci::Image image = open_fixture(t, fx);
  ApplyResult r = apply_and_extract(t, image);
  CHECK(r.tree.find("/dev/null")->type == NodeType::char_device);
  CHECK(r.tree.find("/home/user/notes")->xattrs.at("user.origin") == "fixture");

  std::string root = t / "root";
  struct stat st;
  REQUIRE(::lstat((root + "/ro").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0555);
  CHECK(st.st_mtime == 1234567890); // set after ro/inside was written
  CHECK(test::read_file(root + "/ro/inside") == "filled after the dir");
  char value[64] = {};
  ssize_t n = ::lgetxattr((root + "/home/user/notes").c_str(), "user.origin", value, sizeof value);
  CHECK(std::string(value, n > 0 ? static_cast<size_t>(n) : 0) == "fixture");
  if (::geteuid() != 0) {
    test::skip("owners and device nodes need root");
    return;
  }
  REQUIRE(::lstat((root + "/home/user/notes").c_str(), &st) == 0);
  CHECK(st.st_uid == 1000);
  CHECK(st.st_gid == 1001);
  // The tree keeps the device; on disk it is an empty placeholder (never a device node on the host).
  REQUIRE(::lstat((root + "/dev/null").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK(st.st_size == 0);
}

TEST_CASE("rootfs::apply_layers refuses hostile entries and writes nothing outside", "[rootfs][security]")
{
  struct Case
  {
    const char* name;
    std::vector<std::vector<FixtureEntry>> layers;
    const char* entry;
    const char* cause;
  };
  const Case cases[] = {
      {"dot-dot entry",
       {{test::file("ok", "1"), test::file("../canary", "pwned")}},
       "../canary",
       "escapes the root"},
      {"nested dot-dot entry",
       {{test::file("a/../../canary", "pwned")}},
       "a/../../canary",
       "escapes the root"},
      {"absolute entry", {{test::file("/etc/passwd", "pwned")}}, "/etc/passwd", "is absolute"},
      {"symlink then entry through it",
       {{test::symlink("evil", "/"), test::file("evil/canary", "pwned")}},
       "evil/canary",
       "parent `/evil` is a symlink"},
      {"symlink in a lower layer, entry through it above",
       {{test::symlink("evil", "../../../..")}, {test::dir("evil/x/")}},
       "evil/x/",
       "parent `/evil` is a symlink"},
      {"hardlink climbing out",
       {{test::hardlink("stolen", "../canary")}},
       "stolen",
       "hardlink target escapes"},
      {"hardlink to an absolute path", {{test::hardlink("stolen", "/etc/passwd")}}, "stolen", "is absolute"},
      {"hardlink to a missing file", {{test::hardlink("stolen", "etc/shadow")}}, "stolen", "does not exist"},
      {"hardlink through a symlink",
       {{test::symlink("out", "/"), test::hardlink("stolen", "out/etc/passwd")}},
       "stolen",
       "parent `/out` is a symlink"},
      {"whiteout through a symlink",
       {{test::dir("etc/"), test::file("etc/keep", "k"), test::symlink("l", "/etc")},
        {whiteout("l/.wh.keep")}},
       "l/.wh.keep",
       "parent `/l` is a symlink"},
      {"file below a file", {{test::file("f", "1"), test::file("f/g", "2")}}, "f/g", "is not a directory"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name)
    {
      test::TestDir t;
      test::write_file(t / "canary", "canary");
      test::FixtureImage fx;
      fx.layers = c.layers;
      oci::Image image = open_fixture(t, fx);
      std::string root = t / "jail/root";
      ::mkdir((t / "jail").c_str(), 0755);
      ::mkdir(root.c_str(), 0755);
      ApplyOptions opts;
      opts.extract_to = root;
      std::string message;
      try {
        apply_layers(image, opts);
      } catch (const BadInput& e) {
        message = e.what();
      }
      INFO(message);
      CHECK_THAT(message, Catch::Contains(std::string("entry `") + c.entry + "`"));
      CHECK_THAT(message, Catch::Contains(c.cause));
      size_t bad = c.layers.size() - 1;
      CHECK_THAT(message, Catch::Contains("apply layer " + image.layers[bad].descriptor.digest.str()));
      CHECK_THAT(message, Catch::Contains(t / "img"));
      CHECK(test::read_file(t / "canary") == "canary");
      CHECK_FALSE(test::path_exists(t / "jail/canary"));
      CHECK_FALSE(test::path_exists(t / "stolen"));
      CHECK(test::read_file("/etc/passwd").find("pwned") == std::string::npos);
      // The in-memory form refuses the same entries.
      CHECK_THROWS_AS(apply_layers(image), BadInput);
    }
  }
}

TEST_CASE("rootfs::apply_layers reports a corrupt layer after reading it", "[rootfs]")
{
  test::TestDir t;
  test::FixtureImage fx;
  fx.compression = "none";
  fx.layers = {{test::file("a", std::string(5000, 'a'))}, {test::file("b", "b")}};
  oci::Image image = open_fixture(t, fx);
  // Flip a content byte of layer 1: the tar still parses, only the digest can catch it.
  std::string blob = t / ("img/blobs/sha256/" + image.layers[1].descriptor.digest.hex);
  std::string data = test::read_file(blob);
  data[512] = 'c';
  test::write_file(blob, data);
  try {
    apply_layers(image);
    FAIL("no error for a corrupt layer");
  } catch (const BadInput& e) {
    CHECK_THAT(e.what(), Catch::Contains(image.layers[1].descriptor.digest.hex.substr(0, 12)));
  }
}

TEST_CASE("rootfs::apply_layers extracts the sample image exactly as umoci does", "[rootfs]")
{
  test::TestDir t;
  std::string probe;
  if (test::run_command("command -v umoci", &probe) != 0) {
    test::skip("umoci is not installed (scripts/install-deps.sh installs it)");
    return;
  }
  std::string layout = t / "layout";
  ::mkdir(layout.c_str(), 0755);
  REQUIRE(test::run_command("tar -xf '" WHITTLE_TESTDATA "/sample-app.oci.tar' -C '" + layout + "'") == 0);
  std::string out;
  REQUIRE(test::run_command("umoci unpack --image '" + layout + ":latest' '" + (t / "bundle") + "'", &out) ==
          0);

  oci::Image image =
      oci::open_image(oci::parse_reference("oci-archive:" WHITTLE_TESTDATA "/sample-app.oci.tar"));
  ApplyResult r = apply_and_extract(t, image);
  CHECK(r.tree.size() > 100);

  // Type, mode, owner, size, link target and mtime of every path, then every file's content. The root
  // itself is left out: the image has no "./" entry, and umoci stamps it with mtime 0 where we leave it.
  auto listing = [&](const std::string& dir) {
    std::string s;
    REQUIRE(test::run_command(
                "cd '" + dir + "' && find . -mindepth 1 -printf '%p %y %m %U %G %s %l %T@\\n' | sort", &s) ==
            0);
    return s;
  };
  std::string ours = listing(t / "root");
  std::string theirs = listing(t / "bundle/rootfs");
  CHECK(ours.size() > 1000);
  CHECK(ours == theirs);
  std::string diff;
  CHECK(test::run_command("diff -r --no-dereference '" + (t / "root") + "' '" + (t / "bundle/rootfs") + "'",
                          &diff) == 0);
  INFO(diff);
}

TEST_CASE("rootfs::apply_layers over many layers: order, waste per layer, the first bad layer reported",
          "[rootfs]")
{
  test::TestDir t;
  test::FixtureImage fx;
  fx.compression = "gzip";
  const int n = 8;
  for (int i = 0; i < n; ++i) {
    // Every layer rewrites /etc/state with i+1 bytes and adds a file of its own with real content.
    fx.layers.push_back(
        {test::file("etc/state", std::string(static_cast<size_t>(i + 1), 's')),
         test::file("layer" + std::to_string(i) + "/data", std::string(100000, char('a' + i)))});
  }
  oci::Image image = open_fixture(t, fx);

  SECTION("all layers apply in order")
  {
    ApplyResult r = apply_and_extract(t, image);
    CHECK(r.tree.find("/etc/state")->size == static_cast<uint64_t>(n));
    CHECK(r.tree.find("/etc/state")->layer == n - 1);
    CHECK(test::read_file(t / "root/etc/state") == std::string(n, 's'));
    for (int i = 0; i < n; ++i) {
      INFO("layer " << i);
      CHECK(r.layers[static_cast<size_t>(i)].waste_bytes == (i + 1 < n ? static_cast<uint64_t>(i + 1) : 0));
      CHECK(test::read_file(t / ("root/layer" + std::to_string(i) + "/data")) ==
            std::string(100000, char('a' + i)));
    }
  }
  SECTION("a corrupt layer in the middle is the one reported, in both modes")
  {
    const size_t bad = 3;
    std::string path = t / ("img/blobs/sha256/" + image.layers[bad].descriptor.digest.hex);
    std::string blob = test::read_file(path);
    blob[blob.size() / 2] ^= 0x20;
    test::write_file(path, blob);
    for (bool extract : {false, true}) {
      INFO("extract " << extract);
      ApplyOptions opts;
      if (extract) {
        opts.extract_to = t / "out";
        ::mkdir(opts.extract_to.c_str(), 0755);
      }
      try {
        apply_layers(image, opts);
        FAIL("no error");
      } catch (const BadInput& e) {
        CHECK_THAT(e.what(), Catch::Contains(image.layers[bad].descriptor.digest.hex.substr(0, 12)));
      }
    }
  }
}

TEST_CASE("rootfs::apply_layers caps what all layers decode to together", "[rootfs][limits]")
{
  test::TestDir t;
  test::FixtureImage fx;
  // Each layer alone is small; together they pass the cap in the second layer.
  fx.layers = {{test::file("a", std::string(600 << 10, 'a'))},
               {test::file("b", std::string(600 << 10, 'b'))}};
  oci::Image image = open_fixture(t, fx);
  ApplyOptions opts;
  opts.max_image_bytes = 1 << 20;
  auto error_of = [&] {
    try {
      apply_layers(image, opts);
    } catch (const BadInput& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  SECTION("in the tree only")
  {
    std::string err = error_of();
    CHECK_THAT(err, Catch::Contains("apply layer " + image.layers[1].descriptor.digest.str() + " of `" +
                                    image.ref.str() + "`"));
    CHECK_THAT(err, Catch::Contains("more than 1.0 MiB in all (WHITTLE_MAX_IMAGE_BYTES)"));
  }
  SECTION("extracting")
  {
    std::string root = t / "root";
    ::mkdir(root.c_str(), 0755);
    opts.extract_to = root;
    CHECK_THAT(error_of(), Catch::Contains(image.layers[1].descriptor.digest.str()));
  }
  SECTION("the first layer alone")
  {
    opts.max_image_bytes = 500 << 10;
    CHECK_THAT(error_of(), Catch::Contains(image.layers[0].descriptor.digest.str()));
  }
  SECTION("a cap that holds them, or none")
  {
    opts.max_image_bytes = 2 << 20;
    CHECK(apply_layers(image, opts).tree.find("/b") != nullptr);
    opts.max_image_bytes = 0;
    CHECK(apply_layers(image, opts).tree.find("/b") != nullptr);
  }
}

TEST_CASE("rootfs::ApplyOptions starts from the process-wide image cap", "[rootfs][limits]")
{
  CHECK(default_max_image_bytes() == uint64_t{64} << 30);
  CHECK(ApplyOptions{}.max_image_bytes == uint64_t{64} << 30);
  struct Restore
  {
    ~Restore() { set_default_max_image_bytes(uint64_t{64} << 30); }
  } restore;
  set_default_max_image_bytes(1 << 20);
  CHECK(ApplyOptions{}.max_image_bytes == 1 << 20);
}

TEST_CASE("rootfs::apply_layers checks free space before and while extracting", "[rootfs][limits]")
{
  test::TestDir t;
  test::FixtureImage fx;
  fx.layers = {{test::file("small", "s")}, {test::file("zeros", std::string(8 << 20, '\0'))}};
  oci::Image image = open_fixture(t, fx);
  std::string root = t / "root";
  ::mkdir(root.c_str(), 0755);
  ApplyOptions opts;
  opts.extract_to = root;

  SECTION("refused before anything is written when even the compressed layers cannot fit")
  {
    struct statvfs fs;
    REQUIRE(::statvfs(root.c_str(), &fs) == 0);
    // A floor above the free space stands for a full disk.
    opts.free_space_floor = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize + (uint64_t{1} << 30);
    try {
      apply_layers(image, opts);
      FAIL("no error without free space");
    } catch (const BadInput&) {
      FAIL("a full disk is not bad input");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains("extract `" + image.ref.str() + "` into `" + root + "`"));
      CHECK_THAT(e.what(), Catch::Contains("free some space"));
      // The manifest's claim is what it goes by: the message names the largest layer.
      CHECK_THAT(e.what(), Catch::Contains("layer " + image.layers[1].descriptor.digest.str()));
    }
    std::string out;
    test::run_command("ls -A '" + root + "' | wc -l", &out);
    CHECK(std::stoul(out) == 0);
  }
  SECTION("stopped in the layer that would pass the free space, on a small filesystem")
  {
    if (::geteuid() != 0) {
      test::skip("a small tmpfs for the free-space test needs root");
      return;
    }
    REQUIRE(::mount("tmpfs", root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=4m") == 0);
    struct Unmount
    {
      std::string path;
      ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{root};
    opts.free_space_floor = 1 << 20;
    // The compressed 8 MiB of zeros fit easily: only the running count can see the layer will not.
    REQUIRE(image.layers[1].descriptor.size < (1 << 20));
    try {
      apply_layers(image, opts);
      FAIL("no error past the free space");
    } catch (const BadInput&) {
      FAIL("a full disk is not bad input");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains(image.layers[1].descriptor.digest.str()));
      CHECK_THAT(e.what(), Catch::Contains(image.ref.str()));
      CHECK_THAT(e.what(), Catch::Contains("entry `zeros`"));
      CHECK_THAT(e.what(), Catch::Contains("free on the filesystem of `" + root + "`"));
    }
    CHECK(test::path_exists(root + "/small"));
    // Stopped before the floor was reached: each chunk is counted before it is written.
    struct statvfs fs;
    REQUIRE(::statvfs(root.c_str(), &fs) == 0);
    CHECK(static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize >= (1u << 20) - (64u << 10));
  }
}
