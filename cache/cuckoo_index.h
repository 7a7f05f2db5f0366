// The concurrent key → item index: partial-key cuckoo hashing (MemC3, Fan et al. NSDI'13).
//
// Each key has two candidate buckets, b1 = hash & mask and b2 = b1 ^ (f(tag) & mask), where the
// tag is the top 16 bits of the hash; b2 is computable from (b1, tag) alone, so an entry can
// be moved to its other bucket without reading its key. A bucket is one cache line of 8 slots;
// a slot is one atomic word packing the tag and the item pointer (see slot layout below), so a
// lookup reads at most two cache lines before it compares a key.
//
// Concurrency:
//  - Reads (find) are lock-free and write nothing shared. Stripes of buckets (bucket & 1023)
//    carry a version counter, odd while a cuckoo move is rewriting one of its buckets. A reader
//    that finds the key returns at once (the slot held it at that instant); a reader that
//    misses re-checks both stripes' versions and retries if a move ran meanwhile, because the
//    move may have carried the key from the bucket not yet read to the one already read.
//  - Writes take the spinlocks of the key's two stripes, lower index first. Replacing or
//    erasing a slot is one atomic store and needs no version bump (readers see old or new).
//    Inserting into two full buckets releases the locks, finds a cuckoo path by BFS (depth
//    <= 4) and executes it backward, one move at a time under the two stripes concerned, the
//    entry written to its new slot before the old one is cleared: a present key is never
//    missed.
//  - Growth: when no path exists, or when a large table is nearly full (growth ahead of need,
//    cuckoo_index.cc), the table doubles, and the old table's entries migrate to the new one
//    lazily, one lock stripe at a time. The doubling itself only publishes the new table (its
//    pages were faulted in while the old one filled, or are mapped then); no lock is held and
//    nothing is copied. Each stripe's version word also names the generation of the table that
//    holds its buckets; a writer that locks a stripe still in the old table migrates it first
//    (under that lock), and after each update a writer helps migrate one more stripe, so the
//    old table empties after about kStripes updates and is then retired to the epoch domain. Each
//    old bucket b splits into new buckets b and b + n, both in b's stripe (stripes are the bucket's
//    low bits, which doubling preserves), so a stripe migrates alone, needs no cuckoo moves (an
//    entry keeps its slot index) and never holds more than two stripes' locks. Which of the two
//    buckets an entry goes to is one hash bit, kept in its slot when known (slot layout below),
//    else read from its item. Migration writes only the new table and then publishes the stripe's
//    new generation with one release store, so readers never wait for it: a reader probes each of
//    its two buckets in the table its stripe's version word names; the old table is never written
//    once a stripe left it. A miss re-checks the version words as for cuckoo moves, so a migration
//    meanwhile makes it retry. The next doubling first finishes the previous migration (usually
//    nothing is left by then), so at most two tables exist. Writers whose insert needs the doubling
//    another writer is performing retry until it is published (an allocation, not a rehash).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "cache/epoch.h"
#include "cache/function_ref.h"
#include "cache/item.h"
#include "cache/types.h"

namespace cuckood::cache {

class CuckooIndex {
 public:
  static constexpr size_t kSlotsPerBucket = 8;
  static constexpr size_t kStripes = 1024;
  static constexpr size_t kMaxPathDepth = 4;

  // What update()'s decision function wants done with the key's slot.
  struct Decision {
    enum class Kind : uint8_t { kKeep, kPut, kErase };
    Kind kind = Kind::kKeep;
    Item* item = nullptr;  // for kPut: the item to link (replacing the current one, if any)
    static Decision keep() noexcept { return {}; }
    static Decision put(Item* item) noexcept { return {Kind::kPut, item}; }
    static Decision erase() noexcept { return {Kind::kErase, nullptr}; }
  };
  struct UpdateResult {
    Item* previous = nullptr;  // the item linked when the decision was taken
    bool changed = false;      // the decision was kPut, or kErase of a present item
  };

  // `rehash` recomputes a key's hash (the Cache's keyed hash); used by growth and unlink().
  // Thread-safe for the lifetime of the index. `epoch` must outlive the index.
  CuckooIndex(std::function<uint64_t(std::string_view)> rehash, EpochDomain& epoch,
              size_t initial_buckets = kStripes);
  ~CuckooIndex();
  CuckooIndex(const CuckooIndex&) = delete;
  CuckooIndex& operator=(const CuckooIndex&) = delete;

  // The item linked under `key`, or nullptr. Lock-free, writes nothing shared. The caller must
  // be inside an epoch critical section for as long as it uses the item.
  Item* find(const HashedKey& key) const noexcept;

  // A batch of look-ups (Cache::prefetch) overlaps its memory misses: the caller starts every
  // key's bucket lines loading, then every matching item, then calls find() for each. Both are
  // hints: they change nothing and are not exact (a racing move or migration may send them to
  // the wrong lines). Caller inside an epoch critical section.
  // Starts loading the lines of the key's two buckets.
  void prefetch_buckets(const HashedKey& key) const noexcept;
  // Reads the key's first bucket, and its second only when no tag in the first matches (best
  // once prefetch_buckets brought them), and starts loading the first two lines of each item
  // whose tag matches: its header, key and a short value.
  // Returns how many items that was (tests).
  size_t prefetch_items(const HashedKey& key) const noexcept;

  // Starts loading the lines update() takes first for `key` (its two stripe locks, for
  // writing, and its two buckets in the current table), so that a caller with other work before
  // the update (an item to build) overlaps their misses with it. A hint. Caller inside an epoch
  // critical section.
  void prefetch_update(const HashedKey& key) const noexcept;

  // Atomic read-modify-write of the key's slot: `decide` is called under the key's stripe locks
  // with the current item (nullptr if absent); it must be quick, must not call into the index,
  // and may be called again if the locks had to be dropped to make room. Caller inside an
  // epoch critical section. Never fails: the table grows when full.
  UpdateResult update(const HashedKey& key, FunctionRef<Decision(Item* current)> decide) noexcept;

  // `item`'s key with its hash: what unlink and relink need, computed ahead by a sweep that
  // prefetches (prefetch_buckets) before it gets to the item. Any thread.
  HashedKey key_of(const Item* item) const noexcept;

  // Unlinks `item` if it is still the one linked under its key and `condition()` holds when
  // judged under the key's lock; true if it was unlinked. `key` is key_of(item). Caller inside
  // a critical section.
  bool unlink(const HashedKey& key, Item* item, FunctionRef<bool()> condition) noexcept;
  bool unlink(Item* item, FunctionRef<bool()> condition) noexcept {
    return unlink(key_of(item), item, condition);
  }
  // Links `replacement` (a copy of `item`: same key) in place of `item` if `item` is still
  // linked; true if so. The copy takes the item's deadline, marks and read state under the
  // lock, so that a touch or a read racing the copy is not lost. `key` is key_of(item). Caller
  // inside a critical section.
  bool relink(const HashedKey& key, Item* item, Item* replacement) noexcept;
  bool relink(Item* item, Item* replacement) noexcept {
    return relink(key_of(item), item, replacement);
  }
  // Whether `item` is what is linked under its key: a lock-free look, true only at that
  // instant. Caller inside a critical section.
  bool linked(const Item* item) const noexcept;

  // Calls `visit` with each item linked in `count` more buckets from `position` and advances
  // it; true once the whole table was walked. `position` counts buckets of the table as it
  // was when the walk began (`span` of them; 0 starts a walk); since doubling splits bucket b
  // into b and b + span, a walk survives growth. Lock-free; the caller is inside a critical
  // section. An entry that a concurrent cuckoo move or migration carries across the position
  // may be missed or seen twice.
  bool walk(size_t& position, size_t& span, size_t count,
            FunctionRef<void(Item*)> visit) const noexcept;

  // Number of buckets in the current table (tests, stats).
  size_t bucket_count() const noexcept;
  // The last doubling's migration is under way (memcached's hash_is_expanding). Any thread;
  // two relaxed loads.
  bool growing() const noexcept {
    return migrated_generation_.load(std::memory_order_relaxed) !=
           generation_.load(std::memory_order_relaxed);
  }
  // Doublings since the index was made. Any thread; one relaxed load of a word written once
  // per doubling.
  uint32_t growths() const noexcept { return generation_.load(std::memory_order_relaxed); }
  // Number of linked entries; walks the table, so only for tests and rare stats.
  size_t count_slow() const noexcept;
  // Bytes of the next table already faulted in ahead of the doubling (tests).
  size_t faulted_ahead() const noexcept { return next_faulted_.load(std::memory_order_relaxed); }

 private:
  struct Table;
  struct alignas(64) Lock {
    std::atomic<uint32_t> held{0};
    uint32_t entries = 0;  // linked in the stripe's buckets; read and written under `held`
  };
  struct Path;

  // Slot layout: the tag in the top 16 bits, the item pointer in the low 48. Items are 8-byte
  // aligned, so the pointer's low 3 bits carry migration hints instead: the entry's side (in
  // its primary bucket hash & mask, or in the alternate one), and, when known, the hash bit
  // that picks its bucket once the table it is in doubles (bit log2(buckets)). A migration
  // that finds that bit needs no read of the item; it spends the bit, so an entry that is not
  // rewritten meanwhile is read at every other doubling (where its next bit is noted again).
  static constexpr unsigned kTagShift = 48;
  static constexpr uint64_t kAlternateSide = 1, kNextBitKnown = 2, kNextBit = 4;
  static constexpr uint64_t kHintMask = kAlternateSide | kNextBitKnown | kNextBit;
  static constexpr uint64_t kPointerMask = ((uint64_t{1} << kTagShift) - 1) & ~kHintMask;
  static uint16_t tag_of(uint64_t hash) noexcept {
    return static_cast<uint16_t>(hash >> kTagShift);
  }
  // The slot word for `item` (hash `hash`) on side `side` (0 or kAlternateSide) of a table of
  // mask `mask`.
  static uint64_t pack(uint64_t hash, const Item* item, uint64_t side, size_t mask) noexcept;
  // Where an entry of old bucket `bucket` goes when its table (mask `mask`) doubles.
  uint64_t migrated_word(uint64_t word, size_t bucket, size_t mask, size_t& new_bucket) const;
  static Item* item_of(uint64_t slot) noexcept {
    return reinterpret_cast<Item*>(slot & kPointerMask);
  }
  static uint64_t tag_mix(uint16_t tag) noexcept;
  static size_t alt_bucket(size_t bucket, uint16_t tag, size_t mask) noexcept {
    return (bucket ^ tag_mix(tag)) & mask;  // involutive in `bucket`
  }
  static size_t stripe_of(size_t bucket) noexcept { return bucket & (kStripes - 1); }
  // A key's two stripes depend on its hash alone (tables have at least kStripes buckets).
  static size_t alt_stripe(uint64_t hash, uint16_t tag) noexcept {
    return alt_bucket(stripe_of(hash), tag, kStripes - 1);
  }
  // A stripe's version word: the seqlock counter of cuckoo moves in the low half (odd while a
  // move runs), the generation of the table holding the stripe's buckets in the high half.
  static constexpr unsigned kGenerationShift = 32;
  static constexpr uint64_t kCounterMask = (uint64_t{1} << kGenerationShift) - 1;
  static uint32_t generation_of(uint64_t version) noexcept {
    return static_cast<uint32_t>(version >> kGenerationShift);
  }
  static uint64_t bumped(uint64_t version) noexcept {
    return (version & ~kCounterMask) | ((version + 1) & kCounterMask);
  }
  // The table holding a stripe's buckets, given the current table `t` and the stripe's version
  // word: `t`, or the one it is migrating from; nullptr if `t` is no longer current (retry).
  static const Table* home(const Table& t, uint64_t version) noexcept;
  // The two buckets find() would probe for `key` now, without its retry: the prefetches' guess.
  struct Probe {
    const Table* first_table;
    size_t first;
    const Table* second_table;
    size_t second;
  };
  Probe probe_of(const HashedKey& key) const noexcept;
  // The item under `key` in one bucket, or nullptr (find's probe; no version check).
  static Item* find_in_bucket(const Table& table, size_t bucket, uint16_t tag,
                              std::string_view key) noexcept;

  void lock_two(size_t s1, size_t s2) noexcept;
  void unlock_two(size_t s1, size_t s2) noexcept;
  void lock_stripe(size_t s) noexcept;
  void unlock_stripe(size_t s) noexcept;
  void begin_move(size_t s1, size_t s2) noexcept;
  void end_move(size_t s1, size_t s2) noexcept;
  // Locks both stripes and migrates them into the current table, which it returns: the table
  // to operate on while the locks are held (a doubling meanwhile leaves them in it).
  Table* lock_current(size_t s1, size_t s2) noexcept;
  // Moves stripe `s`'s entries from `t`'s predecessor into `t` unless already there. Caller
  // holds the stripe's lock and loaded `t` from table_ after taking it.
  void migrate_locked(Table* t, size_t s) noexcept;
  // Migrates the next stripe of `t` nobody has claimed yet, if any (no lock held on entry).
  void help_migrate(Table* t) noexcept;
  // Migrates every stripe still in `t`'s predecessor (no lock held on entry).
  void finish_migration(Table* t) noexcept;

  // Called without locks when both of a key's buckets were full: frees a slot in b1 or b2 by
  // a cuckoo path, or grows the table. The caller retries its update either way.
  void make_room(Table* table, size_t b1, size_t b2) noexcept;
  bool find_path(const Table& table, size_t b1, size_t b2, Path& path) const noexcept;
  bool execute_path(Table* table, const Path& path) noexcept;
  void grow(Table* table) noexcept;
  // Growth ahead of need (cuckoo_index.cc). Adds `delta` to stripe `s`'s entries, and to
  // counted_ when that crosses a multiple of kCountGrain (then returns true). Caller holds the
  // stripe's lock.
  bool count_entry(size_t s, int delta) noexcept;
  // The share of `t`'s slots used, estimated from counted_; 0 for a table too small to tell.
  double load_of(const Table& t) const noexcept;
  // Faults in the next chunk of the table that will succeed `t` if `t`'s load says the
  // doubling is that near (no lock held on entry).
  void prepare_growth(const Table* t, double load) noexcept;

  std::function<uint64_t(std::string_view)> rehash_;
  EpochDomain& epoch_;
  std::atomic<Table*> table_;
  std::unique_ptr<Lock[]> locks_;
  // Written once per doubling: the current table's generation, and the newest one whose
  // migration finished (equal when no migration is under way). Read by every update.
  alignas(64) std::atomic<uint32_t> generation_{0};
  std::atomic<uint32_t> migrated_generation_{0};
  std::atomic<bool> resizing_{false};  // a writer is doubling (try-lock; others retry)
  // Entries linked, counted kCountGrain at a time per stripe (count_entry): one shared write
  // per kCountGrain inserts, and short by less than kCountGrain per stripe.
  static constexpr uint32_t kCountGrain = 16;
  alignas(64) std::atomic<int64_t> counted_{0};
  // The next table's memory, mapped and faulted in chunk by chunk while the table fills, so
  // that the doubling finds its pages ready. Guarded by next_mutex_; next_faulted_ mirrors
  // next_.faulted for writers that only check whether a chunk is due.
  struct NextTable {
    void* memory = nullptr;
    size_t bytes = 0;
    size_t faulted = 0;
  };
  alignas(64) std::mutex next_mutex_;
  NextTable next_;
  std::atomic<size_t> next_faulted_{0};
  // Versions are dense (8 per line): they change only around cuckoo moves and migrations, so a
  // reader's version line stays in its cache; the locks, written by every writer, live on their
  // own lines.
  alignas(64) std::atomic<uint64_t> versions_[kStripes];
};

}  // namespace cuckood::cache
