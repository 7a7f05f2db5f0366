// ComparableCache<Inner>: a cache of type Inner behind the Cache interface, presenting what
// legitimately differs between two implementations the same way, so that the differential
// fuzz target (differential_fuzz.cc) can compare their protocol replies byte for byte.
// What it changes, and why each is not a difference in behaviour:
//   - cas uniques are renamed in order of first appearance: the first unique a mutation or
//     visitor sees is 1, the next new one 2, and so on. Every store shows its new item to the
//     mutation's done() at once, so the names follow the order of stores. Implementations
//     number differently (LibcuckooCache skips to a fresh block of 1024 on every immediate
//     flush_all, CuckooCache does not), and only equality of uniques means anything to a
//     client. Renaming at the cache rather than in the replies also covers the uniques that
//     clients send back (cas, gets-then-cas, meta C, binary cas fields): both caches compare
//     them against the same names.
//   - last access is shown only while it must be exact (before a later access is recorded, see
//     present()): CuckooCache's 16-bit stamp may round a later one down;
//   - max_value_size() of the oracle is the shipped cache's: items carry a header of a
//     different size in each implementation (CuckooCache 16 or 24 bytes, 8-byte aligned;
//     LibcuckooCache its table records), so the largest value differs by a few dozen bytes,
//     and proto refuses a too-large value by that figure. The oracle is built with room for
//     the difference, so its own size check never refuses first. For the same reason the
//     oracle shows an item's store size and class as the shipped cache measures them (`me`),
//     and both caches show the items a walk finds (`lru_crawler metadump`'s size= and cls=)
//     with measure()'s figures rather than the walk's: a CuckooCache item that once had a
//     deadline may keep room for one (Cache::measure), which the oracle cannot know.
//   - a walk (cachedump, metadump) shows its items in key order, all in its first call: each
//     implementation walks its own table in its own order.
//   - the oracle's peek() takes back the dead (expired or flushed) item it finds, as
//     CuckooCache's does (LibcuckooCache leaves it to the next read or update): when memory
//     is taken back shows in `stats` (curr_items, reclaimed, expired_unfetched), and neither
//     way is wrong (memcached's `me` unlinks an expired item, its crawler reaps the rest).
//   - the oracle is built with at most kOracleMemory of -m and presents the configured -m in
//     stats() (limit_maxbytes): LibcuckooCache sizes its first table from -m, and a table
//     for a large -m costs milliseconds per execution to build. The inputs the targets run
//     (at most 4 KiB) keep far less than kOracleMemory live.
// Everything else is forwarded unchanged (pins included: a visitor still runs inside the inner
// cache's visitor).
//
// It also tells when the two caches part, so that replies from there on are not compared
// (replies_part()). One known difference of flush_all makes the items under some keys differ:
// a delayed flush_all replaces a flush already in force. LibcuckooCache then shows again the
// items the earlier flush hid, as memcached does when its crawler has not reaped them yet (one
// `oldest_live`, moved into the future); CuckooCache, whose flush generation has moved on, does
// not. Every key stored before may differ.
// The caches part at the first request that could show such a key: a lookup or update of it,
// a walk (`stats cachedump`, `lru_crawler metadump`) or `stats` (the counts). Requests on
// other keys are compared as before.
//
// There is no reclaimer pass after a clock move here (no reclaim_now(), fuzz_server.h): the
// oracle has no reclaimer, and when dead items are taken back shows in `stats`.
//
// Threading: as the Cache interface requires, except that the renaming table is not
// synchronised: one worker thread only (the fuzz targets run one).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cache/baseline/libcuckoo_cache.h"
#include "cache/cache.h"
#include "cache/cuckoo_cache.h"

namespace cuckood::fuzz {

template <class Inner>
class ComparableCache final : public cache::Cache {
 public:
  static constexpr bool kOracle = std::is_same_v<Inner, cache::LibcuckooCache>;

  explicit ComparableCache(const cache::CacheConfig& config)
      : Cache(config), inner_(inner_config(config)) {}

  std::unique_ptr<cache::WorkerContext> register_worker() override {
    return inner_.register_worker();
  }
  void quiescent(cache::WorkerContext& ctx) noexcept override { inner_.quiescent(ctx); }

  bool read(cache::WorkerContext& ctx, const cache::HashedKey& key,
            cache::ItemVisitor visit) noexcept override {
    look_at(key);
    now_ = ctx.now();
    return inner_.read(ctx, key, [&](const cache::ItemView& item) { visit(present(item)); });
  }
  bool peek(cache::WorkerContext& ctx, const cache::HashedKey& key,
            cache::ItemVisitor visit) noexcept override {
    look_at(key);
    now_ = ctx.now();
    const bool hit =
        inner_.peek(ctx, key, [&](const cache::ItemView& item) { visit(present(item)); });
    // A miss: a read() finds nothing live either, and takes back a dead item as CuckooCache's
    // peek does.
    if constexpr (kOracle) {
      if (!hit) inner_.read(ctx, key, [](const cache::ItemView&) {});
    }
    return hit;
  }

  cache::UpdateStatus update(cache::WorkerContext& ctx, const cache::HashedKey& key,
                             cache::Mutation& mutation) noexcept override {
    look_at(key);
    now_ = ctx.now();
    Presented presented(*this, mutation);
    const cache::UpdateStatus status = inner_.update(ctx, key, presented);
    if (presented.stored()) stored_keys_.insert_or_assign(std::string(key.key), now_);
    return status;
  }

  void flush_all(cache::WorkerContext& ctx, cache::Time when) noexcept override {
    const cache::Time now = ctx.now();
    const cache::Time deadline = when == 0 || when <= now ? now : when;
    const auto in_force = [now](cache::Time d) { return d != 0 && d - 1 <= now; };
    if (in_force(flush_deadline_) && !in_force(deadline)) {
      for (const auto& stored : stored_keys_) differing_keys_.insert(stored.first);
    }
    flush_deadline_ = deadline;
    inner_.flush_all(ctx, when);
  }
  void cancel_flush(cache::WorkerContext& ctx) noexcept override {
    const auto pending = [now = ctx.now()](cache::Time d) { return d != 0 && d - 1 > now; };
    if (pending(flush_deadline_)) flush_deadline_ = 0;
    inner_.cancel_flush(ctx);
  }
  void walk(cache::WorkerContext& ctx, cache::WalkCursor& cursor, size_t /*budget*/,
            cache::WalkVisitor visit) noexcept override {
    if (!differing_keys_.empty()) replies_part_ = true;
    if (cursor.done) return;
    now_ = ctx.now();
    // The whole walk in the first call, in key order: each implementation walks its own table.
    struct Copy {
      std::string key;
      std::string value;
      cache::ItemView view;
    };
    std::vector<Copy> items;
    cache::WalkCursor inner;
    while (!inner.done) {
      inner_.walk(ctx, inner, kWalkBudget,
                  [&](const cache::ItemView& item, const cache::WalkedItem&) {
                    items.push_back({std::string(item.key), std::string(item.value), item});
                  });
    }
    std::sort(items.begin(), items.end(),
              [](const Copy& a, const Copy& b) { return a.key < b.key; });
    for (Copy& item : items) {
      item.view.key = item.key;
      item.view.value = item.value;
      visit(present(item.view), measure(item.view));
    }
    cursor.done = true;
  }
  cache::PinToken pin(cache::WorkerContext& ctx, std::string_view bytes) noexcept override {
    return inner_.pin(ctx, bytes);
  }
  void unpin(cache::WorkerContext& ctx, cache::PinToken token) noexcept override {
    inner_.unpin(ctx, token);
  }
  cache::CacheStats stats() const noexcept override {
    if (!differing_keys_.empty()) replies_part_ = true;
    cache::CacheStats stats = inner_.stats();
    if constexpr (kOracle) stats.limit_maxbytes = config().memory_limit;
    return stats;
  }

  size_t max_value_size(size_t key_size) const noexcept override {
    if constexpr (kOracle) {
      const size_t shipped = shipped_max_value_size(config());
      return shipped > key_size ? shipped - key_size : 0;
    } else {
      return inner_.max_value_size(key_size);
    }
  }

  // `me` prints the store size and class: the oracle shows the shipped cache's, as for
  // max_value_size().
  cache::WalkedItem measure(const cache::ItemView& item) const noexcept override {
    if constexpr (kOracle) {
      return shipped_cache(config()).measure(item);
    } else {
      return inner_.measure(item);
    }
  }

  Inner& inner() noexcept { return inner_; }

  // From the last call on, the two implementations may answer differently by design (see
  // above).
  bool replies_part() const noexcept { return replies_part_; }

 private:
  void look_at(const cache::HashedKey& key) {
    if (!differing_keys_.empty() && differing_keys_.contains(std::string(key.key))) {
      replies_part_ = true;
    }
  }

  // The mutation as the inner cache sees it: every item it is shown is presented first.
  class Presented final : public cache::Mutation {
   public:
    Presented(ComparableCache& cache, cache::Mutation& mutation) noexcept
        : cache_(cache), mutation_(mutation) {}
    cache::Change decide(const cache::ItemView* live) noexcept override {
      cache::Change change;
      if (live == nullptr) {
        change = mutation_.decide(nullptr);
      } else {
        const cache::ItemView shown = cache_.present(*live);
        change = mutation_.decide(&shown);
      }
      storing_ = change.kind == cache::Change::Kind::kStore;
      return change;
    }
    void write(const cache::ItemView* live, char* value) noexcept override {
      if (live == nullptr) return mutation_.write(nullptr, value);
      const cache::ItemView shown = cache_.present(*live);
      mutation_.write(&shown, value);
    }
    void done(const cache::ItemView& item) noexcept override {
      stored_ = stored_ || storing_;
      mutation_.done(cache_.present(item));
    }
    bool blind() const noexcept override { return mutation_.blind(); }

    // The update linked a new item.
    bool stored() const noexcept { return stored_; }

   private:
    ComparableCache& cache_;
    cache::Mutation& mutation_;
    bool storing_ = false;  // the last decision was a kStore
    bool stored_ = false;
  };

  static constexpr size_t kOracleMemory = size_t{4} << 20;
  static constexpr size_t kWalkBudget = 1024;  // buckets per inner walk() call

  static cache::CacheConfig inner_config(cache::CacheConfig config) {
    if constexpr (kOracle) {
      config.max_item_size += cache::LibcuckooCache::kItemHeaderSize;
      config.memory_limit = std::min(config.memory_limit, kOracleMemory);
    }
    return config;
  }

  // A CuckooCache for `config`, built once to answer for the shipped cache: the fuzz targets
  // use one config.
  static const cache::CuckooCache& shipped_cache(const cache::CacheConfig& config) {
    static const cache::CuckooCache shipped(config);
    return shipped;
  }

  // CuckooCache's largest value under an empty key for `config` (it falls by one per key
  // byte), asked once of a CuckooCache built for the purpose: the fuzz targets use one config.
  static size_t shipped_max_value_size(const cache::CacheConfig& config) {
    static const size_t shipped = shipped_cache(config).max_value_size(0);
    return shipped;
  }

  // Not noexcept-safe in theory (the map allocates); a fuzz target that runs out of memory
  // fails anyway.
  cache::ItemView present(const cache::ItemView& item) noexcept {
    cache::ItemView shown = item;
    if (item.cas != 0) {
      shown.cas = cas_names_.try_emplace(item.cas, cas_names_.size() + 1).first->second;
    }
    // Last access is exact in both caches until an access after the store is recorded (at
    // least kAccessUpdateInterval later); from then on CuckooCache's 16-bit stamp may round it
    // down (cache/access_stamp.h), so it is not compared. The cache tests check it exactly.
    const auto stored = stored_keys_.find(std::string(item.key));
    if (stored == stored_keys_.end() || now_ - stored->second >= cache::kAccessUpdateInterval) {
      shown.last_access = 0;
    }
    return shown;
  }

  Inner inner_;
  std::unordered_map<uint64_t, uint64_t> cas_names_;          // inner unique -> presented unique
  cache::Time flush_deadline_ = 0;                            // of the last flush_all, 0 = none
  std::unordered_map<std::string, cache::Time> stored_keys_;  // key -> when last stored
  cache::Time now_ = 0;                                       // the clock of the latest call
  std::unordered_set<std::string> differing_keys_;            // whose items may differ (see above)
  mutable bool replies_part_ = false;
};

}  // namespace cuckood::fuzz
