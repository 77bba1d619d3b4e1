#include "layer_feed.hpp"

#include <whittle/archive/tar_reader.hpp>
#include <whittle/util/error.hpp>

namespace whittle::rootfs::detail {

namespace {

// A channel's budget: enough to keep a worker a little ahead, small enough for the 64 MiB RSS goal (up to
// three channels hold data at once: the one being applied and one per worker).
constexpr uint64_t k_channel_bytes = 4ULL << 20;
constexpr size_t k_chunk = 256 * 1024;

uint64_t
cost_of(const FeedItem& item)
{
  // Entries are charged roughly what they occupy, so metadata-only feeds are bounded too.
  return 256 + item.entry.path.size() + item.entry.link_target.size() + item.data.size();
}

class CountingSource : public util::ByteSource
{
public:
  explicit CountingSource(util::ByteSource& in) : m_in(in) {}
  size_t read(void* buf, size_t n) override
  {
    size_t got = m_in.read(buf, n);
    m_count += got;
    return got;
  }
  uint64_t count() const { return m_count; }

private:
  util::ByteSource& m_in;
  uint64_t m_count = 0;
};

} // namespace

LayerFeed::LayerFeed(const oci::Image& image, size_t count, Content content, unsigned workers)
    : m_image(image), m_count(count), m_content(content), m_channels(count)
{
  if (workers == 0) {
    workers = 1;
  }
  for (unsigned t = 0; t < workers && t < count; ++t) {
    m_threads.emplace_back([this] { work(); });
  }
}

LayerFeed::~LayerFeed()
{
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_cancelled = true;
  }
  m_cv.notify_all();
  for (auto& t : m_threads) {
    t.join();
  }
}

void
LayerFeed::work()
{
  for (;;) {
    size_t i = m_next++;
    if (i >= m_count || m_cancelled) {
      return;
    }
    try {
      produce(i);
    } catch (const Cancelled&) {
      return;
    } catch (...) {
      FeedItem item;
      item.kind = FeedItem::Kind::error;
      item.error = std::current_exception();
      push(i, std::move(item), true);
    }
  }
}

void
LayerFeed::produce(size_t i)
{
  std::unique_ptr<util::ByteSource> src = oci::open_layer(m_image, i);
  CountingSource counted(*src);
  std::string what = "layer " + m_image.layers[i].descriptor.digest.str() + " of `" + m_image.ref.str() + "`";
  archive::TarReader reader(counted, what);
  archive::TarEntry entry;
  while (reader.next(entry)) {
    bool with_content =
        m_content == Content::deliver && entry.type == archive::EntryType::regular && entry.size > 0;
    FeedItem item;
    item.kind = FeedItem::Kind::entry;
    item.entry = entry;
    push(i, std::move(item));
    if (!with_content) {
      continue;
    }
    for (;;) {
      FeedItem chunk;
      chunk.kind = FeedItem::Kind::data;
      chunk.data.resize(k_chunk);
      size_t n = reader.read_data(chunk.data.data(), k_chunk);
      if (n == 0) {
        break;
      }
      chunk.data.resize(n);
      push(i, std::move(chunk));
    }
    FeedItem end;
    end.kind = FeedItem::Kind::data_end;
    push(i, std::move(end));
  }
  // The tar end marker may be followed by padding: read to the true end so both digests are checked.
  util::drain(counted);
  FeedItem end;
  end.kind = FeedItem::Kind::layer_end;
  end.uncompressed = counted.count();
  push(i, std::move(end));
}

void
LayerFeed::push(size_t i, FeedItem item, bool force)
{
  uint64_t cost = cost_of(item);
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    Channel& ch = m_channels[i];
    m_cv.wait(lock,
              [&] { return m_cancelled || force || ch.bytes == 0 || ch.bytes + cost <= k_channel_bytes; });
    if (m_cancelled && !force) {
      throw Cancelled{};
    }
    ch.bytes += cost;
    ch.items.push_back(std::move(item));
  }
  m_cv.notify_all();
}

FeedItem
LayerFeed::pop(size_t i)
{
  FeedItem item;
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    Channel& ch = m_channels.at(i);
    m_cv.wait(lock, [&] { return !ch.items.empty(); });
    item = std::move(ch.items.front());
    ch.items.pop_front();
    ch.bytes -= cost_of(item);
  }
  m_cv.notify_all();
  return item;
}

} // namespace whittle::rootfs::detail
