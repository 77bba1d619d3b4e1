#include <cstdlib>
#include <whittle/cli/environment.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/number.hpp>

namespace whittle::cli {

namespace {

// The variable's value; nullopt when unset or empty.
std::optional<std::string>
variable(const char* name)
{
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    return std::nullopt;
  }
  return std::string(v);
}

[[noreturn]] void
refuse(const char* name, const std::string& value, const std::string& expected)
{
  throw UsageError(std::string("parse ") + name + "=`" + value + "`: expected " + expected);
}

std::optional<uint64_t>
size_variable(const char* name)
{
  std::optional<std::string> v = variable(name);
  if (!v) {
    return std::nullopt;
  }
  std::optional<uint64_t> n = util::parse_size(*v);
  if (!n) {
    refuse(name, *v, "a positive number of bytes, optionally with K, M, G or T (KiB, MiB, GiB, TiB)");
  }
  return n;
}

} // namespace

std::optional<int64_t>
source_date_epoch()
{
  const char* name = "SOURCE_DATE_EPOCH";
  std::optional<std::string> v = variable(name);
  if (!v) {
    return std::nullopt;
  }
  std::optional<uint64_t> n = util::parse_uint(*v, INT64_MAX);
  if (!n) {
    refuse(name, *v, "a non-negative integer (seconds since 1970)");
  }
  return static_cast<int64_t>(*n);
}

archive::DecodeLimits
decode_limits()
{
  archive::DecodeLimits limits;
  if (std::optional<uint64_t> bytes = size_variable("WHITTLE_MAX_LAYER_BYTES")) {
    limits.max_output = *bytes;
  }
  const char* ratio_name = "WHITTLE_MAX_LAYER_RATIO";
  if (std::optional<std::string> v = variable(ratio_name)) {
    std::optional<uint64_t> ratio = util::parse_uint(*v);
    if (!ratio || *ratio == 0) {
      refuse(ratio_name, *v, "a positive whole number (decoded bytes per compressed byte)");
    }
    limits.max_ratio = *ratio;
  }
  return limits;
}

std::optional<uint64_t>
max_image_bytes()
{
  return size_variable("WHITTLE_MAX_IMAGE_BYTES");
}

std::string
temp_root()
{
  return variable("TMPDIR").value_or("/tmp");
}

void
apply_environment_limits()
{
  archive::set_default_decode_limits(decode_limits());
  if (std::optional<uint64_t> bytes = max_image_bytes()) {
    rootfs::set_default_max_image_bytes(*bytes);
  }
}

} // namespace whittle::cli
