#pragma once
// Layer compressions and their streaming codecs. Decoders enforce a bomb limit; encoders are deterministic
// (fixed levels; gzip headers carry no name, no mtime, OS=unknown) so equal input gives equal bytes.
#include <memory>
#include <optional>
#include <string>
#include <whittle/util/byte_stream.hpp>

namespace whittle::archive {

enum class Compression
{
  none,
  gzip,
  zstd
};

// "none", "gzip", "zstd".
std::string to_string(Compression c);
// Parses "none"|"gzip"|"zstd" (also "uncompressed"); nullopt otherwise.
std::optional<Compression> parse_compression(const std::string& s);
// Sniffs the magic bytes at the start of a stream (gzip 1f 8b, zstd 28 b5 2f fd); none otherwise.
Compression sniff_compression(const unsigned char* head, size_t n);

// Limits that stop a decompression bomb: decoding fails once the output passes max_output bytes, or once
// it passes ratio_floor bytes while being more than max_ratio times the compressed input read so far.
struct DecodeLimits
{
  uint64_t max_output = 64ULL << 30;
  uint64_t ratio_floor = 256ULL << 20;
  uint64_t max_ratio = 500;
};

// The limits every decoder and TarReader applies unless given others: DecodeLimits{} until
// set_default_decode_limits replaced them.
DecodeLimits default_decode_limits();
// Makes `limits` the process-wide default (cli does, from WHITTLE_MAX_LAYER_BYTES and
// WHITTLE_MAX_LAYER_RATIO, before any work starts: not safe while another thread decodes).
void set_default_decode_limits(const DecodeLimits& limits);

// Returns a source yielding the decoded bytes of `in`. `what` names the blob in errors. Throws BadInput
// (from read()) on corrupt or truncated data, trailing garbage, or a limit exceeded.
std::unique_ptr<util::ByteSource> make_decoder(Compression c, util::ByteSource& in, std::string what,
                                               DecodeLimits limits = default_decode_limits());

// Returns a source that sniffs the compression of `in` from its first bytes and decodes it.
std::unique_ptr<util::ByteSource> make_sniffing_decoder(util::ByteSource& in, std::string what,
                                                        DecodeLimits limits = default_decode_limits());

// Returns a sink that encodes into `out`; its finish() flushes the codec and then calls out.finish().
// gzip uses ISA-L deflate level 2, its input fed in fixed 1 MiB pieces so the bytes are deterministic
// (about 11% larger than zlib level 6 for a fifteenth of the CPU); zstd level 3 single-threaded.
std::unique_ptr<util::ByteSink> make_encoder(Compression c, util::ByteSink& out, std::string what);

} // namespace whittle::archive
