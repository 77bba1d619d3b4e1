#include <algorithm>
#include <cstring>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <vector>
#include <whittle/archive/compression.hpp>
#include <whittle/util/error.hpp>
#include <zlib.h>
#include <zstd.h>

namespace whittle::archive {

namespace {

// Codec buffers: large enough that per-call overhead vanishes, small enough to stay in L2.
constexpr size_t k_in_buffer = 256 * 1024;
constexpr size_t k_out_buffer = 256 * 1024;

// Counts decoded bytes against the limits; `what` names the blob.
class LimitGuard
{
public:
  LimitGuard(DecodeLimits limits, const std::string& what) : m_limits(limits), m_what(what) {}

  void add(uint64_t out, uint64_t in_so_far)
  {
    m_out += out;
    if (m_out > m_limits.max_output) {
      throw BadInput("decompress " + m_what + ": output exceeds the limit of " +
                     std::to_string(m_limits.max_output) +
                     " bytes (WHITTLE_MAX_LAYER_BYTES; a decompression bomb?)");
    }
    if (m_out > m_limits.ratio_floor && m_out / std::max<uint64_t>(in_so_far, 1) > m_limits.max_ratio) {
      throw BadInput("decompress " + m_what + ": output exceeds " + std::to_string(m_limits.max_ratio) +
                     " times the compressed input (WHITTLE_MAX_LAYER_RATIO; a decompression bomb?)");
    }
  }

private:
  DecodeLimits m_limits;
  const std::string& m_what;
  uint64_t m_out = 0;
};

class PassthroughDecoder : public util::ByteSource
{
public:
  PassthroughDecoder(util::ByteSource& in, std::string what, DecodeLimits limits)
      : m_in(in), m_what(std::move(what)), m_guard(limits, m_what)
  {
  }

  size_t read(void* buf, size_t n) override
  {
    size_t got = m_in.read(buf, n);
    m_in_total += got;
    m_guard.add(got, m_in_total);
    return got;
  }

private:
  util::ByteSource& m_in;
  std::string m_what;
  LimitGuard m_guard;
  uint64_t m_in_total = 0;
};

// gzip through ISA-L (several times faster than zlib's inflate). Members are decoded one after another
// (RFC 1952 allows concatenation); anything after the last member that is not a gzip member is an error.
// Headers are parsed here, not by ISA-L: its header-CRC (FHCRC) check fails on headers split across reads.
class GzipDecoder : public util::ByteSource
{
public:
  GzipDecoder(util::ByteSource& in, std::string what, DecodeLimits limits)
      : m_in(in), m_what(std::move(what)), m_guard(limits, m_what), m_inbuf(k_in_buffer)
  {
    isal_inflate_init(&m_state);
  }

  size_t read(void* buf, size_t n) override
  {
    if (m_finished || n == 0) {
      return 0;
    }
    n = std::min<size_t>(n, UINT32_MAX);
    for (;;) {
      if (!m_need_header && m_state.block_state == ISAL_BLOCK_FINISH) {
        ++m_members_done;
        m_need_header = true;
      }
      if (m_need_header) {
        // At a member boundary: the stream ends here, or another member follows.
        if (!read_header()) {
          m_finished = true;
          return 0;
        }
        isal_inflate_reset(&m_state);
        m_state.crc_flag = ISAL_GZIP_NO_HDR_VER; // deflate data, then CRC-32 and ISIZE checked
        m_need_header = false;
      }
      if (m_state.avail_in == 0 && !m_in_eof) {
        fill();
      }
      m_state.next_out = static_cast<uint8_t*>(buf);
      m_state.avail_out = static_cast<uint32_t>(n);
      int rc = isal_inflate(&m_state);
      if (rc != ISAL_DECOMP_OK) {
        fail(rc == ISAL_INCORRECT_CHECKSUM ? "gzip checksum or length mismatch (corrupt data)"
             : rc == ISAL_NEED_DICT        ? "gzip data needs a preset dictionary"
                                           : "corrupt gzip data");
      }
      size_t produced = n - m_state.avail_out;
      if (produced > 0) {
        m_guard.add(produced, m_in_total);
        return produced;
      }
      if (m_state.block_state == ISAL_BLOCK_FINISH) {
        continue;
      }
      if (m_state.avail_in == 0 && m_in_eof) {
        fail("unexpected end of gzip data (truncated?)");
      }
    }
  }

private:
  bool fill()
  {
    if (m_in_eof) {
      return false;
    }
    size_t got = m_in.read(m_inbuf.data(), m_inbuf.size());
    if (got == 0) {
      m_in_eof = true;
      return false;
    }
    m_in_total += got;
    m_state.next_in = m_inbuf.data();
    m_state.avail_in = static_cast<uint32_t>(got);
    return true;
  }

  // Consumes one member header from the input; returns false at a clean end of stream after a member.
  bool read_header()
  {
    constexpr size_t k_step = 4096;
    constexpr size_t k_max_header = 1 << 20;
    m_header.clear();
    for (;;) {
      if (m_state.avail_in == 0 && !fill()) {
        if (m_header.empty() && m_members_done > 0) {
          return false;
        }
        fail("unexpected end of gzip data (truncated?)");
      }
      size_t old = m_header.size();
      size_t take = std::min<size_t>(m_state.avail_in, k_step);
      m_header.append(reinterpret_cast<const char*>(m_state.next_in), take);
      std::optional<size_t> len = parse_header();
      size_t used = len ? *len - old : take;
      m_state.next_in += used;
      m_state.avail_in -= static_cast<uint32_t>(used);
      if (len) {
        return true;
      }
      if (m_header.size() > k_max_header) {
        fail("gzip header longer than " + std::to_string(k_max_header) + " bytes");
      }
    }
  }

  // Returns the header length once m_header holds a whole RFC 1952 header, nullopt while it is incomplete.
  std::optional<size_t> parse_header()
  {
    const auto* h = reinterpret_cast<const unsigned char*>(m_header.data());
    const size_t n = m_header.size();
    if ((n >= 1 && h[0] != 0x1f) || (n >= 2 && h[1] != 0x8b)) {
      fail(m_members_done > 0 ? "trailing garbage after the gzip data" : "not gzip data (bad magic)");
    }
    if (n < 10) {
      return std::nullopt;
    }
    if (h[2] != 8) {
      fail("unsupported gzip compression method " + std::to_string(h[2]));
    }
    const unsigned flags = h[3];
    if (flags & 0xe0) {
      fail("reserved gzip header flags set");
    }
    size_t pos = 10;
    if (flags & 4) { // FEXTRA
      if (n < pos + 2) {
        return std::nullopt;
      }
      pos += 2 + (h[pos] | (static_cast<size_t>(h[pos + 1]) << 8));
      if (n < pos) {
        return std::nullopt;
      }
    }
    for (unsigned text_flag : {8U, 16U}) { // FNAME, FCOMMENT: NUL-terminated
      if (flags & text_flag) {
        const void* nul = std::memchr(h + pos, 0, n - pos);
        if (!nul) {
          return std::nullopt;
        }
        pos = static_cast<size_t>(static_cast<const unsigned char*>(nul) - h) + 1;
      }
    }
    if (flags & 2) { // FHCRC: low 16 bits of the CRC-32 of the header so far
      if (n < pos + 2) {
        return std::nullopt;
      }
      uLong crc = crc32(0, h, static_cast<uInt>(pos)) & 0xffff;
      if (crc != (h[pos] | (static_cast<uLong>(h[pos + 1]) << 8))) {
        fail("gzip header checksum mismatch");
      }
      pos += 2;
    }
    return pos;
  }

  [[noreturn]] void fail(const std::string& cause) { throw BadInput("decompress " + m_what + ": " + cause); }

  util::ByteSource& m_in;
  std::string m_what;
  LimitGuard m_guard;
  std::vector<uint8_t> m_inbuf;
  inflate_state m_state{};
  std::string m_header;
  uint64_t m_in_total = 0;
  bool m_in_eof = false;
  bool m_finished = false;
  bool m_need_header = true;
  uint64_t m_members_done = 0;
};

class ZstdDecoder : public util::ByteSource
{
public:
  ZstdDecoder(util::ByteSource& in, std::string what, DecodeLimits limits)
      : m_in(in), m_what(std::move(what)), m_guard(limits, m_what), m_inbuf(k_in_buffer),
        m_ctx(ZSTD_createDCtx())
  {
    if (!m_ctx) {
      throw Error("decompress " + m_what + ": cannot create a zstd context");
    }
  }
  ~ZstdDecoder() override { ZSTD_freeDCtx(m_ctx); }

  size_t read(void* buf, size_t n) override
  {
    if (m_finished || n == 0) {
      return 0;
    }
    for (;;) {
      if (m_input.pos == m_input.size && !m_in_eof) {
        size_t got = m_in.read(m_inbuf.data(), m_inbuf.size());
        if (got == 0) {
          m_in_eof = true;
        } else {
          m_in_total += got;
          m_input = {m_inbuf.data(), got, 0};
        }
      }
      ZSTD_outBuffer output{buf, n, 0};
      size_t in_before = m_input.pos;
      size_t rc = ZSTD_decompressStream(m_ctx, &output, &m_input);
      if (ZSTD_isError(rc)) {
        throw BadInput("decompress " + m_what + ": corrupt zstd data (" + ZSTD_getErrorName(rc) + ")");
      }
      if (m_input.pos != in_before || output.pos > 0) {
        // 0 means a frame ended and everything was flushed; an idle call returns a size hint instead.
        m_frame_done = rc == 0;
      }
      if (output.pos > 0) {
        m_guard.add(output.pos, m_in_total);
        return output.pos;
      }
      if (m_input.pos == m_input.size && m_in_eof) {
        if (!m_frame_done || m_in_total == 0) {
          throw BadInput("decompress " + m_what + ": unexpected end of zstd data (truncated?)");
        }
        m_finished = true;
        return 0;
      }
    }
  }

private:
  util::ByteSource& m_in;
  std::string m_what;
  LimitGuard m_guard;
  std::vector<char> m_inbuf;
  ZSTD_DCtx* m_ctx;
  ZSTD_inBuffer m_input{nullptr, 0, 0};
  uint64_t m_in_total = 0;
  bool m_in_eof = false;
  bool m_finished = false;
  bool m_frame_done = false;
};

// Puts already-read bytes back in front of a source.
class PrefixedSource : public util::ByteSource
{
public:
  PrefixedSource(std::string prefix, util::ByteSource& rest) : m_prefix(std::move(prefix)), m_rest(rest) {}

  size_t read(void* buf, size_t n) override
  {
    if (m_pos < m_prefix.size()) {
      n = std::min(n, m_prefix.size() - m_pos);
      std::memcpy(buf, m_prefix.data() + m_pos, n);
      m_pos += n;
      return n;
    }
    return m_rest.read(buf, n);
  }

private:
  std::string m_prefix;
  size_t m_pos = 0;
  util::ByteSource& m_rest;
};

class SniffingDecoder : public util::ByteSource
{
public:
  SniffingDecoder(util::ByteSource& in, std::string what, DecodeLimits limits)
  {
    std::string head(4, '\0');
    size_t have = 0;
    while (have < head.size()) {
      size_t got = in.read(head.data() + have, head.size() - have);
      if (got == 0) {
        break;
      }
      have += got;
    }
    head.resize(have);
    Compression c = sniff_compression(reinterpret_cast<const unsigned char*>(head.data()), head.size());
    m_prefixed = std::make_unique<PrefixedSource>(std::move(head), in);
    m_decoder = make_decoder(c, *m_prefixed, std::move(what), limits);
  }

  size_t read(void* buf, size_t n) override { return m_decoder->read(buf, n); }

private:
  std::unique_ptr<PrefixedSource> m_prefixed;
  std::unique_ptr<util::ByteSource> m_decoder;
};

// gzip through ISA-L deflate level 2: on a real 216 MB layer it takes 13-15 times less CPU than zlib level 6
// for 11% more output. Level 3 would save another 2% but costs 20-35% more CPU and compresses long zero runs
// 3.4 times worse; figures in bench/RESULTS.md (bench/gzip_encoder.sh). ISA-L's output depends on how the
// input is split between calls, so input is always handed over in k_gzip_chunk pieces (only the last may be
// shorter) and output drains into a fixed buffer: the call sequence, and so every byte, depends on nothing
// but the data. Header and trailer are written here: no name, no mtime, OS "unknown".
constexpr size_t k_gzip_chunk = 1 << 20;
constexpr int k_gzip_level = 2;

class GzipEncoder : public util::ByteSink
{
public:
  GzipEncoder(util::ByteSink& out, std::string what)
      : m_out(out), m_what(std::move(what)), m_inbuf(k_gzip_chunk), m_outbuf(k_out_buffer),
        m_level_buf(ISAL_DEF_LVL2_DEFAULT), m_state(std::make_unique<isal_zstream>())
  {
    isal_deflate_init(m_state.get());
    m_state->level = k_gzip_level;
    m_state->level_buf = m_level_buf.data();
    m_state->level_buf_size = static_cast<uint32_t>(m_level_buf.size());
    m_state->gzip_flag = IGZIP_DEFLATE;
    m_state->flush = NO_FLUSH;
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255.
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
    m_out.write(header, sizeof header);
  }

  void write(const void* buf, size_t n) override
  {
    const auto* p = static_cast<const unsigned char*>(buf);
    while (n > 0) {
      size_t take = std::min(n, k_gzip_chunk - m_fill);
      std::memcpy(m_inbuf.data() + m_fill, p, take);
      m_fill += take;
      p += take;
      n -= take;
      if (m_fill == k_gzip_chunk) {
        deflate_chunk(false);
      }
    }
  }

  void finish() override
  {
    deflate_chunk(true);
    unsigned char trailer[8];
    for (int i = 0; i < 4; ++i) {
      trailer[i] = static_cast<unsigned char>(m_crc >> (8 * i));
      trailer[4 + i] = static_cast<unsigned char>(m_size >> (8 * i)); // ISIZE: length modulo 2^32
    }
    m_out.write(trailer, sizeof trailer);
    m_out.finish();
  }

private:
  void deflate_chunk(bool last)
  {
    m_crc = crc32_gzip_refl(m_crc, m_inbuf.data(), m_fill);
    m_size += m_fill;
    isal_zstream& s = *m_state;
    s.next_in = m_inbuf.data();
    s.avail_in = static_cast<uint32_t>(m_fill);
    s.end_of_stream = last ? 1 : 0;
    int idle_calls = 0;
    for (;;) {
      s.next_out = m_outbuf.data();
      s.avail_out = static_cast<uint32_t>(m_outbuf.size());
      uint32_t avail_in_before = s.avail_in;
      if (isal_deflate(&s) != COMP_OK) {
        throw Error("compress " + m_what + ": ISA-L deflate failed");
      }
      size_t produced = m_outbuf.size() - s.avail_out;
      if (produced > 0) {
        m_out.write(m_outbuf.data(), produced);
      }
      bool done = last ? s.internal_state.state == ZSTATE_END : s.avail_in == 0;
      if (done) {
        break;
      }
      // A call may only move internal state; many in a row with no input or output taken is a bug.
      idle_calls = (produced == 0 && s.avail_in == avail_in_before) ? idle_calls + 1 : 0;
      if (idle_calls > 16) {
        throw Error("compress " + m_what + ": ISA-L deflate makes no progress");
      }
    }
    m_fill = 0;
  }

  util::ByteSink& m_out;
  std::string m_what;
  std::vector<uint8_t> m_inbuf;
  std::vector<uint8_t> m_outbuf;
  std::vector<uint8_t> m_level_buf;
  std::unique_ptr<isal_zstream> m_state; // large (its history buffer), so on the heap
  size_t m_fill = 0;
  uint32_t m_crc = 0;
  uint64_t m_size = 0;
};

class ZstdEncoder : public util::ByteSink
{
public:
  ZstdEncoder(util::ByteSink& out, std::string what)
      : m_out(out), m_what(std::move(what)), m_outbuf(ZSTD_CStreamOutSize()), m_ctx(ZSTD_createCCtx())
  {
    if (!m_ctx || ZSTD_isError(ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_compressionLevel, 3)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_checksumFlag, 1))) {
      ZSTD_freeCCtx(m_ctx);
      throw Error("compress " + m_what + ": cannot initialise zstd");
    }
  }
  ~ZstdEncoder() override { ZSTD_freeCCtx(m_ctx); }

  void write(const void* buf, size_t n) override
  {
    ZSTD_inBuffer in{buf, n, 0};
    while (in.pos < in.size) {
      run(in, ZSTD_e_continue);
    }
  }

  void finish() override
  {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (run(in, ZSTD_e_end) != 0) {
    }
    m_out.finish();
  }

private:
  size_t run(ZSTD_inBuffer& in, ZSTD_EndDirective mode)
  {
    ZSTD_outBuffer out{m_outbuf.data(), m_outbuf.size(), 0};
    size_t rc = ZSTD_compressStream2(m_ctx, &out, &in, mode);
    if (ZSTD_isError(rc)) {
      throw Error("compress " + m_what + ": zstd failed (" + ZSTD_getErrorName(rc) + ")");
    }
    if (out.pos > 0) {
      m_out.write(m_outbuf.data(), out.pos);
    }
    return rc;
  }

  util::ByteSink& m_out;
  std::string m_what;
  std::vector<char> m_outbuf;
  ZSTD_CCtx* m_ctx;
};

class PassthroughEncoder : public util::ByteSink
{
public:
  explicit PassthroughEncoder(util::ByteSink& out) : m_out(out) {}
  void write(const void* buf, size_t n) override { m_out.write(buf, n); }
  void finish() override { m_out.finish(); }

private:
  util::ByteSink& m_out;
};

DecodeLimits g_default_limits;

} // namespace

std::string
to_string(Compression c)
{
  switch (c) {
  case Compression::none:
    return "none";
  case Compression::gzip:
    return "gzip";
  case Compression::zstd:
    return "zstd";
  }
  return "unknown";
}

std::optional<Compression>
parse_compression(const std::string& s)
{
  if (s == "none" || s == "uncompressed") {
    return Compression::none;
  }
  if (s == "gzip") {
    return Compression::gzip;
  }
  if (s == "zstd") {
    return Compression::zstd;
  }
  return std::nullopt;
}

Compression
sniff_compression(const unsigned char* head, size_t n)
{
  if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
    return Compression::gzip;
  }
  if (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) {
    return Compression::zstd;
  }
  return Compression::none;
}

DecodeLimits
default_decode_limits()
{
  return g_default_limits;
}

void
set_default_decode_limits(const DecodeLimits& limits)
{
  g_default_limits = limits;
}

std::unique_ptr<util::ByteSource>
make_decoder(Compression c, util::ByteSource& in, std::string what, DecodeLimits limits)
{
  switch (c) {
  case Compression::gzip:
    return std::make_unique<GzipDecoder>(in, std::move(what), limits);
  case Compression::zstd:
    return std::make_unique<ZstdDecoder>(in, std::move(what), limits);
  case Compression::none:
    break;
  }
  return std::make_unique<PassthroughDecoder>(in, std::move(what), limits);
}

std::unique_ptr<util::ByteSource>
make_sniffing_decoder(util::ByteSource& in, std::string what, DecodeLimits limits)
{
  return std::make_unique<SniffingDecoder>(in, std::move(what), limits);
}

std::unique_ptr<util::ByteSink>
make_encoder(Compression c, util::ByteSink& out, std::string what)
{
  switch (c) {
  case Compression::gzip:
    return std::make_unique<GzipEncoder>(out, std::move(what));
  case Compression::zstd:
    return std::make_unique<ZstdEncoder>(out, std::move(what));
  case Compression::none:
    break;
  }
  return std::make_unique<PassthroughEncoder>(out);
}

} // namespace whittle::archive
