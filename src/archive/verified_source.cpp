#include <whittle/archive/verified_source.hpp>
#include <whittle/util/error.hpp>

namespace whittle::archive {

VerifiedSource::VerifiedSource(util::ByteSource& in, std::string expected_sha256_hex, uint64_t expected_size,
                               std::string what)
    : m_in(in), m_expected(std::move(expected_sha256_hex)), m_expected_size(expected_size),
      m_what(std::move(what))
{
}

size_t
VerifiedSource::read(void* buf, size_t n)
{
  if (!m_error.empty()) {
    throw BadInput(m_error);
  }
  if (m_done || n == 0) {
    return 0;
  }
  size_t got = m_in.read(buf, n);
  if (got > 0) {
    m_read += got;
    if (m_expected_size != any_size && m_read > m_expected_size) {
      m_error = "verify " + m_what + ": size mismatch (more than the expected " +
                std::to_string(m_expected_size) + " bytes)";
      throw BadInput(m_error);
    }
    m_hash.update(buf, got);
    return got;
  }
  m_done = true;
  if (m_expected_size != any_size && m_read != m_expected_size) {
    m_error = "verify " + m_what + ": size mismatch (got " + std::to_string(m_read) + " bytes, expected " +
              std::to_string(m_expected_size) + "; truncated?)";
    throw BadInput(m_error);
  }
  std::string got_hex = m_hash.hex_final();
  if (got_hex != m_expected) {
    m_error = "verify " + m_what + ": digest mismatch (got sha256:" + got_hex +
              ", expected sha256:" + m_expected + ")";
    throw BadInput(m_error);
  }
  return 0;
}

} // namespace whittle::archive
