// CuckooCache: the Cache interface on our own optimistic cuckoo index (cache/cuckoo_index.h),
// log-structured segment store (cache/segment_store.h) and epoch reclamation (cache/epoch.h).
//
// Reads take no lock and write nothing shared: an epoch announcement on the worker's own cache
// line, a lock-free index probe, and at most a one-time set of the item's reference bit.
// Updates (update()) ask the mutation what to do with the item they see lock-free, build a new
// item in the worker's own segment without any lock, then swap it into the index under the
// key's stripe locks (CuckooIndex::update), where the mutation's decision is checked once more
// against what is linked then; a lost race simply decides again. Items are never changed in place
// except for their deadline and marks (kTouch, under the stripe locks) and the reference/fetched
// bits.
//
// flush_all: the cache keeps a flush generation plus an optional pending deadline; an item is
// live only while its segment's generation is the effective one, so a flush is one atomic
// store and no table walk. An immediate flush bumps the generation, which makes every writer
// open a fresh segment: items stored after the call are live even within the same second.
// A delayed flush (memcached: `flush_all N` takes effect at now + N - 1, and kills every item
// stored up to and including that second) moves the live generation on by two when that second
// comes; stores made within it go to the generation in between, dead at once, and items stored
// before it belong to the old one.
//
// cas uniques come from per-worker blocks of kCasBlock; statistics are per-worker single-writer
// counters plus the store's eviction counters, summed by stats().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "cache/cache.h"
#include "cache/cuckoo_index.h"
#include "cache/epoch.h"
#include "cache/segment_store.h"

namespace cuckood::cache {

class CuckooCache final : public Cache {
 public:
  static constexpr uint64_t kCasBlock = 1024;

  // Throws std::bad_alloc if the item memory cannot be reserved (start-up only).
  explicit CuckooCache(const CacheConfig& config);
  ~CuckooCache() override;

  std::unique_ptr<WorkerContext> register_worker() override;
  void quiescent(WorkerContext& ctx) noexcept override;
  bool read(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept override;
  bool peek(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept override;
  void prefetch(WorkerContext& ctx, std::span<const HashedKey> keys) noexcept override;
  // Refreshed by each reclaimer pass (once a second) from the item bytes and count.
  bool prefetch_pays() const noexcept override {
    return prefetch_pays_.load(std::memory_order_relaxed);
  }
  UpdateStatus update(WorkerContext& ctx, const HashedKey& key,
                      Mutation& mutation) noexcept override;
  void flush_all(WorkerContext& ctx, Time when) noexcept override;
  void cancel_flush(WorkerContext& ctx) noexcept override;
  void walk(WorkerContext& ctx, WalkCursor& cursor, size_t budget,
            WalkVisitor visit) noexcept override;
  bool start_crawl(uint64_t class_mask) noexcept override;
  bool crawling() const noexcept override { return crawling_.load(std::memory_order_acquire); }
  bool set_memory_limit(WorkerContext& ctx, size_t bytes) noexcept override;
  PinToken pin(WorkerContext& ctx, std::string_view bytes) noexcept override;
  void unpin(WorkerContext& ctx, PinToken token) noexcept override;
  CacheStats stats() const noexcept override;
  size_t max_value_size(size_t key_size) const noexcept override;
  WalkedItem measure(const ItemView& item) const noexcept override;

  // Introspection for tests and benchmarks.
  const CuckooIndex& index() const noexcept { return index_; }
  const SegmentStore& segment_store() const noexcept { return store_; }
  // Runs one pass of the background reclaimer now (tests). Thread-safe.
  void reclaim_now() noexcept;

 private:
  class Context;
  struct WorkerCounters;
  struct Seen;

  Era era(Time now) const noexcept;
  // What a mutation or visitor is shown of a protected item.
  ItemView view_of(const Item* item, bool fetched) const noexcept;
  uint64_t next_cas(Context& c) noexcept;
  size_t max_footprint() const noexcept;
  // The live item linked under `key`, or nullptr; unlinks a dead one it finds. In a guard.
  Item* find_live(Context& c, const HashedKey& key, Era era) noexcept;
  // Bookkeeping for an item the caller unlinked (replaced, deleted or found dead).
  void account_unlinked(Context& c, Item* item, Era era) noexcept;
  // `new_item`: counts in total_items (not Change::in_place).
  void account_linked(Context& c, const Item* item, uint32_t size_class, bool new_item) noexcept;
  // One attempt at applying `change`, decided against `seen` (cuckoo_cache.cc); nullopt when
  // the key changed meanwhile and the update must decide again. modify() applies kRemove and
  // kTouch, publish() kStore. Outside any guard.
  std::optional<UpdateStatus> modify(Context& c, const HashedKey& key, Mutation& mutation,
                                     const Change& change, const Seen& seen) noexcept;
  std::optional<UpdateStatus> publish(Context& c, const HashedKey& key, Mutation& mutation,
                                      const Change& change, const Seen& seen) noexcept;
  std::optional<UpdateStatus> extend(Context& c, const HashedKey& key, Mutation& mutation,
                                     const Change& change, const Seen& seen) noexcept;
  void touched(Context& c, Item* item, Mutation& mutation, const Change& change) noexcept;
  void* allocate(Context& c, size_t footprint, uint32_t size_class, Time exptime) noexcept;
  void publish_now(Time now) noexcept;
  void reclaimer_loop() noexcept;
  // One crawl over the classes of `class_mask`, on the reclaimer's thread (the caller's with
  // CacheConfig::crawl_in_caller).
  void crawl(uint64_t class_mask) noexcept;

  EpochDomain epoch_;
  CuckooIndex index_;
  SegmentStore store_;

  // Flush state: (generation << 32) | pending deadline (0 = none). See era(). Read by every
  // operation, written by flush_all only: on its own line.
  alignas(64) std::atomic<uint64_t> flush_state_{0};
  // Written once per kCasBlock stores of a worker, and once a second: away from flush_state_.
  alignas(64) std::atomic<uint64_t> next_cas_block_{1};  // cas 0 means "no cas": never issued
  std::atomic<Time> latest_now_{0};  // the newest worker clock: the reclaimer's "now"

  mutable std::mutex workers_mutex_;
  std::vector<const WorkerCounters*> workers_;  // guarded by workers_mutex_
  std::unique_ptr<WorkerCounters> retired_;     // counters of destroyed workers, guarded too

  std::mutex reclaim_pass_mutex_;  // one reclaimer pass at a time (it owns the participant)
  std::mutex reclaimer_mutex_;
  std::condition_variable reclaimer_wake_;
  bool reclaimer_stop_ = false;  // guarded by reclaimer_mutex_
  uint64_t crawl_request_ = 0;   // class mask of a crawl asked for; guarded by reclaimer_mutex_
  std::atomic<bool> crawling_{false};
  const size_t prefetch_from_bytes_;
  std::atomic<bool> prefetch_pays_;
  EpochParticipant* reclaimer_participant_;
  std::thread reclaimer_;
};

}  // namespace cuckood::cache
