#include "support/test_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <random>
#include <whittle/archive/compression.hpp>
#include <whittle/util/error.hpp>
#include <zlib.h>

using namespace whittle;
using namespace whittle::archive;

namespace {

// Pseudo-random but compressible text, so codecs produce several blocks.
std::string
sample_data(size_t n, unsigned seed = 1)
{
  std::mt19937 rng(seed);
  static const char* words[] = {"alpha ",   "beta ", "gamma ", "delta\n",
                                "epsilon ", "zeta ", "eta\t",  "theta "};
  std::string s;
  s.reserve(n + 16);
  while (s.size() < n) {
    if (rng() % 7 == 0) {
      s.push_back(static_cast<char>(rng() & 0xff));
    } else {
      s += words[rng() % 8];
    }
  }
  s.resize(n);
  return s;
}

// A source that hands out at most `chunk` bytes per read, to exercise every buffer boundary.
class TrickleSource : public util::ByteSource
{
public:
  TrickleSource(std::string data, size_t chunk) : m_data(std::move(data)), m_chunk(chunk) {}
  size_t read(void* buf, size_t n) override
  {
    n = std::min({n, m_chunk, m_data.size() - m_pos});
    std::memcpy(buf, m_data.data() + m_pos, n);
    m_pos += n;
    return n;
  }

private:
  std::string m_data;
  size_t m_chunk;
  size_t m_pos = 0;
};

// An endless-ish source of zeros (never held in memory).
class ZeroSource : public util::ByteSource
{
public:
  explicit ZeroSource(uint64_t n) : m_left(n) {}
  size_t read(void* buf, size_t n) override
  {
    n = static_cast<size_t>(std::min<uint64_t>(n, m_left));
    std::memset(buf, 0, n);
    m_left -= n;
    return n;
  }

private:
  uint64_t m_left;
};

std::string
decode(Compression c, const std::string& data, size_t chunk = SIZE_MAX, DecodeLimits limits = {})
{
  TrickleSource src(data, chunk);
  auto dec = make_decoder(c, src, "blob sha256:test", limits);
  return util::read_all(*dec, SIZE_MAX, "decoded");
}

std::string
encode(Compression c, const std::string& data, size_t chunk = SIZE_MAX)
{
  util::StringSink out;
  auto enc = make_encoder(c, out, "blob test");
  for (size_t pos = 0; pos < data.size(); pos += chunk) {
    enc->write(data.data() + pos, std::min(chunk, data.size() - pos));
  }
  enc->finish();
  return out.take();
}

std::string
error_of(Compression c, const std::string& data, DecodeLimits limits = {})
{
  try {
    decode(c, data, SIZE_MAX, limits);
  } catch (const BadInput& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("archive::Compression names and sniffing", "[archive]")
{
  CHECK(to_string(Compression::gzip) == "gzip");
  CHECK(to_string(Compression::zstd) == "zstd");
  CHECK(to_string(Compression::none) == "none");
  CHECK(parse_compression("uncompressed") == Compression::none);
  CHECK(parse_compression("zstd") == Compression::zstd);
  CHECK_FALSE(parse_compression("bzip2").has_value());
  const unsigned char gz[] = {0x1f, 0x8b, 0x08};
  const unsigned char zs[] = {0x28, 0xb5, 0x2f, 0xfd};
  CHECK(sniff_compression(gz, 3) == Compression::gzip);
  CHECK(sniff_compression(zs, 4) == Compression::zstd);
  CHECK(sniff_compression(zs, 3) == Compression::none);
  CHECK(sniff_compression(gz, 1) == Compression::none);
}

TEST_CASE("archive codecs round-trip", "[archive]")
{
  const std::string data = sample_data(3 * 1024 * 1024 + 17);
  for (Compression c : {Compression::none, Compression::gzip, Compression::zstd}) {
    INFO(to_string(c));
    std::string packed = encode(c, data, 70000);
    if (c != Compression::none) {
      CHECK(packed.size() < data.size());
    }
    CHECK(decode(c, packed) == data);
    CHECK(decode(c, packed, 1000) == data);
    CHECK(decode(c, encode(c, "")) == "");
    // Sniffing picks the codec from the magic bytes, even from a source that trickles one byte at a time.
    TrickleSource src(packed, 1);
    auto dec = make_sniffing_decoder(src, "blob sniffed");
    CHECK(util::read_all(*dec, SIZE_MAX, "decoded") == data);
  }
}

TEST_CASE("archive sniffing passes short and plain streams through", "[archive]")
{
  for (std::string plain :
       {std::string(), std::string("a"), std::string("\x1f"), std::string("tar\0data", 8)}) {
    util::StringSource src(plain);
    auto dec = make_sniffing_decoder(src, "blob");
    CHECK(util::read_all(*dec, 100, "decoded") == plain);
  }
  // gzip magic with nothing after it is a truncated gzip stream, not plain data.
  util::StringSource src(std::string("\x1f\x8b", 2));
  auto dec = make_sniffing_decoder(src, "blob");
  CHECK_THROWS_WITH(util::read_all(*dec, 100, "decoded"), Catch::Contains("truncated"));
}

TEST_CASE("archive codecs decode what independent tools wrote", "[archive]")
{
  const std::string data = sample_data(500000, 2);
  CHECK(decode(Compression::gzip, test::gzip(data)) == data);
  CHECK(decode(Compression::zstd, test::zstd(data)) == data);
  // Our encodings are readable by zcat / zstdcat.
  test::TestDir dir;
  test::write_file(dir / "x.gz", encode(Compression::gzip, data));
  test::write_file(dir / "x.zst", encode(Compression::zstd, data));
  std::string out;
  // gzip(1) stores the file name (FNAME) and mtime in the header; pigz too, and it adds more members.
  test::write_file(dir / "plain", data);
  REQUIRE(test::run_command("gzip -k '" + dir / "plain" + "' && pigz -c -b 128 '" + dir / "plain" + "' > '" +
                            dir / "p.gz" + "'") == 0);
  CHECK(decode(Compression::gzip, test::read_file(dir / "plain.gz"), 100) == data);
  CHECK(decode(Compression::gzip, test::read_file(dir / "p.gz"), 3000) == data);
  REQUIRE(test::run_command("gzip -dc '" + dir / "x.gz" + "'", &out, false) == 0);
  CHECK(out == data);
  REQUIRE(test::run_command("zstd -dc '" + dir / "x.zst" + "'", &out, false) == 0);
  CHECK(out == data);
}

TEST_CASE("archive gzip decodes multi-member streams", "[archive]")
{
  const std::string a = sample_data(200000, 3);
  const std::string b = sample_data(100, 4);
  std::string two = test::gzip(a) + test::gzip(b) + test::gzip("");
  for (size_t chunk : {size_t(1), size_t(7), size_t(4096), SIZE_MAX}) {
    INFO(chunk);
    CHECK(decode(Compression::gzip, two, chunk) == a + b);
  }
  std::string zs = test::zstd(a) + test::zstd(b);
  CHECK(decode(Compression::zstd, zs, 5) == a + b);
}

TEST_CASE("archive decoders reject truncated, corrupt and trailing data", "[archive]")
{
  const std::string data = sample_data(300000, 5);
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    INFO(to_string(c));
    std::string packed = encode(c, data);
    SECTION("truncated at many points")
    {
      for (size_t cut : {size_t(0), size_t(1), size_t(5), size_t(11), packed.size() / 2, packed.size() - 9,
                         packed.size() - 4, packed.size() - 1}) {
        INFO(cut);
        std::string msg = error_of(c, packed.substr(0, cut));
        CHECK_THAT(msg, Catch::Contains("blob sha256:test") && Catch::Contains("truncated"));
      }
    }
    SECTION("corrupt payload")
    {
      std::string bad = packed;
      for (size_t i = packed.size() / 3; i < packed.size() / 3 + 64; ++i) {
        bad[i] = static_cast<char>(bad[i] ^ 0x5a);
      }
      CHECK_THAT(error_of(c, bad), Catch::StartsWith("decompress blob sha256:test: "));
    }
    SECTION("trailing garbage")
    {
      CHECK_THAT(error_of(c, packed + "garbage!"), Catch::StartsWith("decompress blob sha256:test: "));
      CHECK_FALSE(error_of(c, packed + std::string(512, '\0')).empty());
    }
  }
  SECTION("gzip trailer checks")
  {
    std::string packed = encode(Compression::gzip, data);
    std::string bad_crc = packed;
    bad_crc[bad_crc.size() - 8] ^= 1;
    CHECK_THAT(error_of(Compression::gzip, bad_crc), Catch::Contains("mismatch"));
    std::string bad_size = packed;
    bad_size[bad_size.size() - 4] ^= 1;
    CHECK_THAT(error_of(Compression::gzip, bad_size), Catch::Contains("mismatch"));
    CHECK_THAT(error_of(Compression::gzip, "not gzip at all"),
               Catch::Contains("decompress blob sha256:test"));
  }
}

TEST_CASE("archive decoders stop decompression bombs", "[archive]")
{
  SECTION("absolute limit, streamed from a generator")
  {
    ZeroSource zeros(300ULL << 20);
    util::StringSink packed;
    auto enc = make_encoder(Compression::gzip, packed, "zeros");
    util::copy_stream(zeros, *enc);
    enc->finish();
    CHECK(packed.data().size() < (1 << 20));
    DecodeLimits limits;
    limits.max_output = 100ULL << 20;
    limits.max_ratio = 1ULL << 40;
    CHECK_THAT(error_of(Compression::gzip, packed.data(), limits),
               Catch::StartsWith("decompress blob sha256:test: output exceeds"));
    // The default ratio limit (500) catches the same stream (ratio ~1000).
    DecodeLimits defaults;
    CHECK_THAT(error_of(Compression::gzip, packed.data(), defaults),
               Catch::Contains("times the compressed input"));
  }
  SECTION("ratio limit applies only above the floor")
  {
    std::string zeros(4 << 20, '\0');
    DecodeLimits limits;
    limits.ratio_floor = 8 << 20;
    limits.max_ratio = 10;
    for (Compression c : {Compression::gzip, Compression::zstd}) {
      CHECK(decode(c, encode(c, zeros), SIZE_MAX, limits) == zeros);
      limits.ratio_floor = 1 << 20;
      CHECK_THAT(error_of(c, encode(c, zeros), limits), Catch::Contains("times the compressed input"));
      limits.ratio_floor = 8 << 20;
    }
    DecodeLimits small;
    small.max_output = 1000;
    CHECK_THAT(error_of(Compression::none, zeros, small), Catch::Contains("exceeds the limit of 1000 bytes"));
  }
  SECTION("the process-wide default applies where no limits are passed")
  {
    CHECK(default_decode_limits().max_output == DecodeLimits{}.max_output);
    CHECK(default_decode_limits().max_ratio == DecodeLimits{}.max_ratio);
    DecodeLimits small;
    small.max_output = 1000;
    set_default_decode_limits(small);
    struct Restore
    {
      ~Restore() { set_default_decode_limits(DecodeLimits{}); }
    } restore;
    CHECK(default_decode_limits().max_output == 1000);
    util::StringSource in(std::string(4096, '\0'));
    auto decoder = make_decoder(Compression::none, in, "zeros");
    CHECK_THROWS_WITH(util::read_all(*decoder, SIZE_MAX, "zeros"),
                      Catch::Contains("exceeds the limit of 1000 bytes"));
  }
}

TEST_CASE("archive encoders are deterministic", "[archive]")
{
  const std::string data = sample_data(1 << 20, 6);
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    INFO(to_string(c));
    CHECK(encode(c, data) == encode(c, data, 4096));
  }
  std::string gz = encode(Compression::gzip, data);
  REQUIRE(gz.size() > 10);
  // ID1 ID2 CM FLG MTIME(4) XFL OS: no name, mtime 0, OS unknown.
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gz[2] == 8);
  CHECK(gz[3] == 0);
  CHECK(gz.substr(4, 4) == std::string(4, '\0'));
  CHECK(static_cast<unsigned char>(gz[9]) == 255);
}

TEST_CASE("archive gzip members split at random read sizes", "[archive]")
{
  std::mt19937 rng(42);
  std::string packed;
  std::string plain;
  for (size_t size : {size_t(0), size_t(1), size_t(70000), size_t(5), size_t(300000), size_t(33)}) {
    std::string part = sample_data(size, static_cast<unsigned>(size));
    plain += part;
    packed += (size % 2 ? test::gzip(part) : encode(Compression::gzip, part));
  }
  // A source whose read sizes vary at random.
  class RandomChunks : public util::ByteSource
  {
  public:
    RandomChunks(const std::string& data, std::mt19937& rng) : m_data(data), m_rng(rng) {}
    size_t read(void* buf, size_t n) override
    {
      n = std::min({n, static_cast<size_t>(m_rng() % 9000 + 1), m_data.size() - m_pos});
      std::memcpy(buf, m_data.data() + m_pos, n);
      m_pos += n;
      return n;
    }

  private:
    const std::string& m_data;
    std::mt19937& m_rng;
    size_t m_pos = 0;
  };
  for (int round = 0; round < 20; ++round) {
    RandomChunks src(packed, rng);
    auto dec = make_decoder(Compression::gzip, src, "blob");
    std::string out;
    char buf[5000];
    while (size_t n = dec->read(buf, rng() % sizeof buf + 1)) {
      out.append(buf, n);
    }
    CHECK(out == plain);
  }
}

TEST_CASE("archive decoders survive random corruption", "[archive]")
{
  const std::string data = sample_data(200000, 9);
  std::mt19937 rng(7);
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    const std::string packed = encode(c, data);
    int rejected = 0;
    for (int round = 0; round < 150; ++round) {
      std::string bad = packed;
      for (int k = 0; k < 1 + round % 4; ++k) {
        bad[rng() % bad.size()] = static_cast<char>(rng());
      }
      try {
        // Either the checksum catches it or (rarely: a byte in a header field nobody checks) it decodes.
        std::string out = decode(c, bad);
        CHECK(out == data);
      } catch (const BadInput&) {
        ++rejected;
      }
    }
    CHECK(rejected > 100);
  }
}

TEST_CASE("archive gzip reads headers with extra field, name, comment and header CRC", "[archive]")
{
  const std::string data = sample_data(100000, 11);
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  gz_header h{};
  // An eStargz-style subfield: id "SG", little-endian length 4, 4 bytes of data.
  std::string extra("SG\x04\x00"
                    "abcd",
                    8);
  std::string name = "layer.tar";
  std::string comment = "a comment";
  h.extra = reinterpret_cast<Bytef*>(extra.data());
  h.extra_len = static_cast<uInt>(extra.size());
  h.name = reinterpret_cast<Bytef*>(name.data());
  h.comment = reinterpret_cast<Bytef*>(comment.data());
  h.hcrc = 1;
  h.time = 1700000000;
  REQUIRE(deflateSetHeader(&z, &h) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  REQUIRE((out[3] & 28) == 28);
  for (size_t chunk : {size_t(1), size_t(3), size_t(20), size_t(40), SIZE_MAX}) {
    INFO(chunk);
    CHECK(decode(Compression::gzip, out + test::gzip("x") + out, chunk) == data + "x" + data);
  }
  std::string bad_hcrc = out;
  bad_hcrc[10 + 2 + extra.size() + name.size() + 1 + comment.size() + 1] ^= 1;
  CHECK_THROWS_WITH(decode(Compression::gzip, bad_hcrc), Catch::Contains("header checksum mismatch"));
  std::string reserved = out;
  reserved[3] = static_cast<char>(reserved[3] | 0x20);
  CHECK_THROWS_WITH(decode(Compression::gzip, reserved), Catch::Contains("reserved gzip header flags"));
}
