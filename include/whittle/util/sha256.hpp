#pragma once
// Incremental SHA-256 through OpenSSL's EVP interface (uses SHA-NI where the CPU has it).
#include <array>
#include <cstdint>
#include <string>
#include <whittle/util/byte_stream.hpp>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace whittle::util {

class Sha256
{
public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  void update(const void* data, size_t n);
  // Returns the lowercase hex digest (64 characters); the hasher cannot be updated afterwards.
  std::string hex_final();

private:
  EVP_MD_CTX* m_ctx;
};

// Returns the lowercase hex SHA-256 of data.
std::string sha256_hex(const std::string& data);

// A sink that hashes and counts what passes through it on the way to an optional next sink.
class HashingSink : public ByteSink
{
public:
  explicit HashingSink(ByteSink* next = nullptr) : m_next(next) {}
  void write(const void* buf, size_t n) override;
  void finish() override;
  uint64_t size() const { return m_size; }
  // Valid once, after finish() or at the end of writing.
  std::string hex_final() { return m_hash.hex_final(); }

private:
  ByteSink* m_next;
  Sha256 m_hash;
  uint64_t m_size = 0;
};

} // namespace whittle::util
