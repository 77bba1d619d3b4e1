#pragma once
// A source that checks what streams through it against an expected size and SHA-256: every blob read and
// every layer's diff_id goes through one (umoci's VerifiedReadCloser). A mismatch throws BadInput from
// read(), at the latest when the end of the stream is reached, so callers must read to the end (drain).
#include <string>
#include <whittle/util/byte_stream.hpp>
#include <whittle/util/sha256.hpp>

namespace whittle::archive {

class VerifiedSource : public util::ByteSource
{
public:
  static constexpr uint64_t any_size = UINT64_MAX;
  // expected_sha256_hex: 64 lowercase hex chars. `what` names the object in errors
  // (e.g. "blob sha256:ab.. in `img.tar`").
  VerifiedSource(util::ByteSource& in, std::string expected_sha256_hex, uint64_t expected_size,
                 std::string what);
  size_t read(void* buf, size_t n) override;
  uint64_t bytes_read() const { return m_read; }

private:
  util::ByteSource& m_in;
  std::string m_expected;
  uint64_t m_expected_size;
  std::string m_what;
  util::Sha256 m_hash;
  uint64_t m_read = 0;
  bool m_done = false;
  std::string m_error; // set once verification failed: every later read() throws it again
};

} // namespace whittle::archive
