// The command layer's operator commands over the whole cache: cache_memlimit, the crawler and
// the item dumps (see proto/commands.h).
#include <charconv>

#include "cache/size_classes.h"
#include "proto/commands.h"

namespace cuckood::proto {

MemlimitStatus set_memory_limit(Worker& w, uint64_t megabytes) noexcept {
  // memcached's bounds: at least 8 MB, and a figure that reads as megabytes.
  if (megabytes < 8) return MemlimitStatus::kTooSmall;
  if (megabytes > 1000000000) return MemlimitStatus::kNotMegabytes;
  return w.cache.set_memory_limit(w.ctx, megabytes << 20) ? MemlimitStatus::kOk
                                                          : MemlimitStatus::kFailed;
}

bool parse_class_list(std::string_view spec, uint64_t& mask) noexcept {
  if (spec == "all" || spec == "hash") {
    mask = ~uint64_t{0};
    return true;
  }
  mask = 0;
  size_t pos = 0;
  while (pos <= spec.size()) {
    const size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string_view id_text = spec.substr(pos, comma - pos);
    pos = comma + 1;
    if (id_text.empty()) continue;  // memcached splits with strtok: empty ids vanish
    uint32_t id = 0;
    const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || end != id_text.data() + id_text.size() || id < 1 ||
        id > cache::SizeClasses::kMaxClasses) {
      return false;
    }
    mask |= uint64_t{1} << (id - 1);
  }
  return true;
}

CrawlStatus start_crawl(Worker& w, std::string_view classes) noexcept {
  if (!w.server.runtime.lru_crawler.load(std::memory_order_relaxed)) return CrawlStatus::kDisabled;
  // memcached walks its hash table for metadump only; a crawl of it is its "unknown error".
  if (classes == "hash") return CrawlStatus::kError;
  uint64_t mask = 0;
  if (!parse_class_list(classes, mask)) return CrawlStatus::kBadClass;
  if (!w.cache.start_crawl(mask)) return CrawlStatus::kBusy;
  w.server.lru_crawler_starts.fetch_add(1, std::memory_order_relaxed);
  return CrawlStatus::kOk;
}

void dump_items(Worker& w, uint64_t class_mask, DumpVisitor visit) noexcept {
  // Index buckets per critical section: a few thousand items at most.
  constexpr size_t kBucketsPerStep = 512;
  cache::WalkCursor cursor;
  bool more = true;
  while (more && !cursor.done) {
    w.cache.walk(w.ctx, cursor, kBucketsPerStep,
                 [&](const cache::ItemView& item, const cache::WalkedItem& info) {
                   if (!more || (class_mask & (uint64_t{1} << info.size_class)) == 0) return;
                   more = visit(item, info);
                 });
  }
}

}  // namespace cuckood::proto
