// The environment variables cli parses for the library stages: each read strictly, refused with its name
// and value.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <whittle/cli/environment.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;

namespace {

// Sets (or, given nullptr, unsets) a variable for one scope, then puts back what it was.
struct ScopedVar
{
  ScopedVar(const char* name, const char* value) : m_name(name)
  {
    if (const char* old = std::getenv(name)) {
      m_old = old;
    }
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedVar()
  {
    if (m_old) {
      ::setenv(m_name, m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name);
    }
  }
  ScopedVar(const ScopedVar&) = delete;
  ScopedVar& operator=(const ScopedVar&) = delete;
  const char* m_name;
  std::optional<std::string> m_old;
};

} // namespace

TEST_CASE("cli::source_date_epoch reads SOURCE_DATE_EPOCH as whole seconds", "[cli]")
{
  ScopedVar unset_source_date_epoch("SOURCE_DATE_EPOCH", nullptr);
  CHECK_FALSE(cli::source_date_epoch().has_value());
  {
    ScopedVar v("SOURCE_DATE_EPOCH", "");
    CHECK_FALSE(cli::source_date_epoch().has_value());
  }
  {
    ScopedVar v("SOURCE_DATE_EPOCH", "1700000000");
    CHECK(cli::source_date_epoch() == 1700000000);
  }
  {
    ScopedVar v("SOURCE_DATE_EPOCH", "9223372036854775807");
    CHECK(cli::source_date_epoch() == INT64_MAX);
  }
  for (const char* bad : {"-1", "2abc", "1.5", " 1", "9223372036854775808", "0x10"}) {
    INFO(bad);
    ScopedVar v("SOURCE_DATE_EPOCH", bad);
    CHECK_THROWS_AS(cli::source_date_epoch(), UsageError);
    CHECK_THROWS_WITH(cli::source_date_epoch(),
                      Catch::Contains("SOURCE_DATE_EPOCH=`" + std::string(bad) + "`"));
  }
}

TEST_CASE("cli::decode_limits reads WHITTLE_MAX_LAYER_BYTES and WHITTLE_MAX_LAYER_RATIO", "[cli]")
{
  ScopedVar unset_whittle_max_layer_bytes("WHITTLE_MAX_LAYER_BYTES", nullptr);
  ScopedVar unset_whittle_max_layer_ratio("WHITTLE_MAX_LAYER_RATIO", nullptr);
  CHECK(cli::decode_limits().max_output == archive::DecodeLimits{}.max_output);
  CHECK(cli::decode_limits().max_ratio == archive::DecodeLimits{}.max_ratio);
  {
    ScopedVar bytes("WHITTLE_MAX_LAYER_BYTES", "5M");
    ScopedVar ratio("WHITTLE_MAX_LAYER_RATIO", "20");
    CHECK(cli::decode_limits().max_output == 5ULL << 20);
    CHECK(cli::decode_limits().max_ratio == 20);
  }
  {
    ScopedVar bytes("WHITTLE_MAX_LAYER_BYTES", "2GiB");
    CHECK(cli::decode_limits().max_output == 2ULL << 30);
  }
  // strtoull read "-1" as 2^64-1, which disabled the limit.
  for (const char* bad : {"-1", "0", "lots", "2abc", "1.5G", "99999999999999999999", "5 M", "17179869184G"}) {
    INFO(bad);
    ScopedVar v("WHITTLE_MAX_LAYER_BYTES", bad);
    CHECK_THROWS_WITH(cli::decode_limits(),
                      Catch::Contains("WHITTLE_MAX_LAYER_BYTES=`" + std::string(bad) + "`"));
  }
  for (const char* bad : {"-1", "0", "5K", "lots", "99999999999999999999"}) {
    INFO(bad);
    ScopedVar v("WHITTLE_MAX_LAYER_RATIO", bad);
    CHECK_THROWS_WITH(cli::decode_limits(),
                      Catch::Contains("WHITTLE_MAX_LAYER_RATIO=`" + std::string(bad) + "`"));
  }
}

TEST_CASE("cli::max_image_bytes reads WHITTLE_MAX_IMAGE_BYTES strictly", "[cli]")
{
  ScopedVar unset_whittle_max_image_bytes("WHITTLE_MAX_IMAGE_BYTES", nullptr);
  CHECK_FALSE(cli::max_image_bytes().has_value());
  const std::pair<const char*, uint64_t> good[] = {{"1000", 1000},
                                                   {"5M", 5 << 20},
                                                   {"5MiB", 5 << 20},
                                                   {"2G", uint64_t{2} << 30},
                                                   {"1T", uint64_t{1} << 40}};
  for (const auto& [text, value] : good) {
    ScopedVar v("WHITTLE_MAX_IMAGE_BYTES", text);
    CHECK(cli::max_image_bytes() == value);
  }
  for (const char* bad :
       {"0", "-1", "+5", " 5", "5 ", "1.5G", "5MB", "0x10", "99999999999999999999", "16777216T"}) {
    INFO(bad);
    ScopedVar v("WHITTLE_MAX_IMAGE_BYTES", bad);
    CHECK_THROWS_WITH(cli::max_image_bytes(),
                      Catch::Contains("WHITTLE_MAX_IMAGE_BYTES=`" + std::string(bad) + "`"));
  }
}

TEST_CASE("cli::apply_environment_limits sets the library's defaults", "[cli]")
{
  struct Restore
  {
    ~Restore()
    {
      archive::set_default_decode_limits(archive::DecodeLimits{});
      rootfs::set_default_max_image_bytes(uint64_t{64} << 30);
    }
  } restore;
  ScopedVar bytes("WHITTLE_MAX_LAYER_BYTES", "3M");
  ScopedVar image("WHITTLE_MAX_IMAGE_BYTES", "7M");
  cli::apply_environment_limits();
  CHECK(archive::default_decode_limits().max_output == 3ULL << 20);
  CHECK(rootfs::ApplyOptions{}.max_image_bytes == 7ULL << 20);
}

TEST_CASE("cli::temp_root is $TMPDIR, else /tmp", "[cli]")
{
  ScopedVar unset_tmpdir("TMPDIR", nullptr);
  CHECK(cli::temp_root() == "/tmp");
  {
    ScopedVar v("TMPDIR", "");
    CHECK(cli::temp_root() == "/tmp");
  }
  ScopedVar v("TMPDIR", "/var/tmp/x");
  CHECK(cli::temp_root() == "/var/tmp/x");
}
