// The gzip encoder table of bench/RESULTS.md: whittle's gzip encoder (ISA-L deflate level 2, through
// archive::make_encoder exactly as convert and build use it) beside zlib level 6 (whittle's encoder before
// it: deflateInit2(6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY)) and the alternatives the choice weighed, on
// one input held in memory. Prints markdown table rows on stdout. Run by bench/gzip_encoder.sh.
//   whittle_bench_gzip INPUT RUNS
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <isa-l/igzip_lib.h>
#include <stdexcept>
#include <string>
#include <vector>
#include <whittle/archive/compression.hpp>
#include <zlib.h>

namespace {

using Bytes = std::vector<unsigned char>;

// Every encoder gets its input in the pieces whittle's gzip encoder uses.
constexpr size_t k_piece = 1 << 20;
// A gzip member adds a 10-byte header and an 8-byte trailer to the raw deflate stream.
constexpr uint64_t k_gzip_frame = 18;

struct Timing
{
  double cpu_s;
  double wall_s;
};

double
now(clockid_t clock)
{
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Counts bytes: the encoders' output is only measured, so no write cost is charged to any of them.
class CountingSink : public whittle::util::ByteSink
{
public:
  void write(const void*, size_t n) override { m_bytes += n; }
  uint64_t bytes() const { return m_bytes; }

private:
  uint64_t m_bytes = 0;
};

class CollectingSink : public whittle::util::ByteSink
{
public:
  void write(const void* buf, size_t n) override
  {
    const auto* p = static_cast<const unsigned char*>(buf);
    m_bytes.insert(m_bytes.end(), p, p + n);
  }
  const Bytes& bytes() const { return m_bytes; }

private:
  Bytes m_bytes;
};

void
whittle_gzip(const Bytes& in, whittle::util::ByteSink& out)
{
  auto enc = whittle::archive::make_encoder(whittle::archive::Compression::gzip, out, "bench input");
  for (size_t off = 0; off < in.size(); off += k_piece) {
    enc->write(in.data() + off, std::min(k_piece, in.size() - off));
  }
  enc->finish();
}

// zlib with a gzip wrapper (windowBits 31), fed in k_piece writes; returns the output bytes.
uint64_t
zlib_gzip(const Bytes& in, int level)
{
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  Bytes out(256 << 10);
  uint64_t total = 0;
  for (size_t off = 0;;) {
    size_t take = std::min(k_piece, in.size() - off);
    bool last = off + take == in.size();
    z.next_in = const_cast<unsigned char*>(in.data() + off);
    z.avail_in = static_cast<uInt>(take);
    int rc = Z_OK;
    do {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      total += out.size() - z.avail_out;
    } while (z.avail_out == 0 || (last && rc != Z_STREAM_END));
    off += take;
    if (last) {
      break;
    }
  }
  deflateEnd(&z);
  return total;
}

// pigz's layout on one thread: independent k_piece blocks, each primed with the previous 32 KiB as its
// dictionary and ended by Z_SYNC_FLUSH, so they could be compressed in parallel; returns gzip bytes.
uint64_t
zlib_blocks(const Bytes& in, int level)
{
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  Bytes out(deflateBound(&z, k_piece) + 64);
  uint64_t total = k_gzip_frame;
  for (size_t off = 0; off < in.size(); off += k_piece) {
    size_t take = std::min(k_piece, in.size() - off);
    bool last = off + take == in.size();
    deflateReset(&z);
    if (off > 0) {
      size_t dict = std::min<size_t>(32 << 10, off);
      deflateSetDictionary(&z, in.data() + off - dict, static_cast<uInt>(dict));
    }
    z.next_in = const_cast<unsigned char*>(in.data() + off);
    z.avail_in = static_cast<uInt>(take);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    if (deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH) == Z_STREAM_ERROR || z.avail_in != 0) {
      throw std::runtime_error("deflate block");
    }
    total += out.size() - z.avail_out;
  }
  deflateEnd(&z);
  return total;
}

uint32_t
isal_level_buf_size(int level)
{
  switch (level) {
  case 0:
    return 0;
  case 1:
    return ISAL_DEF_LVL1_DEFAULT;
  case 2:
    return ISAL_DEF_LVL2_DEFAULT;
  default:
    return ISAL_DEF_LVL3_DEFAULT;
  }
}

// ISA-L raw deflate at `level`, fed in `piece`-byte calls draining into a fixed buffer (whittle's call
// pattern); returns gzip bytes (raw output plus the gzip frame).
uint64_t
isal_gzip(const Bytes& in, int level, size_t piece)
{
  isal_zstream s{};
  isal_deflate_init(&s);
  Bytes level_buf(isal_level_buf_size(level));
  s.level = static_cast<uint32_t>(level);
  s.level_buf = level_buf.empty() ? nullptr : level_buf.data();
  s.level_buf_size = static_cast<uint32_t>(level_buf.size());
  s.gzip_flag = IGZIP_DEFLATE;
  s.flush = NO_FLUSH;
  Bytes out(256 << 10);
  uint64_t total = k_gzip_frame;
  for (size_t off = 0;;) {
    size_t take = std::min(piece, in.size() - off);
    bool last = off + take == in.size();
    s.next_in = const_cast<unsigned char*>(in.data() + off);
    s.avail_in = static_cast<uint32_t>(take);
    s.end_of_stream = last ? 1 : 0;
    for (;;) {
      s.next_out = out.data();
      s.avail_out = static_cast<uint32_t>(out.size());
      if (isal_deflate(&s) != COMP_OK) {
        throw std::runtime_error("isal_deflate");
      }
      total += out.size() - s.avail_out;
      if (last ? s.internal_state.state == ZSTATE_END : s.avail_in == 0) {
        break;
      }
    }
    off += take;
    if (last) {
      break;
    }
  }
  return total;
}

// Runs `encode` `runs` times; the medians of CPU and wall time, and the output bytes (equal every run).
Timing
measure(int runs, const std::function<uint64_t()>& encode, uint64_t& bytes)
{
  std::vector<double> cpu;
  std::vector<double> wall;
  for (int i = 0; i < runs; ++i) {
    double c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    double w0 = now(CLOCK_MONOTONIC);
    uint64_t b = encode();
    wall.push_back(now(CLOCK_MONOTONIC) - w0);
    cpu.push_back(now(CLOCK_PROCESS_CPUTIME_ID) - c0);
    if (i > 0 && b != bytes) {
      throw std::runtime_error("an encoder's output size changed between runs");
    }
    bytes = b;
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  return {median(cpu), median(wall)};
}

// Inflates a gzip member with zlib; throws unless it gives back `expect`.
void
check_round_trip(const Bytes& gz, const Bytes& expect)
{
  z_stream z{};
  if (inflateInit2(&z, 31) != Z_OK) {
    throw std::runtime_error("inflateInit2");
  }
  Bytes back(expect.size() + 1);
  z.next_in = const_cast<unsigned char*>(gz.data());
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = back.data();
  z.avail_out = static_cast<uInt>(back.size());
  int rc = inflate(&z, Z_FINISH);
  size_t got = back.size() - z.avail_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || got != expect.size() || std::memcmp(back.data(), expect.data(), got) != 0) {
    throw std::runtime_error("whittle's gzip output does not inflate back to its input");
  }
}

struct Row
{
  std::string label;
  std::function<uint64_t()> encode;
};

} // namespace

int
main(int argc, char** argv)
{
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s INPUT RUNS\n", argv[0]);
    return 2;
  }
  try {
    std::ifstream f(argv[1], std::ios::binary | std::ios::ate);
    Bytes in(f ? static_cast<size_t>(f.tellg()) : 0);
    f.seekg(0);
    if (!f.read(reinterpret_cast<char*>(in.data()), static_cast<std::streamsize>(in.size())) || in.empty()) {
      throw std::runtime_error(std::string("cannot read ") + argv[1]);
    }
    int runs = std::stoi(argv[2]);

    {
      CollectingSink collected;
      whittle_gzip(in, collected);
      check_round_trip(collected.bytes(), in);
    }

    std::vector<Row> rows = {
        {"zlib level 6 (whittle's encoder before ISA-L)", [&] { return zlib_gzip(in, 6); }},
        {"zlib level 6, pigz-style 1 MiB blocks (one thread)", [&] { return zlib_blocks(in, 6); }},
        {"zlib level 1", [&] { return zlib_gzip(in, 1); }},
        {"ISA-L level 0", [&] { return isal_gzip(in, 0, k_piece); }},
        {"ISA-L level 1", [&] { return isal_gzip(in, 1, k_piece); }},
        {"**ISA-L level 2: whittle's encoder** (`archive::make_encoder`)",
         [&] {
           CountingSink sink;
           whittle_gzip(in, sink);
           return sink.bytes();
         }},
        {"ISA-L level 2, 64 KiB pieces instead of 1 MiB", [&] { return isal_gzip(in, 2, 64 << 10); }},
        {"ISA-L level 3", [&] { return isal_gzip(in, 3, k_piece); }},
    };
    uint64_t zlib6 = 0;
    for (const Row& r : rows) {
      uint64_t bytes = 0;
      Timing t = measure(runs, r.encode, bytes);
      if (zlib6 == 0) {
        zlib6 = bytes;
      }
      std::printf("| %s | %llu | %.3f | %.3f | %.3f | %.1f |\n", r.label.c_str(),
                  static_cast<unsigned long long>(bytes),
                  static_cast<double>(bytes) / static_cast<double>(zlib6), t.cpu_s, t.wall_s,
                  static_cast<double>(in.size()) / 1e6 / t.cpu_s);
      std::fflush(stdout);
    }

    // Long zero runs (sparse files, preallocated images): how far each encoder shrinks 100 MB of zeros.
    Bytes zeros(100'000'000, 0);
    CountingSink zsink;
    whittle_gzip(zeros, zsink);
    uint64_t zero_l2 = zsink.bytes();
    uint64_t zero_l3 = isal_gzip(zeros, 3, k_piece);
    uint64_t zero_z6 = zlib_gzip(zeros, 6);
    std::printf("\nZEROS %llu %llu %llu\n", static_cast<unsigned long long>(zero_l2),
                static_cast<unsigned long long>(zero_l3), static_cast<unsigned long long>(zero_z6));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "whittle_bench_gzip: %s\n", e.what());
    return 1;
  }
  return 0;
}
