// The concurrent key → item index: partial-key cuckoo hashing (MemC3, Fan et al. NSDI'13).
//
// Each key has two candidate buckets, b1 = hash & mask and b2 = b1 ^ (f(tag) & mask), where the
// tag is the top 13 bits of the hash; b2 is computable from (b1, tag) alone, so an entry can
// be moved to its other bucket without reading its key. A bucket is one cache line of 8 slots;
// a slot is one atomic word packing the tag and the item pointer (see slot layout below), so a
// lookup reads at most two cache lines before it compares a key.
//
// Concurrency:
//  - Buckets are grouped into kStripes stripes: runs of up to kMaxStripeRun consecutive buckets
//    (the run length fixed when the index is made), run r belonging to stripe r % kStripes, so
//    that a stripe's buckets come in runs a migration reads and writes as whole pages.
//  - Reads (find) are lock-free and write nothing shared. Stripes carry a version counter, odd
//    while a cuckoo move is rewriting one of its buckets. A reader that finds the key returns
//    at once (the slot held it at that instant); a reader that misses re-checks both stripes'
//    versions and retries if a move ran meanwhile, because the move may have carried the key
//    from the bucket not yet read to the one already read.
//  - Every writer of a bucket's slots holds that bucket's stripe spinlock. A write first takes
//    the lock of the key's primary stripe: a key found in its primary bucket is replaced or
//    erased under that lock alone; otherwise the write also takes the alternate stripe's (tried
//    at once, or both again lower index first). Replacing or erasing a slot is one atomic store
//    and needs no version bump (readers see old or new).
//    Inserting into two full buckets releases the locks, finds a cuckoo path by BFS (depth
//    <= 4) and executes it backward, one move at a time under the two stripes concerned, the
//    entry written to its new slot before the old one is cleared: a present key is never
//    missed.
//  - Growth: when no path exists, or when a large table is nearly full (growth ahead of need,
//    cuckoo_index.cc), the table doubles in place. The index reserves the address space of its
//    largest size once, so the table of 2n buckets is the table of n with n fresh buckets after
//    it: each old bucket b splits into buckets b and b + n, both in b's stripe (n is a multiple
//    of the kStripes runs, so doubling preserves stripes), an entry keeps its slot index, and
//    which of the two buckets it belongs in is one hash bit, kept in its slot when known (slot
//    layout below), else read from its item. The doubling itself only publishes the new generation
//    (the fresh half's pages were faulted in while the table filled, or are as stripes
//    migrate); no lock is held and nothing is copied. Stripes then migrate lazily, one at a
//    time under its lock: a writer that locks a stripe still in the old generation migrates it
//    first, and after each update a writer helps migrate one more stripe, so the migration ends
//    after about kStripes updates. Each stripe's version word also names the generation its
//    buckets are laid out for, and readers probe with that generation's mask. A migration
//    never makes readers wait: it flags the stripe's version word as migrating, moves each
//    entry bound for b + n there before it clears its old slot, and publishes the stripe's new
//    generation with one release store. A reader that loaded the flagged word probes, on each
//    side, the old bucket and then the fresh one above it, so it finds every present entry in
//    one of them; a reader that loaded the word before the flag and misses re-checks the
//    version words, as for cuckoo moves, and retries. The next doubling first finishes the
//    previous migration (usually nothing is left by then). Writers whose insert needs the
//    doubling another writer is performing retry until it is published.
//  - Memory: the reservation is address space only (PROT_NONE) until a size is reached; the
//    buckets of a size are made writable when the table grows to it, or as its fresh half is
//    faulted in ahead. Nothing is freed while the index lives.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "cache/function_ref.h"
#include "cache/item.h"
#include "cache/types.h"

namespace cuckood::cache {

class CuckooIndex {
 public:
  static constexpr size_t kSlotsPerBucket = 8;
  static constexpr size_t kStripes = 1024;
  // Longest run of consecutive buckets in one stripe: 8 buckets are 512 bytes, so a stripe's
  // migration touches a run of lines per page instead of one line per page.
  static constexpr size_t kMaxStripeRun = 8;
  static constexpr size_t kMaxPathDepth = 4;
  // Hash bits above a table's mask that a slot keeps for its next doublings (slot layout).
  static constexpr unsigned kNextBitsKept = 4;

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

  // Largest table when the caller does not say (the reservation is address space only).
  static constexpr size_t kDefaultMaxBuckets = size_t{1} << 26;

  // `rehash` recomputes a key's hash (the Cache's keyed hash); used by growth and unlink().
  // Thread-safe for the lifetime of the index. The table starts with `initial_buckets` and
  // doubles up to `max_buckets` (both rounded up to powers of two, at least kStripes; stripes
  // take runs of min(kMaxStripeRun, initial buckets / kStripes) buckets); a table
  // at its largest size makes room by cuckoo paths alone, so `max_buckets` should leave the
  // load well below full (CuckooCache reserves twice the slots its store can fill). Throws
  // std::bad_alloc if the address space cannot be reserved (start-up only).
  CuckooIndex(std::function<uint64_t(std::string_view)> rehash, size_t initial_buckets = kStripes,
              size_t max_buckets = kDefaultMaxBuckets);
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

  // Atomic read-modify-write of the key's slot: `decide` is called with the current item
  // (nullptr if absent) while no other writer can change that slot (under the primary stripe's
  // lock when the key is in its primary bucket, else under both of its stripes' locks); it must
  // be quick, must not call into the index, and may be called again if the locks had to be
  // dropped to make room. Caller inside an
  // epoch critical section. Never fails: the table grows when full (at its largest size, cuckoo
  // paths and other writers' erasures make room).
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
  // section. An entry that a concurrent cuckoo move carries across the position may be missed
  // or seen twice; one that a concurrent migration carries up may be seen twice.
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
  // Bytes of the next size's fresh half already faulted in ahead of the doubling (tests).
  size_t faulted_ahead() const noexcept {
    return faulted_ahead_bytes_.load(std::memory_order_relaxed);
  }

 private:
  struct Bucket;
  struct alignas(64) Lock {
    std::atomic<uint32_t> held{0};
    uint32_t entries = 0;  // linked in the stripe's buckets; read and written under `held`
  };
  struct Path;

  // Slot layout, low to high: the item's address over 8 (items are 8-byte aligned and
  // user-space addresses fit in 48 bits) in 45 bits; the entry's side (in its primary bucket
  // hash & mask, or in the alternate one); the next hash bits its doublings need, in 5 bits; the
  // tag in the top 13. Doubling a table of 2^k buckets sends an entry to bucket b or b + 2^k by
  // hash bit k. A slot written in a table of 2^k buckets keeps bits k .. k + kNextBitsKept - 1
  // as a field `1 << count | bits` (count of them left, the lowest next); a migration spends
  // the lowest without reading the item, and reads the item to rehash its key only when none
  // is left, so an entry not rewritten meanwhile is read at one doubling in kNextBitsKept + 1.
  // Tags are 13 bits, not 16, to make room for the field: a wrong key's tag matches one slot
  // in 8192 (a needless key compare), and alternate buckets still spread over 8192 offsets.
  static constexpr unsigned kAddressBits = 45, kFieldShift = 46, kFieldBits = 5, kTagShift = 51;
  static constexpr uint64_t kAlternateSide = uint64_t{1} << kAddressBits;
  static constexpr uint64_t kAddressMask = kAlternateSide - 1;
  static constexpr uint64_t kFieldMask = ((uint64_t{1} << kFieldBits) - 1) << kFieldShift;
  static_assert(kFieldShift == kAddressBits + 1 && kTagShift == kFieldShift + kFieldBits &&
                kFieldBits == kNextBitsKept + 1 && 64 - kTagShift == 13);
  static uint64_t field_of(uint64_t word) noexcept { return (word & kFieldMask) >> kFieldShift; }
  static uint64_t with_field(uint64_t word, uint64_t field) noexcept {
    return (word & ~kFieldMask) | (field << kFieldShift);
  }
  // No next hash bit left: the next doubling reads the item.
  static bool needs_rehash(uint64_t word) noexcept { return field_of(word) == 1; }
  static uint16_t tag_of(uint64_t hash) noexcept {
    return static_cast<uint16_t>(hash >> kTagShift);
  }
  // The slot word for `item` (hash `hash`) on side `side` (0 or kAlternateSide) of a table of
  // mask `mask`.
  static uint64_t pack(uint64_t hash, const Item* item, uint64_t side, size_t mask) noexcept;
  // Where an entry of old bucket `bucket` goes when its table (mask `mask`) doubles.
  inline uint64_t migrated_word(uint64_t word, size_t bucket, size_t mask,
                                size_t& new_bucket) const;
  static Item* item_of(uint64_t slot) noexcept {
    return reinterpret_cast<Item*>((slot & kAddressMask) << 3);
  }
  static uint64_t tag_mix(uint16_t tag) noexcept;
  static size_t alt_bucket(size_t bucket, uint16_t tag, size_t mask) noexcept {
    return (bucket ^ tag_mix(tag)) & mask;  // involutive in `bucket`
  }
  size_t stripe_of(size_t bucket) const noexcept {
    return (bucket >> stripe_shift_) & (kStripes - 1);
  }
  // A key's two stripes depend on its hash alone (tables have at least kStripes runs): the
  // alternate bucket's run is the primary's XORed with the tag mix, as in alt_bucket.
  size_t alt_stripe(uint64_t hash, uint16_t tag) const noexcept {
    return stripe_of(hash ^ tag_mix(tag));
  }
  // The `k`-th bucket of stripe `s`, in address order.
  size_t stripe_bucket(size_t s, size_t k) const noexcept {
    const size_t run_mask = (size_t{1} << stripe_shift_) - 1;
    return ((((k >> stripe_shift_) * kStripes) + s) << stripe_shift_) | (k & run_mask);
  }
  // A stripe's version word: the seqlock counter of cuckoo moves in the low 31 bits (odd while
  // a move runs), kMigrating while a migration moves its entries from the layout of its
  // generation to the next one, the generation (doublings) its buckets are laid out for in
  // the high half.
  static constexpr unsigned kGenerationShift = 32;
  static constexpr uint64_t kMigrating = uint64_t{1} << 31;
  static constexpr uint64_t kCounterMask = kMigrating - 1;
  static uint32_t generation_of(uint64_t version) noexcept {
    return static_cast<uint32_t>(version >> kGenerationShift);
  }
  static uint64_t bumped(uint64_t version) noexcept {
    return (version & ~kCounterMask) | ((version + 1) & kCounterMask);
  }
  // The mask of the table after `generation` doublings.
  size_t mask_of(uint32_t generation) const noexcept {
    return (initial_buckets_ << generation) - 1;
  }
  // The mask a stripe's buckets are laid out for, from its version word.
  size_t home_mask(uint64_t version) const noexcept { return mask_of(generation_of(version)); }
  // The mask of the buckets that may hold a stripe's entries: its layout's, or the next one's
  // while a migration moves them.
  size_t reach_mask(uint64_t version) const noexcept {
    return mask_of(generation_of(version) + ((version & kMigrating) != 0));
  }
  std::atomic<uint64_t>& slot(size_t bucket, size_t i) const noexcept;
  // The two buckets find() would probe for `key` now, without its retry: the prefetches' guess.
  struct Probe {
    size_t first;
    size_t second;
  };
  Probe probe_of(const HashedKey& key) const noexcept;
  // The item under `key` in one bucket, or nullptr (find's probe; no version check).
  Item* find_in_bucket(size_t bucket, uint16_t tag, std::string_view key) const noexcept;
  // The item under `key` in `bucket` of the layout `version` names, or in the bucket it moves
  // to if a migration is moving it (find's probe of one side; no version check).
  Item* find_at_home(uint64_t version, size_t bucket, uint16_t tag,
                     std::string_view key) const noexcept;

  void lock_two(size_t s1, size_t s2) noexcept;
  void unlock_two(size_t s1, size_t s2) noexcept;
  void lock_stripe(size_t s) noexcept;
  // Takes the stripe's lock only if it is free at once.
  bool try_lock_stripe(size_t s) noexcept;
  void unlock_stripe(size_t s) noexcept;
  void begin_move(size_t s1, size_t s2) noexcept;
  void end_move(size_t s1, size_t s2) noexcept;
  // Locks both stripes and migrates them into the current generation, which it returns: the
  // one to operate in while the locks are held (a doubling meanwhile leaves them in it).
  uint32_t lock_current(size_t s1, size_t s2) noexcept;
  // lock_current's second half, for a caller that took the locks itself.
  uint32_t migrate_current(size_t s1, size_t s2) noexcept;
  // update()'s steps: a bucket's slot that holds `key` and its first free slot (each nullptr
  // if none; the caller holds the bucket's stripe lock); and the decision on the item in a
  // key's slot, carried out (`side` and `stripe` are the slot's, `generation` the layout it is
  // in).
  struct BucketScan {
    std::atomic<uint64_t>* key = nullptr;
    std::atomic<uint64_t>* free = nullptr;
  };
  BucketScan scan_bucket(size_t bucket, uint16_t tag, std::string_view key) const noexcept;
  UpdateResult apply_in_place(const HashedKey& key, FunctionRef<Decision(Item* current)> decide,
                              std::atomic<uint64_t>& current_slot, uint64_t side, size_t stripe,
                              uint32_t generation) noexcept;
  // Moves stripe `s`'s entries from the layout of generation - 1 to that of `generation`
  // unless already there. Caller holds the stripe's lock and loaded `generation` from
  // generation_ after taking it.
  void migrate_locked(uint32_t generation, size_t s) noexcept;
  // Migrates the next stripe nobody has claimed yet, if any (no lock held on entry).
  void help_migrate() noexcept;
  // Migrates every stripe still laid out for generation - 1 (no lock held on entry).
  void finish_migration(uint32_t generation) noexcept;

  // Called without locks when both of a key's buckets were full: frees a slot in b1 or b2 by
  // a cuckoo path, or grows the table. The caller retries its update either way.
  void make_room(uint32_t generation, size_t b1, size_t b2) noexcept;
  bool find_path(size_t mask, size_t b1, size_t b2, Path& path) const noexcept;
  bool execute_path(uint32_t generation, const Path& path) noexcept;
  // Doubles the table of `generation` unless it is no longer current; false when it is at
  // its largest size.
  bool grow(uint32_t generation) noexcept;
  // grow()'s second half, once every stripe is in the layout of `generation`: makes the doubled
  // table writable and publishes generation + 1. The caller doubles alone (resizing_) and the
  // table is below its largest size.
  void publish_doubling(uint32_t generation) noexcept;
  // Growth ahead of need (cuckoo_index.cc). Adds `delta` to stripe `s`'s entries, and to
  // counted_ when that crosses a multiple of kCountGrain (then returns true). Caller holds the
  // stripe's lock.
  bool count_entry(size_t s, int delta) noexcept;
  // The share of the slots of the table after `generation` doublings used, estimated from
  // counted_; 0 for a table too small to tell.
  double load_of(uint32_t generation) const noexcept;
  // Faults in the next chunk of the fresh half the next doubling adds to the table of
  // `generation` if its load says the doubling is that near (no lock held on entry).
  void prepare_growth(uint32_t generation, double load) noexcept;
  // Makes the first `buckets` of the reservation writable; false if the kernel refuses.
  // Caller holds growth_mutex_.
  bool commit_locked(size_t buckets) noexcept;

  // Tests only (tests/cache/cuckoo_index_test.cc): the hook below, and publish_doubling().
  friend class CuckooIndexTestPeer;
  // Tests only; null otherwise. Runs in update() when the key was not in its primary bucket,
  // with that bucket's stripe alone locked, before the alternate stripe's lock and the second
  // look at the generation: where a doubling published by another writer (whose grow() took
  // and let go of our stripe's lock before we took it) moves the bucket just scanned.
  const FunctionRef<void()>* doubling_window_hook_ = nullptr;
  std::function<uint64_t(std::string_view)> rehash_;
  std::unique_ptr<Lock[]> locks_;
  // Read by every lookup, written only at construction.
  alignas(64) Bucket* buckets_;  // the reservation, aligned to a huge page
  size_t initial_buckets_;
  size_t max_buckets_;
  unsigned stripe_shift_;  // log2 of the stripes' run length
  void* reservation_;
  size_t reservation_bytes_;
  // Written once per doubling: the current generation (released when the doubled table may be
  // used), and the newest one whose migration finished (equal when none is under way). Read by
  // every update.
  alignas(64) std::atomic<uint32_t> generation_{0};
  std::atomic<uint32_t> migrated_generation_{0};
  std::atomic<bool> resizing_{false};  // a writer is doubling (try-lock; others retry)
  // The current migration's progress, written by migrating writers only: stripes not yet
  // migrated, and the next stripe a helper claims.
  alignas(64) std::atomic<size_t> unmigrated_{0};
  std::atomic<size_t> next_to_help_{0};
  // Entries linked, counted kCountGrain at a time per stripe (count_entry): one shared write
  // per kCountGrain inserts, and short by less than kCountGrain per stripe.
  static constexpr uint32_t kCountGrain = 16;
  alignas(64) std::atomic<int64_t> counted_{0};
  // The writable prefix of the reservation (buckets), and how much of the next doubling's
  // fresh half is faulted in (bytes), chunk by chunk while the table fills, so that the
  // doubling finds its pages ready. Guarded by growth_mutex_; faulted_ahead_bytes_ mirrors
  // faulted_ahead_ for writers that only check whether a chunk is due.
  alignas(64) std::mutex growth_mutex_;
  size_t committed_buckets_ = 0;
  size_t faulted_ahead_ = 0;
  std::atomic<size_t> faulted_ahead_bytes_{0};
  // Versions are dense (8 per line): they change only around cuckoo moves and migrations, so a
  // reader's version line stays in its cache; the locks, written by every writer, live on their
  // own lines.
  alignas(64) std::atomic<uint64_t> versions_[kStripes];
};

}  // namespace cuckood::cache
