// MutexMapCache: the simplest honest concurrent cache, the "what you would write first"
// baseline of cache_bench: 64 stripes, each a std::mutex around a std::unordered_map. A key's
// stripe comes from the top bits of its hash; the map reuses the precomputed hash (hash once),
// so every operation is one lock, one hash-table probe and one unlock. Reads take the lock and
// update the item's access time, as a plain LRU-ish cache would.
//
// Semantics follow cache/cache.h for every primitive (read, update, expiry, flush_all). Memory is
// bounded per stripe (memory_limit / kStripes, items accounted as key + value + kItemHeaderSize)
// but there is no eviction: a store into a full stripe fails with kNoMemory. It is a speed baseline
// for workloads sized to fit, not a cache to deploy.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cache/cache.h"

namespace cuckood::bench {

class MutexMapCache final : public cache::Cache {
 public:
  static constexpr size_t kStripes = 64;
  // Bytes charged per item on top of key and value (map node, key and item records).
  static constexpr size_t kItemHeaderSize = 96;

  explicit MutexMapCache(const cache::CacheConfig& config) : Cache(config) {}

  std::unique_ptr<cache::WorkerContext> register_worker() override;
  void quiescent(cache::WorkerContext& ctx) noexcept override;
  bool read(cache::WorkerContext& ctx, const cache::HashedKey& key,
            cache::ItemVisitor visit) noexcept override;
  bool peek(cache::WorkerContext& ctx, const cache::HashedKey& key,
            cache::ItemVisitor visit) noexcept override;
  cache::UpdateStatus update(cache::WorkerContext& ctx, const cache::HashedKey& key,
                             cache::Mutation& mutation) noexcept override;
  void flush_all(cache::WorkerContext& ctx, cache::Time when) noexcept override;
  void cancel_flush(cache::WorkerContext& ctx) noexcept override;
  // One stripe per call (the budget is ignored).
  void walk(cache::WorkerContext& ctx, cache::WalkCursor& cursor, size_t budget,
            cache::WalkVisitor visit) noexcept override;
  cache::CacheStats stats() const noexcept override;
  size_t max_value_size(size_t key_size) const noexcept override;
  cache::WalkedItem measure(const cache::ItemView& item) const noexcept override;

 private:
  // The stored key keeps its hash so that the map never rehashes a key.
  struct StoredKey {
    std::string key;
    uint64_t hash;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const StoredKey& k) const noexcept { return k.hash; }
    size_t operator()(const cache::HashedKey& k) const noexcept { return k.hash; }
  };
  struct KeyEqual {
    using is_transparent = void;
    bool operator()(const StoredKey& a, const StoredKey& b) const noexcept {
      return a.key == b.key;
    }
    bool operator()(const cache::HashedKey& a, const StoredKey& b) const noexcept {
      return a.key == b.key;
    }
    bool operator()(const StoredKey& a, const cache::HashedKey& b) const noexcept {
      return a.key == b.key;
    }
  };
  struct Item {
    std::string value;
    uint64_t cas = 0;
    uint32_t flags = 0;
    cache::Time exptime = 0;      // absolute deadline, 0 = never
    cache::Time stored = 0;       // when this version was stored: a delayed flush compares it
    cache::Time last_access = 0;  // previous access, for ItemView::last_access
    bool fetched = false;
    cache::Marks marks = 0;
  };
  using Map = std::unordered_map<StoredKey, Item, KeyHash, KeyEqual>;

  struct alignas(64) Stripe {
    mutable std::mutex mu;
    Map map;                   // guarded by mu
    uint64_t cas_counter = 0;  // guarded by mu
    uint64_t bytes = 0;        // guarded by mu
    uint64_t total_items = 0;  // guarded by mu
  };

  Stripe& stripe_of(const cache::HashedKey& key) noexcept { return stripes_[stripe_index(key)]; }
  static size_t stripe_index(const cache::HashedKey& key) noexcept {
    return key.hash >> 58;  // top 6 bits: the map's bucket index uses the low ones
  }
  static_assert(kStripes == 64, "stripe_index takes 6 bits");

  // The live item of `key` in its stripe, or end(); erases a dead (expired, flushed) one.
  Map::iterator find_live_locked(Stripe& stripe, const cache::HashedKey& key,
                                 cache::Time now) noexcept;
  // Installs a new version of `key` with a fresh cas; returns its entry.
  Map::iterator put_locked(Stripe& stripe, const cache::HashedKey& key, std::string value,
                           uint32_t flags, cache::Time exptime, cache::Time now);
  // Whether the stripe stays within its share of memory_limit after storing an item of these
  // sizes in place of `replaced` (nullptr: a new key).
  bool fits_locked(const Stripe& stripe, size_t key_size, size_t value_size,
                   const Item* replaced) const noexcept;
  void erase_locked(Stripe& stripe, Map::iterator it) noexcept;
  static size_t item_size(size_t key_size, size_t value_size) noexcept {
    return kItemHeaderSize + key_size + value_size;
  }

  std::array<Stripe, kStripes> stripes_;
  // A pending delayed flush_all deadline (0 = none): as memcached, items stored up to the
  // second before it die once that second has come.
  std::atomic<cache::Time> flush_at_{0};
};

}  // namespace cuckood::bench
