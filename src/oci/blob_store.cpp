#include "stores.hpp"

#include <whittle/archive/verified_source.hpp>
#include <whittle/util/error.hpp>

namespace whittle::oci::detail {

namespace {

class OwningVerifiedSource : public util::ByteSource
{
public:
  OwningVerifiedSource(std::unique_ptr<util::ByteSource> inner, const Descriptor& d, const std::string& what)
      : m_inner(std::move(inner)), m_verified(*m_inner, d.digest.hex, static_cast<uint64_t>(d.size), what)
  {
  }
  size_t read(void* buf, size_t n) override { return m_verified.read(buf, n); }

private:
  std::unique_ptr<util::ByteSource> m_inner;
  archive::VerifiedSource m_verified;
};

} // namespace

std::unique_ptr<util::ByteSource>
verified(std::unique_ptr<util::ByteSource> inner, const Descriptor& d, const std::string& what)
{
  if (d.digest.algorithm != "sha256") {
    throw BadInput("verify " + what + ": digest algorithm " + d.digest.algorithm +
                   " is not supported for verification (only sha256)");
  }
  if (d.size < 0) {
    throw BadInput("verify " + what + ": negative size");
  }
  return std::make_unique<OwningVerifiedSource>(std::move(inner), d, what);
}

} // namespace whittle::oci::detail
