#include "json_util.hpp"

#include <whittle/oci/digest.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/sha256.hpp>

namespace whittle::oci {

using detail::printable;

namespace {

bool
is_lower_hex(const std::string& s)
{
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

} // namespace

Digest
Digest::parse(const std::string& s, const std::string& what)
{
  auto colon = s.find(':');
  if (colon == std::string::npos) {
    throw BadInput("parse " + what + " `" + printable(s) + "`: not of the form algorithm:hex");
  }
  std::string alg = s.substr(0, colon);
  std::string hex = s.substr(colon + 1);
  size_t want = 0;
  if (alg == "sha256") {
    want = 64;
  } else if (alg == "sha512") {
    want = 128;
  } else {
    throw BadInput("parse " + what + " `" + printable(s) + "`: unsupported algorithm `" + printable(alg) +
                   "` (sha256 or sha512)");
  }
  if (hex.size() != want || !is_lower_hex(hex)) {
    throw BadInput("parse " + what + " `" + printable(s) + "`: expected " + std::to_string(want) +
                   " lowercase hex digits");
  }
  return Digest{alg, hex};
}

Digest
Digest::of(const std::string& data)
{
  return Digest::sha256(util::sha256_hex(data));
}

} // namespace whittle::oci
