#include <catch2/catch.hpp>
#include <whittle/util/number.hpp>

using namespace whittle::util;
using std::chrono::milliseconds;

TEST_CASE("util::parse_uint takes the whole text as decimal digits within range", "[util]")
{
  CHECK(parse_uint("0") == 0u);
  CHECK(parse_uint("18446744073709551615") == UINT64_MAX);
  CHECK(parse_uint("000123") == 123u);
  CHECK(parse_uint("10", 10) == 10u);
  for (const char* bad :
       {"", "-1", "+1", " 1", "1 ", "2abc", "0x10", "1e3", "18446744073709551616", "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(parse_uint(bad).has_value());
  }
  CHECK_FALSE(parse_uint("11", 10).has_value());
}

TEST_CASE("util::parse_id refuses what does not fit uid_t, and (uid_t)-1", "[util]")
{
  CHECK(parse_id("0") == 0u);
  CHECK(parse_id("65532") == 65532u);
  CHECK(parse_id("4294967294") == 4294967294u);
  CHECK_FALSE(parse_id("4294967295").has_value());
  CHECK_FALSE(parse_id("4294967296").has_value());
  CHECK_FALSE(parse_id("18446744073709551616").has_value());
  CHECK_FALSE(parse_id("-1").has_value());
  CHECK_FALSE(parse_id("root").has_value());
}

TEST_CASE("util::parse_size: positive counts with binary suffixes", "[util]")
{
  CHECK(parse_size("5") == 5u);
  CHECK(parse_size("5K") == 5u << 10);
  CHECK(parse_size("5KiB") == 5u << 10);
  CHECK(parse_size("5M") == 5u << 20);
  CHECK(parse_size("2GiB") == 2ULL << 30);
  CHECK(parse_size("5k") == 5u << 10); // the spelling of the size flags (--memory 512m)
  CHECK(parse_size("3t") == 3ULL << 40);
  CHECK(parse_size("16777215TiB") == 16777215ULL << 40);
  for (const char* bad :
       {"", "0", "-1", "lots", "5kib", "5MB", "M", "5 M", "1.5G", "17179869184G", "16777216t"}) {
    INFO(bad);
    CHECK_FALSE(parse_size(bad).has_value());
  }
}

TEST_CASE("util::parse_seconds: finite, positive, bounded", "[util]")
{
  CHECK(parse_seconds("30", 100) == milliseconds(30000));
  CHECK(parse_seconds("1.5", 100) == milliseconds(1500));
  CHECK(parse_seconds(".25", 100) == milliseconds(250));
  CHECK(parse_seconds("0.0001", 100) == milliseconds(1));
  CHECK(parse_seconds("100", 100) == milliseconds(100000));
  for (const char* bad : {"", "0", "0.0", "-5", "+5", "2abc", "inf", "nan", "INF", "1e3", "0x10", ".", "1..2",
                          "1.2.3", " 5", "101"}) {
    INFO(bad);
    CHECK_FALSE(parse_seconds(bad, 100).has_value());
  }
}
