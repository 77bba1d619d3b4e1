#pragma once
// Internal to rootfs: decodes and verifies layers on worker threads while the caller applies them in order.
// Worker threads take layers in index order (so layer i+1 is decoded while layer i is applied) and push
// entries, and content chunks when asked, into one bounded channel per layer. Memory stays bounded: each
// channel holds at most k_channel_bytes of entries and content; a full channel blocks its worker.
// Every layer is read to the end of its stream, so its blob digest and diff_id are always verified.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <whittle/archive/tar_entry.hpp>
#include <whittle/oci/image.hpp>

namespace whittle::rootfs::detail {

struct FeedItem
{
  enum class Kind
  {
    entry,
    data,
    data_end,
    layer_end,
    error
  };
  Kind kind = Kind::entry;
  archive::TarEntry entry;   // entry
  std::string data;          // data: a chunk of the current entry's content
  uint64_t uncompressed = 0; // layer_end: bytes of the decoded tar stream
  std::exception_ptr error;  // error: what the worker threw (BadInput naming the layer)
};

enum class Content
{
  skip,
  deliver
};

class LayerFeed
{
public:
  // Starts up to `workers` threads over layers [0, count) of image. With Content::deliver, each regular
  // entry with content is followed by data items and a data_end item.
  LayerFeed(const oci::Image& image, size_t count, Content content, unsigned workers);
  LayerFeed(const LayerFeed&) = delete;
  LayerFeed& operator=(const LayerFeed&) = delete;
  // Cancels the workers still running and joins them.
  ~LayerFeed();

  // Blocks until the next item of layer i is available. Layers must be consumed in order, each to its
  // layer_end (or error) item.
  FeedItem pop(size_t i);

private:
  struct Channel
  {
    std::deque<FeedItem> items;
    uint64_t bytes = 0;
  };
  struct Cancelled
  {};

  void work();
  void produce(size_t i);
  void push(size_t i, FeedItem item, bool force = false);

  const oci::Image& m_image;
  size_t m_count;
  Content m_content;
  std::vector<Channel> m_channels;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::atomic<size_t> m_next{0};
  std::atomic<bool> m_cancelled{false};
  std::vector<std::thread> m_threads;
};

} // namespace whittle::rootfs::detail
