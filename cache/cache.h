// The Cache interface: the storage primitives proto/ builds memcached's commands from — read
// a live item, update a key through a Mutation, flush, pin — and nothing of memcached's rules.
// Implementations:
//   - CuckooCache (cache/cuckoo_cache.h): our optimistic cuckoo index + bounded item store.
//   - LibcuckooCache (cache/baseline/libcuckoo_cache.h): libcuckoo's cuckoohash_map; the test
//     oracle and benchmark baseline, outside the production binary.
//
// Threading model: every worker thread registers once (register_worker) and passes its own
// WorkerContext to every call. All operations are thread-safe and noexcept. Each operation is
// atomic per key. A visitor is called at most once per operation, with a consistent snapshot,
// while the item is protected; it must not call back into the Cache.
//
// Reclamation: a worker calls quiescent() between event-loop turns, when it holds no ItemView;
// memory of replaced or deleted items is reused only after every worker has done so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cache/function_ref.h"
#include "cache/key_hasher.h"
#include "cache/types.h"

namespace cuckood::cache {

// Wall-clock seconds; the default clock of a Cache.
Time wall_clock_now() noexcept;

// Told of each live item evicted to make room (memcached's `watch evictions`). Called on the
// thread whose store evicts, while the evicted item is still readable; must not call back into
// the Cache. watching() is asked first, per item: it should cost a load.
class EvictionObserver {
 public:
  virtual bool watching() const noexcept = 0;
  virtual void evicted(const ItemView& item, Time now) noexcept = 0;

 protected:
  ~EvictionObserver() = default;
};

struct CacheConfig {
  size_t memory_limit = size_t{64} << 20;        // -m: bytes for items (key + value + header)
  size_t max_item_size = size_t{1} << 20;        // -I: largest item, header included
  std::function<Time()> clock = wall_clock_now;  // tests inject a fake clock
  uint64_t hash_seed = 0;                        // 0 = random per process
  // false (-M): a store that finds no free memory fails (UpdateStatus::kNoMemory) instead of
  // evicting a live item. Expired, flushed, replaced and deleted items are still reclaimed.
  bool evict = true;
  // -o hashpower: the index starts with 2^hashpower slots (0: sized from memory_limit). A hint:
  // the index grows as items arrive either way.
  unsigned hashpower = 0;
  // Ask for transparent huge pages on the item memory (madvise; see huge_pages_error): reads
  // land anywhere in it, and with small pages most of them also miss the TLB once it exceeds
  // the TLB's reach. Memory stays bounded by memory_limit: segments are opened in address
  // order, so beyond the bytes written only the rest of a huge page holding an open segment is
  // resident early (docs/operations.md).
  bool huge_pages = true;
  // Told of evictions (see EvictionObserver); must outlive the Cache. Null: nobody is.
  EvictionObserver* eviction_observer = nullptr;
  // The largest item size of each size class statistics are kept by, ascending
  // (cache/size_classes.h); empty: one class.
  std::vector<uint32_t> size_classes;
  // Address space reserved (never touched) so that set_memory_limit can raise the limit; 0: as
  // much as the machine has memory. memory_limit at least.
  size_t memory_reserve = 0;
  // prefetch_pays() turns true once the items and the index lines they occupy reach this many
  // bytes (the server passes a core's private cache size: below it look-ups hit that cache
  // and preparing a batch only costs); 0: from the start.
  size_t prefetch_from_bytes = 0;
  // start_crawl runs the crawl at once on the calling thread instead of the background one, so
  // that what a crawl changes never depends on that thread's timing (single-threaded tests and
  // fuzz targets that compare answers).
  bool crawl_in_caller = false;
};

// Statistics of one size class (CacheConfig::size_classes).
struct ClassStats {
  uint64_t items = 0;  // linked, live or not yet found dead
  uint64_t bytes = 0;  // their sizes in the store (key + value + header)
  uint64_t evicted = 0;
  uint64_t evicted_nonzero = 0;  // evicted items that had a deadline
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t reclaimed = 0;  // dead items whose memory was taken back
  uint64_t crawler_reclaimed = 0;
  uint64_t crawler_items_checked = 0;
  uint64_t outofmemory = 0;  // stores refused for want of memory
  Time evicted_time = 0;     // seconds the last evicted item had gone unaccessed
  uint64_t units = 0;        // units of item memory (segments) holding items of the class
  // When the oldest of those units was opened: no item of the class was accessed before
  // (0: none).
  Time oldest = 0;
};

// Storage statistics, summed over threads and stripes on demand.
struct CacheStats {
  uint64_t curr_items = 0;
  uint64_t total_items = 0;  // successful stores since start
  uint64_t bytes = 0;        // bytes of stored items (key + value + header)
  uint64_t limit_maxbytes = 0;
  uint64_t evictions = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t reclaimed = 0;  // expired items whose memory was taken back
  uint64_t crawler_reclaimed = 0;
  uint64_t crawler_items_checked = 0;
  // Operations that found their key's item dead, by flush_all or by its deadline (memcached
  // counts a look-up by any command, stores included).
  uint64_t found_flushed = 0;
  uint64_t found_expired = 0;
  uint64_t index_buckets = 0;  // buckets of the key index's current table
  uint64_t index_slots = 0;    // slots of the key index
  uint64_t index_bytes = 0;    // bytes of its table
  uint64_t index_growths = 0;  // times the index doubled since start
  bool index_growing = false;  // the index is doubling now
  // Bytes of values that pins (Cache::pin) keep valid now: replies sent from item memory.
  uint64_t pinned_bytes = 0;
  // Bytes of item memory in use: written since their unit (segment) was last taken, dead
  // items included, until the unit is freed.
  uint64_t malloced = 0;
  uint64_t unit_size = 0;           // bytes of one unit of item memory (a segment); 0: none
  std::vector<ClassStats> classes;  // per size class; the totals above are their sums

  // Adds one class's cumulative counters (evictions and reclaims) to the totals.
  void add_class_counters(const ClassStats& c) noexcept {
    evictions += c.evicted;
    evicted_unfetched += c.evicted_unfetched;
    expired_unfetched += c.expired_unfetched;
    reclaimed += c.reclaimed;
    crawler_reclaimed += c.crawler_reclaimed;
    crawler_items_checked += c.crawler_items_checked;
  }
};

// Where a walk of the index (Cache::walk) stands. A default-constructed cursor starts one.
struct WalkCursor {
  size_t position = 0;  // next bucket, counted in buckets of the table as it was at the start
  size_t span = 0;      // bucket count of that table (0: not started)
  bool done = false;
};

// What a walk shows of an item besides its view.
struct WalkedItem {
  uint32_t size_class = 0;  // 0-based index into CacheConfig::size_classes
  uint32_t size = 0;        // bytes the item takes in the store
};
using WalkVisitor = FunctionRef<void(const ItemView&, const WalkedItem&)>;

// Per-worker state: the current time and whatever an implementation keeps per thread
// (statistics, cas ranges, reclamation epoch). Owned and used by one thread only.
class WorkerContext {
 public:
  virtual ~WorkerContext() = default;
  Time now() const noexcept { return now_; }
  void set_now(Time now) noexcept { now_ = now; }

 private:
  Time now_ = 0;
};

using ItemVisitor = FunctionRef<void(const ItemView&)>;

// One write of one key, as proto's command layer defines it: the cache asks it what to do with
// the live item and applies the answer. The cache may ask more than once in one update (a
// concurrent writer changed the key meanwhile), so decide() only records its verdict; the last
// decision is the one applied. All three calls run while the item they see is protected and
// must not call back into the Cache.
class Mutation {
 public:
  // What to do with `live` (nullptr: no live item under the key).
  virtual Change decide(const ItemView* live) noexcept = 0;
  // Fills the value of a kStore: Change::value_size bytes at `value`. `live` is the item the
  // change was derived from (Change::derived), else nullptr.
  virtual void write(const ItemView* live, char* value) noexcept {
    (void)live;
    (void)value;
  }
  // Sees the item a kStore linked or a kTouch touched, right after the change.
  virtual void done(const ItemView& item) noexcept { (void)item; }
  // decide() ignores `live` (a plain set): the cache may skip looking the key up before it
  // builds the new item.
  virtual bool blind() const noexcept { return false; }

 protected:
  ~Mutation() = default;
};

class Cache {
 public:
  explicit Cache(const CacheConfig& config)
      : config_(config), hasher_(config.hash_seed ? KeyHasher(config.hash_seed) : KeyHasher()) {}
  virtual ~Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  const CacheConfig& config() const noexcept { return config_; }

  // Hash a key once per request; every operation takes the result.
  HashedKey hash(std::string_view key) const noexcept { return hasher_.hashed(key); }

  // Registers the calling thread as a worker. The context must be destroyed (on any thread)
  // before the Cache. Its now() is set from the clock.
  virtual std::unique_ptr<WorkerContext> register_worker() = 0;

  // The worker holds no item: reclamation may progress. Also refreshes ctx.now() from the clock.
  virtual void quiescent(WorkerContext& ctx) noexcept = 0;

  // Calls `visit` with the live item (not expired, not flushed) and returns true; false on a
  // miss. Marks the item read and records the access (kAccessUpdateInterval); the view shows
  // the state before this read. A read writes nothing shared beyond a bit still clear and, at
  // most once a minute, the last-access time.
  virtual bool read(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept = 0;

  // The caller is about to look up `keys` (the requests of one read): starts loading the
  // memory their look-ups will touch, so that the misses overlap instead of following one
  // another. Changes nothing a read, a statistic or another thread can see; the keys need not
  // be present. The default does nothing.
  virtual void prefetch(WorkerContext& ctx, std::span<const HashedKey> keys) noexcept {
    (void)ctx;
    (void)keys;
  }
  // Whether a caller gains by collecting keys for prefetch() (CacheConfig::prefetch_from_bytes).
  // Any thread; one relaxed load. The default prefetch() does nothing, so: never.
  virtual bool prefetch_pays() const noexcept { return false; }

  // read() without recording the access: the item's fetched and last-access state and its
  // standing for eviction stay as they were (an operator's look at an item).
  virtual bool peek(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept = 0;

  // The one conditional write: asks `mutation` what to make of the item live under `key` and
  // applies that change atomically with respect to every other update of the key (see
  // Mutation). Every write of a memcached command goes through here.
  virtual UpdateStatus update(WorkerContext& ctx, const HashedKey& key,
                              Mutation& mutation) noexcept = 0;

  // Invalidates every item stored before `when` (absolute; 0 or <= now = immediately), once
  // that time has come. Items stored after the call are unaffected by an immediate flush.
  virtual void flush_all(WorkerContext& ctx, Time when) noexcept = 0;
  // Withdraws a flush_all whose time has not come yet; one in force stays in force.
  virtual void cancel_flush(WorkerContext& ctx) noexcept = 0;

  // Visits the live items linked under about `budget` more index buckets from `cursor`, and
  // advances it (cursor.done once all were visited). Each call is one short critical section
  // and takes no lock, so a walk in many calls never holds a writer back for long; an item
  // that writers move, add or remove meanwhile may be missed or seen twice. Records no access.
  virtual void walk(WorkerContext& ctx, WalkCursor& cursor, size_t budget,
                    WalkVisitor visit) noexcept = 0;

  // The crawler: a background walk that unlinks the dead (expired, flushed) items of the size
  // classes in `class_mask` (bit i: class i), counting each item it looks at
  // (crawler_items_checked) and unlinks (crawler_reclaimed). False when one is running, or the
  // implementation has none. Thread-safe.
  virtual bool start_crawl(uint64_t class_mask) noexcept {
    (void)class_mask;
    return false;
  }
  // Whether a crawl is running. Thread-safe.
  virtual bool crawling() const noexcept { return false; }

  // Moves the memory limit (cache_memlimit): lowering it evicts down to it. False, and nothing
  // changes, when the implementation cannot hold that much or that little (the default: it
  // cannot move its limit).
  virtual bool set_memory_limit(WorkerContext& ctx, size_t bytes) noexcept {
    (void)ctx;
    (void)bytes;
    return false;
  }

  // Keeps `bytes` (a view handed to the current visitor: call only from inside a visitor, with
  // the same ctx) valid after the visitor returns, until unpin(ctx, token): net/ points a
  // sendmsg iovec at a large value instead of copying it. Returns an empty token when the
  // implementation cannot pin, or its bound on pinned memory is reached: the caller then copies.
  // Pinned memory is not reused (it may be evicted from the index meanwhile), so callers unpin
  // as soon as the bytes are sent. The default pins nothing.
  virtual PinToken pin(WorkerContext& ctx, std::string_view bytes) noexcept {
    (void)ctx;
    (void)bytes;
    return {};
  }
  // Releases a non-empty token returned by pin() on the same ctx (same thread). Every token
  // must be released before the ctx is destroyed.
  virtual void unpin(WorkerContext& ctx, PinToken token) noexcept {
    (void)ctx;
    (void)token;
  }

  virtual CacheStats stats() const noexcept = 0;

  // Largest value that can be stored under `key_size` (max_item_size less the item header).
  virtual size_t max_value_size(size_t key_size) const noexcept = 0;

  // The size class and store size `item` has, as walk() reports them, for an item stored afresh
  // with its key, value, flags and deadline (CuckooCache: an item that once had flags or a
  // deadline may keep room for them, 8 bytes more, when both are gone).
  virtual WalkedItem measure(const ItemView& item) const noexcept = 0;

 private:
  CacheConfig config_;
  KeyHasher hasher_;
};

}  // namespace cuckood::cache
