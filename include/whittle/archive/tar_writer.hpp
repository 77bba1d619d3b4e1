#pragma once
// Streaming tar writer to a ByteSink (libarchive, pax restricted format). Deterministic: the caller
// decides order and metadata; the writer adds nothing time- or host-dependent (no atime/ctime, no
// uname lookups, no pax headers beyond what the entry needs).
#include <exception>
#include <memory>
#include <string>
#include <whittle/archive/tar_entry.hpp>
#include <whittle/util/byte_stream.hpp>

struct archive;

namespace whittle::archive {

class TarWriter
{
public:
  TarWriter(util::ByteSink& sink, std::string what);
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;
  // Does not finish: an unfinished writer is a failed output, and the caller discards it.
  ~TarWriter();

  // Writes a header and, for regular files, exactly entry.size bytes from content (must not be null then).
  // Throws Error if content is short or long.
  void add(const TarEntry& entry, util::ByteSource* content = nullptr);
  // Writes the end-of-archive blocks and calls sink.finish(). Throws Error.
  void finish();

private:
  static long write_callback(struct ::archive*, void* self, const void* buf, size_t n);
  [[noreturn]] void fail(const std::string& context);

  util::ByteSink& m_sink;
  std::string m_what;
  struct ::archive* m_ar;
  bool m_finished = false;
  bool m_discard = false;          // set by the destructor of an unfinished writer: output goes nowhere
  std::unique_ptr<char[]> m_buf;   // content copy buffer
  std::exception_ptr m_sink_error; // thrown by m_sink inside libarchive's callback, rethrown outside it
};

} // namespace whittle::archive
