#include "fake_root.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/slim/rules.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::slim;

TEST_CASE("slim::parse_rules reads the schema and refuses bad files", "[slim]")
{
  RuleSet r = parse_rules(R"({"schema":"whittle/rules/v1","name":"x","when":["/usr/bin/x*"],
    "keep":["/etc/x/**"],"strip":{"docs":["/usr/share/doc/**"]}})",
                          "x.json");
  CHECK(r.name == "x");
  CHECK(r.when == std::vector<std::string>{"/usr/bin/x*"});
  CHECK(r.keep == std::vector<std::string>{"/etc/x/**"});
  CHECK(r.strip.at("docs") == std::vector<std::string>{"/usr/share/doc/**"});
  CHECK(r.triggered_by("/usr/bin/xyz"));
  CHECK_FALSE(r.triggered_by("/usr/bin/y"));

  CHECK_THROWS_AS(parse_rules("{", "a"), BadInput);
  CHECK_THROWS_AS(parse_rules(R"({"schema":"other","name":"x"})", "a"), BadInput);
  CHECK_THROWS_AS(parse_rules(R"({"schema":"whittle/rules/v1"})", "a"), BadInput);
  CHECK_THROWS_AS(parse_rules(R"({"schema":"whittle/rules/v1","name":"x","keep":["relative/*"]})", "a"),
                  BadInput);
  CHECK_THROWS_AS(parse_rules(R"({"schema":"whittle/rules/v1","name":"x","kepe":[]})", "a"), BadInput);
  CHECK_THROWS_WITH(parse_rules(R"({"schema":"whittle/rules/v1","name":"x","keep":"/a"})", "bad.json"),
                    Catch::Contains("`bad.json`") && Catch::Contains("keep"));
}

TEST_CASE("slim: the shipped rule files parse and have the documented groups", "[slim]")
{
  std::vector<RuleSet> all = read_rules_dir(WHITTLE_PROFILES_DIR);
  std::map<std::string, const RuleSet*> by_name;
  for (const auto& r : all) {
    by_name[r.name] = &r;
  }
  for (const char* n : {"base", "python", "node", "java", "nginx", "strip"}) {
    CHECK(by_name.count(n) == 1);
  }
  CHECK(by_name["base"]->when.empty());
  CHECK_FALSE(by_name["python"]->when.empty());
  for (const char* g :
       {"docs", "man", "locales", "headers", "build-tools", "package-managers", "shells", "coreutils"}) {
    CHECK(by_name["strip"]->strip.count(g) == 1);
  }
  CHECK(strip_group_of(all, "/usr/share/doc/bash/README") == "docs");
  CHECK(strip_group_of(all, "/usr/share/man/man1/ls.1.gz") == "man");
  CHECK(strip_group_of(all, "/usr/lib/x86_64-linux-gnu/libfoo.a") == "headers");
  CHECK(strip_group_of(all, "/usr/bin/python3") == "");
}

TEST_CASE("slim::expand_glob resolves literal leading directories through symlinks", "[slim]")
{
  test::FakeRoot root;
  root.dir_node("/usr/lib/x86_64-linux-gnu");
  root.symlink("/lib", "usr/lib");
  root.file("/usr/lib/x86_64-linux-gnu/libnss_files.so.2", "x");
  root.file("/usr/lib/x86_64-linux-gnu/libnss_dns.so.2", "x");
  root.file("/etc/nginx/nginx.conf", "x");
  root.file("/etc/nginx/sites/default", "x");
  std::vector<std::string> links;
  CHECK(expand_glob(root.tree, "/lib/*/libnss_files.so*", &links) ==
        std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/libnss_files.so.2"});
  CHECK(links == std::vector<std::string>{"/lib"});
  CHECK(expand_glob(root.tree, "/etc/nginx/**") ==
        std::vector<std::string>{"/etc/nginx", "/etc/nginx/nginx.conf", "/etc/nginx/sites",
                                 "/etc/nginx/sites/default"});
  CHECK(expand_glob(root.tree, "/etc/nginx/nginx.conf") == std::vector<std::string>{"/etc/nginx/nginx.conf"});
  CHECK(expand_glob(root.tree, "/etc/missing/**").empty());
}

TEST_CASE("slim::read_rules reads only regular files, at most k_max_rules_bytes", "[slim]")
{
  test::TestDir t;
  test::write_file(t / "ok.json", R"({"schema":"whittle/rules/v1","name":"ok"})");
  CHECK(read_rules(t / "ok.json").name == "ok");
  REQUIRE(::mkfifo((t / "fifo.json").c_str(), 0644) == 0);
  CHECK_THROWS_WITH(read_rules(t / "fifo.json"),
                    Catch::Contains("read rules `" + (t / "fifo.json") + "`: a FIFO"));
  int fd = ::open((t / "big.json").c_str(), O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, static_cast<off_t>(k_max_rules_bytes) + 1) == 0);
  ::close(fd);
  CHECK_THROWS_AS(read_rules(t / "big.json"), BadInput);
  CHECK_THROWS_WITH(read_rules(t / "big.json"), Catch::Contains("16 MiB"));
}
