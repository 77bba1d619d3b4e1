#include <catch2/catch.hpp>
#include <whittle/cli/args.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::cli;
using std::chrono::milliseconds;

namespace {

CommandSpec
spec()
{
  CommandSpec s;
  s.name = "demo";
  s.usage = "[options]";
  s.flags = {
      {"--timeout", "", "SECONDS", "t"},
      {"--jobs", "", "N", "n"},
      {"--user", "", "USER[:GROUP]", "u"},
      {"--probe", "", "X", "p", true},
  };
  return s;
}

ParsedArgs
parse(const std::vector<std::string>& argv)
{
  return parse_args(spec(), argv);
}

std::string
usage_error(const std::function<void()>& f)
{
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

} // namespace

TEST_CASE("cli::ParsedArgs::get_seconds: finite, positive, the flag and value named on error", "[cli]")
{
  CHECK(parse({"--timeout", "1.5"}).get_seconds("--timeout") == milliseconds(1500));
  CHECK(parse({"--timeout=30"}).get_seconds("--timeout") == milliseconds(30000));
  CHECK_FALSE(parse({}).get_seconds("--timeout").has_value());
  for (const char* bad : {"-5", "2abc", "inf", "nan", "0", "", "1e9", "2592001"}) {
    INFO(bad);
    std::string e = usage_error([&] { parse({"--timeout", bad}).get_seconds("--timeout"); });
    CHECK_THAT(e, Catch::StartsWith("--timeout `" + std::string(bad) + "`"));
    CHECK_THAT(e, Catch::Contains("seconds"));
  }
}

TEST_CASE("cli::ParsedArgs::get_count and all_at_most", "[cli]")
{
  CHECK(parse({"--jobs", "4"}).get_count("--jobs", 1, 8) == 4u);
  CHECK_THAT(usage_error([] {
               parse({"--jobs", "9"}).get_count("--jobs", 1, 8);
             }),
             Catch::Contains("--jobs `9`") && Catch::Contains("1 to 8"));
  CHECK_THAT(usage_error([] {
               parse({"--jobs", "0"}).get_count("--jobs", 1, 8);
             }),
             Catch::Contains("--jobs"));
  CHECK_THAT(usage_error([] {
               parse({"--jobs", "-1"}).get_count("--jobs", 1, 8);
             }),
             Catch::Contains("--jobs"));
  std::vector<std::string> argv;
  for (int i = 0; i < 3; ++i) {
    argv.insert(argv.end(), {"--probe", std::to_string(i)});
  }
  CHECK(parse(argv).all_at_most("--probe", 3).size() == 3);
  CHECK_THAT(usage_error([&] { parse(argv).all_at_most("--probe", 2); }),
             Catch::Contains("--probe given 3 times") && Catch::Contains("at most 2"));
}

TEST_CASE("cli::ParsedArgs::get_user range-checks numeric ids", "[cli]")
{
  for (const char* good : {"0", "1000:1000", "nobody", "app:staff", "4294967294", "0:4294967294"}) {
    INFO(good);
    CHECK(parse({"--user", good}).get_user("--user") == std::string(good));
  }
  for (const char* bad :
       {"4294967295", "4294967296", "99999999999999999999", "0:4294967296", ":0", "0:", ""}) {
    INFO(bad);
    CHECK_THAT(usage_error([&] {
                 parse({"--user", bad}).get_user("--user");
               }),
               Catch::StartsWith("--user `" + std::string(bad) + "`"));
  }
}

TEST_CASE("cli::parse_args refuses contradicting global flags", "[cli]")
{
  CHECK_THAT(usage_error([] { parse({"--quiet", "--verbose"}); }), Catch::Contains("--quiet and --verbose"));
  CHECK_THAT(usage_error([] { parse({"-q", "--debug"}); }), Catch::Contains("--quiet and --debug"));
  CHECK_NOTHROW(parse({"--verbose", "--debug"}));
}
