// LibcuckooCache: the Cache interface on libcuckoo 0.3.1's cuckoohash_map. It is the oracle of
// differential tests and the baseline of bench/, and no part of the production binary (its
// own library, cuckood_cache_baseline). Every operation runs the whole decision of its
// mutation inside one libcuckoo functor call, so it is atomic per key under libcuckoo's bucket
// locks; reads take those locks too (that is what CuckooCache beats).
//
// Memory: each item is accounted as key + value + kItemHeaderSize bytes; a store that would
// take the total past memory_limit fails with kNoMemory (no eviction in this baseline). The
// total is one shared atomic, touched by writes only (an exact limit needs one sum); every
// other statistic is per worker, and reads write nothing but the item under its bucket lock.
// Expiry is lazy: an expired or flushed item is erased by the next access to it.
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <libcuckoo/cuckoohash_map.hh>

#include "cache/cache.h"

namespace cuckood::cache {

namespace libcuckoo_detail {

// The stored key keeps its hash so that libcuckoo never rehashes a key (hash once), not even
// when the table grows.
struct StoredKey {
  explicit StoredKey(const HashedKey& k) : key(k.key), hash(k.hash) {}
  std::string key;
  uint64_t hash;
};

struct KeyHash {
  size_t operator()(const StoredKey& k) const noexcept { return k.hash; }
  size_t operator()(const HashedKey& k) const noexcept { return k.hash; }
};

struct KeyEqual {
  bool operator()(const StoredKey& a, const HashedKey& b) const noexcept { return a.key == b.key; }
  bool operator()(const StoredKey& a, const StoredKey& b) const noexcept { return a.key == b.key; }
};

struct Item {
  Item() = default;
  // Built in place by libcuckoo when an update finds its key absent: vacant until `build`,
  // which takes the update's decision under the bucket locks, stores into it.
  template <class Build>
  requires std::invocable<Build&, Item&>
  explicit Item(Build&& build) : vacant(true) { build(*this); }

  std::string value;
  uint64_t cas = 0;
  uint32_t flags = 0;
  Time exptime = 0;      // absolute deadline, 0 = never
  Time time = 0;         // when this version was stored: flush_all compares it
  Time last_access = 0;  // previous access, for ItemView::last_access
  bool fetched = false;
  Marks marks = 0;
  // No item: an entry an update created for an absent key and did not store into (erased
  // right after). Treated as absent.
  bool vacant = false;
};

// Single-writer statistics of one worker, summed by stats(). Relaxed load + store: no RMW.
// curr_items is counted here too, not read from libcuckoo's size(), whose per-lock counters are
// plain integers that a concurrent reader would race with.
struct alignas(64) WorkerCounters {
  std::atomic<uint64_t> items{0};  // linked - unlinked by this worker; sums modulo 2^64
  std::atomic<uint64_t> total_items{0};
  std::atomic<uint64_t> expired_unfetched{0};
  std::atomic<uint64_t> reclaimed{0};

  static void add(std::atomic<uint64_t>& counter, uint64_t n) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static void bump(std::atomic<uint64_t>& counter) noexcept { add(counter, 1); }
  static void drop(std::atomic<uint64_t>& counter) noexcept { add(counter, ~uint64_t{0}); }
  void add_to(CacheStats& stats) const noexcept {
    stats.curr_items += items.load(std::memory_order_relaxed);
    stats.total_items += total_items.load(std::memory_order_relaxed);
    stats.expired_unfetched += expired_unfetched.load(std::memory_order_relaxed);
    stats.reclaimed += reclaimed.load(std::memory_order_relaxed);
  }
};

}  // namespace libcuckoo_detail

class LibcuckooCache final : public Cache {
 public:
  // Bytes charged per item on top of key and value: the table's key and item records.
  static constexpr size_t kItemHeaderSize =
      sizeof(libcuckoo_detail::StoredKey) + sizeof(libcuckoo_detail::Item);
  // cas uniques a worker takes from the global counter at once.
  static constexpr uint64_t kCasBlock = 1024;

  explicit LibcuckooCache(const CacheConfig& config);
  ~LibcuckooCache() override;

  std::unique_ptr<WorkerContext> register_worker() override;
  void quiescent(WorkerContext& ctx) noexcept override;
  bool read(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept override;
  bool peek(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept override;
  UpdateStatus update(WorkerContext& ctx, const HashedKey& key,
                      Mutation& mutation) noexcept override;
  void flush_all(WorkerContext& ctx, Time when) noexcept override;
  void cancel_flush(WorkerContext& ctx) noexcept override;
  // The whole table in one call, under libcuckoo's table lock (an oracle's walk).
  void walk(WorkerContext& ctx, WalkCursor& cursor, size_t budget,
            WalkVisitor visit) noexcept override;
  CacheStats stats() const noexcept override;
  size_t max_value_size(size_t key_size) const noexcept override;
  WalkedItem measure(const ItemView& item) const noexcept override;

 private:
  class Context;
  class Apply;
  using Item = libcuckoo_detail::Item;
  using Map = libcuckoo::cuckoohash_map<libcuckoo_detail::StoredKey, Item,
                                        libcuckoo_detail::KeyHash, libcuckoo_detail::KeyEqual>;

  static size_t item_size(size_t key_size, size_t value_size) noexcept {
    return kItemHeaderSize + key_size + value_size;
  }
  // Not vacant, not expired and not invalidated by flush_all, as seen at `now`.
  bool is_live(const Item& item, Time now) const noexcept;
  // Accounts for a dead item that the caller is about to overwrite or erase.
  void reclaim(Context& c, const Item& item, size_t key_size, Time now) noexcept;
  // Makes `deadline` the flush in force or pending, as seen at `now`. The caller holds
  // flush_mu_.
  void set_flush(Time deadline, Time now) noexcept;
  bool reserve(size_t bytes) noexcept;
  void release(size_t bytes) noexcept { bytes_.fetch_sub(bytes, std::memory_order_relaxed); }
  uint64_t next_cas(Context& c) noexcept;

  Map map_;
  std::atomic<uint64_t> bytes_{0};

  // cas uniques: workers take blocks of kCasBlock from next_cas_block_. An immediate flush
  // sets flush_cas_ to the start of the next block and bumps cas_generation_, which makes
  // every worker drop its block, so that items stored after the flush have cas >= flush_cas_.
  std::atomic<uint64_t> next_cas_block_{1};
  std::atomic<uint64_t> cas_generation_{0};

  // memcached's settings.oldest_live + 1 (0 = no flush) and settings.oldest_cas; see is_live.
  std::atomic<Time> flush_when_{0};
  std::atomic<uint64_t> flush_cas_{0};
  std::mutex flush_mu_;  // serialises flush_all writers

  mutable std::mutex workers_mu_;
  std::vector<const libcuckoo_detail::WorkerCounters*> workers_;  // guarded by workers_mu_
  CacheStats retired_;  // counts of workers that left; guarded by workers_mu_
};

}  // namespace cuckood::cache
