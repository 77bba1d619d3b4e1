#include <openssl/evp.h>
#include <whittle/util/error.hpp>
#include <whittle/util/sha256.hpp>

namespace whittle::util {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new())
{
  if (!m_ctx || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1) {
    throw Error("initialise SHA-256: OpenSSL failed");
  }
}

Sha256::~Sha256()
{
  EVP_MD_CTX_free(m_ctx);
}

void
Sha256::update(const void* data, size_t n)
{
  EVP_DigestUpdate(m_ctx, data, n);
}

std::string
Sha256::hex_final()
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(m_ctx, md, &len);
  static const char* k_hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(k_hex[md[i] >> 4]);
    out.push_back(k_hex[md[i] & 15]);
  }
  return out;
}

std::string
sha256_hex(const std::string& data)
{
  Sha256 h;
  h.update(data.data(), data.size());
  return h.hex_final();
}

void
HashingSink::write(const void* buf, size_t n)
{
  m_hash.update(buf, n);
  m_size += n;
  if (m_next) {
    m_next->write(buf, n);
  }
}

void
HashingSink::finish()
{
  if (m_next) {
    m_next->finish();
  }
}

} // namespace whittle::util
