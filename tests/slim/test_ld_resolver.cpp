#include "fake_root.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <whittle/slim/ld_resolver.hpp>

using namespace whittle;
using namespace whittle::slim;

namespace {

// "name -> path" of every object loaded (program and interpreter included).
std::map<std::string, std::string>
loaded(const LoadResult& r)
{
  std::map<std::string, std::string> out;
  for (const auto& o : r.objects) {
    out[o.name] = o.path;
  }
  return out;
}

void
debian_base(test::FakeRoot& root)
{
  // A merged-/usr Debian layout: /lib and /lib64 are symlinks into /usr.
  root.dir_node("/usr/lib/x86_64-linux-gnu");
  root.dir_node("/usr/lib64");
  root.symlink("/lib", "usr/lib");
  root.symlink("/lib64", "usr/lib64");
  root.elf("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", test::x86_lib("ld-linux-x86-64.so.2"));
  root.symlink("/usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  root.elf("/usr/lib/x86_64-linux-gnu/libc.so.6", test::x86_lib("libc.so.6", {"ld-linux-x86-64.so.2"}));
}

} // namespace

TEST_CASE("slim::LdResolver: interpreter and default multiarch dirs through merged-/usr symlinks", "[slim]")
{
  test::FakeRoot root;
  debian_base(root);
  root.elf("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", test::x86_lib("libz.so.1", {"libc.so.6"}));
  root.symlink("/usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13");
  root.elf("/usr/bin/app", test::x86_exe({"libz.so.1", "libc.so.6"}));
  root.symlink("/bin", "usr/bin");

  LdResolver ld(root.tree, root.files, {});
  LoadResult r = ld.load("/bin/app");
  auto m = loaded(r);
  CHECK(m[""] == "/usr/bin/app");
  CHECK(r.objects[0].symlinks == std::vector<std::string>{"/bin"});
  CHECK(m["/lib64/ld-linux-x86-64.so.2"] == "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  CHECK(m["libz.so.1"] == "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13");
  CHECK(m["libc.so.6"] == "/usr/lib/x86_64-linux-gnu/libc.so.6");
  CHECK(r.missing.empty());
  // The interpreter is reached through /lib64 and the relative link inside /usr/lib64.
  bool saw_link = false;
  for (const auto& o : r.objects) {
    if (o.name == "/lib64/ld-linux-x86-64.so.2") {
      saw_link = std::find(o.symlinks.begin(), o.symlinks.end(), "/usr/lib64/ld-linux-x86-64.so.2") !=
                 o.symlinks.end();
    }
  }
  CHECK(saw_link);
  // libz.so.1 was found via /lib/x86_64-linux-gnu first (default order), so the /lib link is on its way.
  for (const auto& o : r.objects) {
    if (o.name == "libz.so.1") {
      CHECK(o.lookup == "/lib/x86_64-linux-gnu/libz.so.1");
      CHECK(std::find(o.symlinks.begin(), o.symlinks.end(), "/lib") != o.symlinks.end());
      CHECK(std::find(o.symlinks.begin(), o.symlinks.end(), "/usr/lib/x86_64-linux-gnu/libz.so.1") !=
            o.symlinks.end());
    }
  }
}

TEST_CASE("slim::LdResolver: DT_RUNPATH with $ORIGIN and RPATH/RUNPATH precedence", "[slim]")
{
  test::FakeRoot root;
  debian_base(root);
  // The app's own copy in $ORIGIN/../lib must win over the system one.
  root.elf("/usr/lib/x86_64-linux-gnu/libfoo.so.1", test::x86_lib("libfoo.so.1"));
  root.elf("/opt/app/lib/libfoo.so.1", test::x86_lib("libfoo.so.1", {"libbar.so"}));
  root.elf("/opt/app/lib/libbar.so", test::x86_lib("libbar.so"));
  auto exe = test::x86_exe({"libfoo.so.1", "libc.so.6"});

  SECTION("RUNPATH $ORIGIN")
  {
    exe.runpath = "$ORIGIN/../lib";
    root.elf("/opt/app/bin/app", exe);
    LdResolver ld(root.tree, root.files, {});
    LoadResult r = ld.load("/opt/app/bin/app");
    auto m = loaded(r);
    CHECK(m["libfoo.so.1"] == "/opt/app/lib/libfoo.so.1");
    // RUNPATH applies only to the object's own DT_NEEDED: libfoo's libbar is not found by it.
    CHECK(m.count("libbar.so") == 0);
    REQUIRE(r.missing.size() == 1);
    CHECK(r.missing[0] == "libbar.so (needed by /opt/app/lib/libfoo.so.1)");
  }
  SECTION("RPATH ${ORIGIN} is inherited down the loader chain")
  {
    exe.rpath = "${ORIGIN}/../lib";
    root.elf("/opt/app/bin/app", exe);
    LdResolver ld(root.tree, root.files, {});
    LoadResult r = ld.load("/opt/app/bin/app");
    auto m = loaded(r);
    CHECK(m["libfoo.so.1"] == "/opt/app/lib/libfoo.so.1");
    CHECK(m["libbar.so"] == "/opt/app/lib/libbar.so");
    CHECK(r.missing.empty());
  }
  SECTION("RPATH is ignored when RUNPATH is present")
  {
    exe.rpath = "$ORIGIN/../lib";
    exe.runpath = "/nowhere";
    root.elf("/opt/app/bin/app", exe);
    LdResolver ld(root.tree, root.files, {});
    CHECK(loaded(ld.load("/opt/app/bin/app"))["libfoo.so.1"] == "/usr/lib/x86_64-linux-gnu/libfoo.so.1");
  }
  SECTION("a symlinked program's $ORIGIN is its real directory")
  {
    exe.runpath = "$ORIGIN/../lib";
    root.elf("/opt/app/bin/app", exe);
    root.symlink("/usr/local/bin/app", "/opt/app/bin/app");
    LdResolver ld(root.tree, root.files, {});
    CHECK(loaded(ld.load("/usr/local/bin/app"))["libfoo.so.1"] == "/opt/app/lib/libfoo.so.1");
  }
}

TEST_CASE("slim::LdResolver: LD_LIBRARY_PATH from the image env comes before RUNPATH", "[slim]")
{
  test::FakeRoot root;
  debian_base(root);
  root.elf("/srv/libs/libfoo.so.1", test::x86_lib("libfoo.so.1"));
  root.elf("/opt/lib/libfoo.so.1", test::x86_lib("libfoo.so.1"));
  auto exe = test::x86_exe({"libfoo.so.1"});
  exe.runpath = "/opt/lib";
  root.elf("/app", exe);
  {
    LdResolver ld(root.tree, root.files, {"PATH=/bin", "LD_LIBRARY_PATH=/missing:/srv/libs"});
    CHECK(loaded(ld.load("/app"))["libfoo.so.1"] == "/srv/libs/libfoo.so.1");
  }
  {
    LdResolver ld(root.tree, root.files, {"PATH=/bin"});
    CHECK(loaded(ld.load("/app"))["libfoo.so.1"] == "/opt/lib/libfoo.so.1");
  }
}

TEST_CASE("slim::LdResolver: /etc/ld.so.conf with include of ld.so.conf.d/*.conf", "[slim]")
{
  test::FakeRoot root;
  debian_base(root);
  root.file("/etc/ld.so.conf", "# comment\ninclude /etc/ld.so.conf.d/*.conf\n");
  root.file("/etc/ld.so.conf.d/libc.conf", "/usr/local/lib\n");
  root.file("/etc/ld.so.conf.d/zz-app.conf", "  /opt/vendor/lib64  # vendor\n");
  root.file("/etc/ld.so.conf.d/README", "/not/a/conf\n");
  root.elf("/opt/vendor/lib64/libv.so", test::x86_lib("libv.so"));
  root.elf("/not/a/conf/libn.so", test::x86_lib("libn.so"));
  root.elf("/app", test::x86_exe({"libv.so", "libn.so"}));
  LdResolver ld(root.tree, root.files, {});
  CHECK(ld.conf_dirs() == std::vector<std::string>{"/usr/local/lib", "/opt/vendor/lib64"});
  LoadResult r = ld.load("/app");
  CHECK(loaded(r)["libv.so"] == "/opt/vendor/lib64/libv.so");
  REQUIRE(r.missing.size() == 1);
  CHECK(r.missing[0].rfind("libn.so", 0) == 0);
}

TEST_CASE("slim::LdResolver skips libraries of another class or machine, as ld.so does", "[slim]")
{
  test::FakeRoot root;
  debian_base(root);
  test::ElfSpec lib32 = test::x86_lib("libfoo.so");
  lib32.wide = false;
  lib32.machine = 3;
  root.elf("/usr/lib/x86_64-linux-gnu/libfoo.so", lib32);
  root.elf("/usr/lib/libfoo.so", test::x86_lib("libfoo.so"));
  root.elf("/app", test::x86_exe({"libfoo.so"}));
  LdResolver ld(root.tree, root.files, {});
  CHECK(loaded(ld.load("/app"))["libfoo.so"] == "/usr/lib/libfoo.so");
}

TEST_CASE("slim::LdResolver survives a malformed library and reports it", "[slim]")
{
  test::FakeRoot root;
  debian_base(root);
  std::string bad = test::build_elf(test::x86_lib("libbad.so")).bytes;
  bad.resize(70);
  root.file("/usr/lib/x86_64-linux-gnu/libbad.so", bad);
  root.elf("/app", test::x86_exe({"libbad.so", "libc.so.6"}));
  LdResolver ld(root.tree, root.files, {});
  LoadResult r = ld.load("/app");
  CHECK(loaded(r)["libc.so.6"] == "/usr/lib/x86_64-linux-gnu/libc.so.6");
  CHECK(r.missing.size() == 1);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("libbad.so") != std::string::npos);
}

TEST_CASE("slim::find_on_path and parse_ld_so_conf", "[slim]")
{
  test::FakeRoot root;
  root.file("/usr/bin/python3.11", "x", 0755);
  root.symlink("/usr/bin/python3", "python3.11");
  root.file("/usr/local/bin/notexec", "x", 0644);
  CHECK(find_on_path(root.tree, "python3", "/usr/local/bin:/usr/bin").value() == "/usr/bin/python3");
  CHECK_FALSE(find_on_path(root.tree, "notexec", "/usr/local/bin:/usr/bin").has_value());
  CHECK(find_on_path(root.tree, "/usr/bin/python3", "").value() == "/usr/bin/python3");
  LdConf c = parse_ld_so_conf("include a/*.conf\n/x:/y,/z\nhwcap 0 nosegneg\n/w=libc6 # t\n");
  CHECK(c.includes == std::vector<std::string>{"a/*.conf"});
  CHECK(c.dirs == std::vector<std::string>{"/x", "/y", "/z", "/w"});
}

TEST_CASE("slim::LdResolver: musl's loader path file, $LIB and $PLATFORM", "[slim]")
{
  test::FakeRoot root;
  root.elf("/lib/ld-musl-x86_64.so.1", test::x86_lib("libc.musl-x86_64.so.1"));
  root.file("/etc/ld-musl-x86_64.path", "/opt/musl/lib\n/lib\n");
  root.elf("/opt/musl/lib/libfoo.so", test::x86_lib("libfoo.so"));
  root.elf("/usr/local/lib/libfoo.so", test::x86_lib("libfoo.so")); // musl's default, but the path file wins
  root.elf("/usr/lib/x86_64-linux-gnu/libbar.so", test::x86_lib("libbar.so"));
  root.elf("/opt/x86_64/libbaz.so", test::x86_lib("libbaz.so"));
  auto exe = test::x86_exe({"libfoo.so", "libbar.so", "libbaz.so"}, "/lib/ld-musl-x86_64.so.1");
  exe.runpath = "/usr/$LIB:/opt/${PLATFORM}";
  root.elf("/app", exe);
  LdResolver ld(root.tree, root.files, {});
  LoadResult r = ld.load("/app");
  auto m = loaded(r);
  CHECK(m["/lib/ld-musl-x86_64.so.1"] == "/lib/ld-musl-x86_64.so.1");
  CHECK(m["libfoo.so"] == "/opt/musl/lib/libfoo.so");             // the path file, not the glibc defaults
  CHECK(m["libbar.so"] == "/usr/lib/x86_64-linux-gnu/libbar.so"); // $LIB tried as lib/<triplet>
  CHECK(m["libbaz.so"] == "/opt/x86_64/libbaz.so");
  CHECK(r.missing.empty());
}
