#include <charconv>
#include <cmath>
#include <whittle/util/number.hpp>

namespace whittle::util {

namespace {

bool
all_digits(std::string_view s)
{
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

} // namespace

std::optional<uint64_t>
parse_uint(std::string_view text, uint64_t max)
{
  // from_chars alone would accept a leading "-" for signed types only, but it stops at the first
  // non-digit without complaint: the digit check makes the whole text count.
  if (!all_digits(text)) {
    return std::nullopt;
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) {
    return std::nullopt;
  }
  return v;
}

std::optional<uint32_t>
parse_id(std::string_view text)
{
  auto v = parse_uint(text, k_max_id);
  if (!v) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

std::optional<uint64_t>
parse_size(std::string_view text)
{
  static const std::pair<std::string_view, uint64_t> k_suffixes[] = {
      {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40},
      {"K", 1ULL << 10},   {"M", 1ULL << 20},   {"G", 1ULL << 30},   {"T", 1ULL << 40},
      {"k", 1ULL << 10},   {"m", 1ULL << 20},   {"g", 1ULL << 30},   {"t", 1ULL << 40},
  };
  uint64_t mult = 1;
  for (const auto& [suffix, m] : k_suffixes) {
    if (text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
      text.remove_suffix(suffix.size());
      mult = m;
      break;
    }
  }
  auto n = parse_uint(text);
  if (!n || *n == 0 || *n > UINT64_MAX / mult) {
    return std::nullopt;
  }
  return *n * mult;
}

std::optional<std::chrono::milliseconds>
parse_seconds(std::string_view text, double max_seconds)
{
  // Digits and at most one point: this refuses a sign, an exponent, "inf", "nan" and hex floats, which
  // from_chars would otherwise accept.
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos ||
      text.find('.') != text.rfind('.') || text == ".") {
    return std::nullopt;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v <= 0 ||
      v > max_seconds) {
    return std::nullopt;
  }
  auto ms = static_cast<int64_t>(std::llround(v * 1000));
  return std::chrono::milliseconds(ms < 1 ? 1 : ms);
}

} // namespace whittle::util
