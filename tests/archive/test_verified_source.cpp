#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <whittle/archive/verified_source.hpp>
#include <whittle/util/error.hpp>

using namespace whittle;
using namespace whittle::archive;

namespace {

std::string
verify_error(const std::string& data, const std::string& digest, uint64_t size)
{
  util::StringSource in(data);
  VerifiedSource v(in, digest, size, "blob sha256:abcd in `img.tar`");
  try {
    util::drain(v);
  } catch (const BadInput& e) {
    // Once failed, it stays failed.
    CHECK_THROWS_AS(v.read(nullptr, 1), BadInput);
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("archive::VerifiedSource checks size and digest", "[archive]")
{
  const std::string data(100000, 'x');
  const std::string digest = test::sha256_hex(data);
  {
    util::StringSource in(data);
    VerifiedSource v(in, digest, data.size(), "blob");
    CHECK(util::drain(v) == data.size());
    CHECK(v.bytes_read() == data.size());
    char c;
    CHECK(v.read(&c, 1) == 0);
  }
  {
    util::StringSource in(data);
    VerifiedSource v(in, digest, VerifiedSource::any_size, "blob");
    CHECK(util::drain(v) == data.size());
  }
  CHECK(verify_error(data, digest, data.size()).empty());
  CHECK(verify_error(data.substr(1) + "y", digest, data.size()) ==
        "verify blob sha256:abcd in `img.tar`: digest mismatch (got sha256:" +
            test::sha256_hex(data.substr(1) + "y") + ", expected sha256:" + digest + ")");
  CHECK_THAT(verify_error(data.substr(1), digest, data.size()),
             Catch::StartsWith("verify blob sha256:abcd in `img.tar`: size mismatch (got 99999 bytes"));
  CHECK_THAT(verify_error(data + "z", digest, data.size()),
             Catch::StartsWith("verify blob sha256:abcd in `img.tar`: size mismatch (more than"));
  CHECK_THAT(verify_error(data, digest, 10), Catch::Contains("size mismatch"));
  CHECK_THAT(verify_error("", digest, VerifiedSource::any_size), Catch::Contains("digest mismatch"));
}
