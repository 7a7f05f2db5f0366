// The item dumps and the crawler of the text protocol: `lru_crawler` (crawl, metadump, enable,
// disable, sleep, tocrawl) and `stats cachedump`, answered as memcached 1.6.18 does.
#include <string>

#include "proto/commands.h"
#include "proto/text_handlers.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"

namespace cuckood::proto::text {

namespace {

// memcached's item_cachedump caps its reply at 2 MB.
constexpr size_t kCachedumpLimit = size_t{2} << 20;

// memcached's MAX_NUMBER_OF_SLAB_CLASSES: `stats cachedump` refuses a class id from here on.
constexpr uint32_t kSlabClassLimit = 64;

// memcached's lru_crawler sleep bound (microseconds).
constexpr uint32_t kMaxCrawlerSleep = 1000000;

// memcached's uriencode: every byte but letters, digits and -._~ as %XX.
void append_uri_encoded(std::string& out, std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

// One line of memcached's crawler metadump ("\n", not "\r\n", as memcached).
void append_metadump_line(std::string& out, const cache::ItemView& item,
                          const cache::WalkedItem& info) {
  out.append("key=");
  append_uri_encoded(out, item.key);
  out.append(" exp=");
  if (item.exptime == 0) {
    out.append("-1");
  } else {
    append_number(out, item.exptime);
  }
  out.append(" la=");
  append_number(out, item.last_access);
  out.append(" cas=");
  append_number(out, item.cas);
  out.append(item.fetched ? " fetch=yes cls=" : " fetch=no cls=");
  append_number(out, info.size_class + 1);
  out.append(" size=");
  append_number(out, info.size);
  out.push_back('\n');
}

void metadump(TextRequest& r, std::string_view classes) noexcept {
  if (!r.w.server.runtime.lru_crawler.load(std::memory_order_relaxed)) {
    r.out.append(kCrawlerDisabled);
    return;
  }
  if (!dump_allowed(r.w)) {
    r.out.append(kMetadumpDisabled);
    return;
  }
  // memcached hands the connection to its crawler thread, which cannot follow replies still
  // queued: it refuses a metadump behind other requests of the same read.
  if (!r.out.empty()) {
    r.out.append(kMetadumpPipelined);
    return;
  }
  uint64_t mask = 0;
  if (!parse_class_list(classes, mask)) {
    r.out.append(kBadClass);
    return;
  }
  std::string& out = r.out;
  dump_items(r.w, mask, [&out](const cache::ItemView& item, const cache::WalkedItem& info) {
    append_metadump_line(out, item, info);
    return true;
  });
  out.append(kEnd);
}

void crawl(TextRequest& r, std::string_view classes) noexcept {
  switch (start_crawl(r.w, classes)) {
    case CrawlStatus::kOk:
      r.out.append(kOk);
      break;
    case CrawlStatus::kDisabled:
      r.out.append(kCrawlerDisabled);
      break;
    case CrawlStatus::kBusy:
      r.out.append(kCrawlerBusy);
      break;
    case CrawlStatus::kBadClass:
      r.out.append(kBadClass);
      break;
    case CrawlStatus::kError:
      r.out.append(kCrawlerError);
      break;
  }
}

}  // namespace

// lru_crawler <crawl|metadump> <classes> | <sleep|tocrawl> <n> | enable | disable
void handle_lru_crawler(TextRequest& r, const Tokens& t) noexcept {
  RuntimeSettings& rt = r.w.server.runtime;
  if (t.count() == 3) {
    uint32_t value = 0;
    if (t[1] == "crawl") {
      crawl(r, t[2]);
    } else if (t[1] == "metadump") {
      metadump(r, t[2]);
    } else if (t[1] == "tocrawl" || t[1] == "sleep") {
      if (!parse_strtoul32(t[2], value)) {
        r.out.append(kBadFormat);
      } else if (t[1] == "sleep" && value > kMaxCrawlerSleep) {
        r.out.append(kCrawlerSleepTooLong);
      } else {
        // cuckood's crawler walks its index in short steps without pausing between items or
        // stopping early, so both are recorded (`stats settings`) rather than acted on.
        (t[1] == "sleep" ? rt.lru_crawler_sleep : rt.lru_crawler_tocrawl)
            .store(value, std::memory_order_relaxed);
        r.out.append(kOk);
      }
    } else {
      r.out.append(kError);
    }
  } else if (t.count() == 2 && t[1] == "enable") {
    r.out.append(rt.lru_crawler.exchange(true) ? kCrawlerNotStarted : kOk);
  } else if (t.count() == 2 && t[1] == "disable") {
    rt.lru_crawler.store(false, std::memory_order_relaxed);
    r.out.append(kOk);
  } else {
    r.out.append(kError);
  }
}

// stats cachedump <class> <limit>: "ITEM <key> [<bytes> b; <deadline> s]" lines of up to
// <limit> (0: all) items of one class, within memcached's 2 MB, then END. Refused under -X
// whatever its arguments.
void stats_cachedump(TextRequest& r, const Tokens& t) noexcept {
  if (!dump_allowed(r.w)) {
    r.out.append(kCachedumpDisabled);
    return;
  }
  if (t.count() < 4) {
    r.out.append(kBadCommandLine);
    return;
  }
  uint32_t id = 0, limit = 0;
  if (!parse_strtoul32(t[2], id) || !parse_strtoul32(t[3], limit)) {
    r.out.append(kBadFormat);
    return;
  }
  if (id >= kSlabClassLimit) {
    r.out.append(kIllegalSlabId);
    return;
  }
  std::string& out = r.out;
  const size_t start = out.size();
  uint32_t shown = 0;
  // memcached has no class 0: its dump is empty.
  const uint64_t mask = id == 0 ? 0 : uint64_t{1} << (id - 1);
  if (mask != 0) {
    dump_items(r.w, mask, [&](const cache::ItemView& item, const cache::WalkedItem&) {
      if (limit != 0 && shown >= limit) return false;
      const size_t before = out.size();
      out.append("ITEM ");
      out.append(item.key);
      out.append(" [");
      append_number(out, item.value.size());
      out.append(" b; ");
      append_number(out, item.exptime);
      out.append(" s]\r\n");
      if (out.size() - start + kEnd.size() + 1 > kCachedumpLimit) {
        out.resize(before);
        return false;
      }
      ++shown;
      return true;
    });
  }
  out.append(kEnd);
}

}  // namespace cuckood::proto::text
