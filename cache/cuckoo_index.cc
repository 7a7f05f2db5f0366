#include "cache/cuckoo_index.h"

#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace cuckood::cache {

namespace {

inline void cpu_relax() noexcept {
  __builtin_ia32_pause();
}

// A stripe is held for a few slot writes, so a short spin usually wins; but a holder can be
// preempted (more threads than cores) or be a resizer copying the whole table, and spinning
// through its time slice would only delay it. After this many pauses a waiter yields the CPU.
constexpr unsigned kSpinsBeforeYield = 128;

// Key equality without a libc call for short keys (memcached keys are mostly < 32 bytes):
// overlapping 8- or 4-byte loads cover every length, never reading past either key.
inline bool keys_equal(std::string_view a, std::string_view b) noexcept {
  const size_t n = a.size();
  if (n != b.size()) return false;
  auto load8 = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  auto load4 = [](const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  if (n >= 8) {
    if (n > 16) return std::memcmp(a.data(), b.data(), n) == 0;
    return ((load8(a.data()) ^ load8(b.data())) |
            (load8(a.data() + n - 8) ^ load8(b.data() + n - 8))) == 0;
  }
  if (n >= 4) {
    return ((load4(a.data()) ^ load4(b.data())) |
            (load4(a.data() + n - 4) ^ load4(b.data() + n - 4))) == 0;
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Growth ahead of need. Near a full table most inserts search long cuckoo paths, and the
// doubling's first touch of a table twice the size is the slowest moment of a growing cache.
// So a table large enough for its counted load to be close (the count lags by under kCountGrain
// entries per stripe) doubles as soon as it is kGrowAt full and an insert finds both its
// buckets full, and its successor is faulted in, a chunk at a time as the count moves, while
// the load climbs from kFaultAheadFrom to kGrowAt. A smaller table grows only when no cuckoo
// path exists.
constexpr double kFaultAheadFrom = 0.88;
constexpr double kGrowAt = 0.95;
constexpr size_t kMinSlotsToJudge = size_t{1} << 19;

// Beyond any machine's memory, and small enough that sizes in bytes cannot overflow.
constexpr size_t kMaxBuckets = size_t{1} << 40;

size_t round_up_pow2(size_t n) noexcept {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

struct alignas(64) CuckooIndex::Bucket {
  std::atomic<uint64_t> slots[CuckooIndex::kSlotsPerBucket];
};
static_assert(sizeof(std::atomic<uint64_t>) == 8 && std::atomic<uint64_t>::is_always_lock_free);
static_assert(sizeof(void*) == 8, "slots pack 48-bit user-space pointers");

namespace {

// Lookups land anywhere in the table, and a stripe's runs of buckets lie kStripes runs apart
// (a migration touches one run per small page): huge pages (where the kernel grants them) spare
// most of those TLB misses and page faults.
constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

// One BFS node: a bucket reached by moving the entry in `parent`'s slot `slot` to it.
struct CuckooIndex::Path {
  // Depth 2 fully (2 * (1 + 8 + 64) nodes) and part of depth 3. A search that fails explores
  // every node, and near a full table most do, once per insert until the table doubles, so a
  // larger bound (depth 3 fully) lets those failing searches dominate insert. This one still
  // lets the table fill almost completely before it grows
  // (CuckooIndexTest.LoadFactorBeforeGrowthIsHigh).
  static constexpr size_t kMaxNodes = 256;
  struct Node {
    size_t bucket;
    int32_t parent;  // -1 for the key's own buckets
    uint8_t slot;    // slot of the moved entry in the parent bucket
    uint8_t depth;
    uint64_t expected;  // that entry's slot word when the BFS saw it
  };
  Node nodes[kMaxNodes];
  size_t found = 0;       // node whose bucket had a free slot
  uint8_t free_slot = 0;  // that slot
};

static_assert(Item::kAlignment >= 8 && alignof(Item) <= Item::kAlignment,
              "slots keep an item's address over 8");

uint64_t CuckooIndex::pack(uint64_t hash, const Item* item, uint64_t side, size_t mask) noexcept {
  const auto address = reinterpret_cast<uint64_t>(item);
  assert((address & 7) == 0 && (address >> 3) <= kAddressMask &&
         "user-space pointers fit in 48 bits, 8-aligned");
  const uint64_t next_bits = (hash >> std::countr_zero(mask + 1)) & ((1u << kNextBitsKept) - 1);
  const uint64_t field = (uint64_t{1} << kNextBitsKept) | next_bits;
  return (uint64_t{tag_of(hash)} << kTagShift) | (field << kFieldShift) | side | (address >> 3);
}

uint64_t CuckooIndex::tag_mix(uint16_t tag) noexcept {
  // libcuckoo's tag mix: spreads a tag over the mask's bits.
  return (uint64_t{tag} + 1) * 0xc6a4a7935bd1e995ULL;
}

// Inlined into the migration's loop, and without a branch on the side (a coin toss per entry).
[[gnu::always_inline]] inline uint64_t CuckooIndex::migrated_word(uint64_t word, size_t bucket,
                                                                  size_t mask,
                                                                  size_t& new_bucket) const {
  // The new bucket is `bucket` or `bucket` + old size: the hash bit at the old size's position
  // decides, flipped on the alternate side by the tag mix's bit there.
  const uint64_t old_size = mask + 1;
  const uint64_t alternate_mask = uint64_t{0} - ((word & kAlternateSide) >> kAddressBits);
  bool hash_bit;
  uint64_t moved;
  assert(field_of(word) != 0 && "a linked entry's field holds at least its count's marker bit");
  if (!needs_rehash(word)) [[likely]] {
    const uint64_t field = field_of(word);
    const unsigned count = static_cast<unsigned>(std::bit_width(field)) - 1;
    hash_bit = (field & 1) != 0;
    moved = with_field(word, (uint64_t{1} << (count - 1)) | ((field & ((1u << count) - 1)) >> 1));
  } else {
    const uint64_t hash = rehash_(item_of(word)->key());
    hash_bit = (hash & old_size) != 0;
    moved = pack(hash, item_of(word), word & kAlternateSide, 2 * mask + 1);
  }
  const uint64_t high = hash_bit != ((tag_mix(tag_of(word)) & old_size & alternate_mask) != 0);
  new_bucket = bucket + (old_size & (uint64_t{0} - high));
  return moved;
}

CuckooIndex::CuckooIndex(std::function<uint64_t(std::string_view)> rehash, size_t initial_buckets,
                         size_t max_buckets)
    : rehash_(std::move(rehash)),
      locks_(new Lock[kStripes]),
      initial_buckets_(round_up_pow2(std::clamp(initial_buckets, kStripes, kMaxBuckets))),
      max_buckets_(std::max(initial_buckets_, round_up_pow2(std::min(max_buckets, kMaxBuckets)))),
      stripe_shift_(static_cast<unsigned>(
          std::countr_zero(std::min(kMaxStripeRun, initial_buckets_ / kStripes)))) {
  // Address space only: no page is writable, or counted against the commit limit, before
  // commit_locked() hands it to a size. The slack aligns the buckets to a huge page.
  reservation_bytes_ = max_buckets_ * sizeof(Bucket) + kHugePage;
  reservation_ = mmap(nullptr, reservation_bytes_, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reservation_ == MAP_FAILED) throw std::bad_alloc();
  const auto base = (reinterpret_cast<uintptr_t>(reservation_) + kHugePage - 1) & ~(kHugePage - 1);
  buckets_ = reinterpret_cast<Bucket*>(base);
  bool committed;
  {
    std::lock_guard lock(growth_mutex_);
    committed = commit_locked(initial_buckets_);
  }
  if (!committed) {
    munmap(reservation_, reservation_bytes_);
    throw std::bad_alloc();
  }
  for (auto& v : versions_) v.store(0, std::memory_order_relaxed);
}

CuckooIndex::~CuckooIndex() {
  munmap(reservation_, reservation_bytes_);
}

bool CuckooIndex::commit_locked(size_t buckets) noexcept {
  if (buckets <= committed_buckets_) return true;
  // Fresh anonymous pages are the empty state already: nothing is written here.
  if (mprotect(buckets_ + committed_buckets_, (buckets - committed_buckets_) * sizeof(Bucket),
               PROT_READ | PROT_WRITE) != 0) {
    return false;
  }
  committed_buckets_ = buckets;
  // Asked once the table spans huge pages (a small one stays on small pages).
  if (buckets * sizeof(Bucket) >= kHugePage) {
    madvise(buckets_, buckets * sizeof(Bucket), MADV_HUGEPAGE);
  }
  return true;
}

std::atomic<uint64_t>& CuckooIndex::slot(size_t bucket, size_t i) const noexcept {
  return buckets_[bucket].slots[i];
}

size_t CuckooIndex::bucket_count() const noexcept {
  return mask_of(generation_.load(std::memory_order_relaxed)) + 1;
}

bool CuckooIndex::walk(size_t& position, size_t& span, size_t count,
                       FunctionRef<void(Item*)> visit) const noexcept {
  if (span == 0) span = bucket_count();
  const size_t end = std::min(span, position + count);
  for (; position < end; ++position) {
    // Buckets position, position + span, ... share a stripe (span is a multiple of the runs).
    const size_t s = stripe_of(position);
    for (size_t b = position;; b += span) {
      // The stripe's layout is read again after each bucket: a migration announces itself
      // before it moves an entry up, so an entry cleared from a bucket before it was read here
      // is found in the fresh bucket above it.
      if (b > reach_mask(versions_[s].load(std::memory_order_acquire))) break;
      for (size_t i = 0; i < kSlotsPerBucket; ++i) {
        if (Item* item = item_of(slot(b, i).load(std::memory_order_acquire))) visit(item);
      }
    }
  }
  return position >= span;
}

size_t CuckooIndex::count_slow() const noexcept {
  size_t n = 0;
  for (size_t s = 0; s < kStripes; ++s) {
    const size_t buckets =
        (reach_mask(versions_[s].load(std::memory_order_acquire)) + 1) / kStripes;
    for (size_t k = 0; k < buckets; ++k) {
      for (size_t i = 0; i < kSlotsPerBucket; ++i) {
        n += slot(stripe_bucket(s, k), i).load(std::memory_order_relaxed) != 0;
      }
    }
  }
  return n;
}

Item* CuckooIndex::find_in_bucket(size_t bucket, uint16_t tag,
                                  std::string_view key) const noexcept {
  // Slot by slot, with an early exit: the tag test is one compare on a word already loaded,
  // and keys are compared (inline, see keys_equal) only on a tag match, which a 13-bit tag
  // makes rare for a wrong key. Building a mask of all eight tag matches first, then comparing
  // keys, is slower: the eight atomic loads cannot be vectorised, and a hit usually stops the
  // loop early.
  for (size_t i = 0; i < kSlotsPerBucket; ++i) {
    // Acquire pairs with the writer's release store: the item's bytes are visible.
    const uint64_t word = slot(bucket, i).load(std::memory_order_acquire);
    if (tag_of(word) != tag || word == 0) continue;
    Item* item = item_of(word);
    if (keys_equal(item->key(), key)) return item;  // present at the instant of the load
  }
  return nullptr;
}

Item* CuckooIndex::find_at_home(uint64_t version, size_t bucket, uint16_t tag,
                                std::string_view key) const noexcept {
  if (Item* item = find_in_bucket(bucket, tag, key)) return item;
  // Migrating: the entry may have moved up since the old bucket was read.
  if (version & kMigrating) return find_in_bucket(bucket + home_mask(version) + 1, tag, key);
  return nullptr;
}

Item* CuckooIndex::find(const HashedKey& key) const noexcept {
  const uint16_t tag = tag_of(key.hash);
  const size_t s1 = stripe_of(key.hash), s2 = alt_stripe(key.hash, tag);
  for (;;) {
    // Acquire: a stripe's migrated buckets were written before its new generation.
    const uint64_t v1 = versions_[s1].load(std::memory_order_acquire);
    const uint64_t v2 = versions_[s2].load(std::memory_order_acquire);
    if ((v1 | v2) & 1) {  // a move is rewriting one of our buckets
      cpu_relax();
      continue;
    }
    if (Item* item = find_at_home(v1, key.hash & home_mask(v1), tag, key.key)) return item;
    const size_t mask2 = home_mask(v2);
    if (Item* item = find_at_home(v2, alt_bucket(key.hash & mask2, tag, mask2), tag, key.key)) {
      return item;
    }
    // A miss is only trustworthy if no move or migration touched our stripes meanwhile. The
    // acquire fence orders the slot loads above before the version re-reads (seqlock reader).
    std::atomic_thread_fence(std::memory_order_acquire);
    if (versions_[s1].load(std::memory_order_relaxed) == v1 &&
        versions_[s2].load(std::memory_order_relaxed) == v2) {
      return nullptr;
    }
  }
}

CuckooIndex::Probe CuckooIndex::probe_of(const HashedKey& key) const noexcept {
  const uint16_t tag = tag_of(key.hash);
  const size_t mask1 = home_mask(versions_[stripe_of(key.hash)].load(std::memory_order_relaxed));
  const size_t mask2 =
      home_mask(versions_[alt_stripe(key.hash, tag)].load(std::memory_order_relaxed));
  return {key.hash & mask1, alt_bucket(key.hash & mask2, tag, mask2)};
}

void CuckooIndex::prefetch_buckets(const HashedKey& key) const noexcept {
  const Probe p = probe_of(key);
  __builtin_prefetch(&buckets_[p.first]);
  __builtin_prefetch(&buckets_[p.second]);
}

size_t CuckooIndex::prefetch_items(const HashedKey& key) const noexcept {
  const Probe p = probe_of(key);
  const uint16_t tag = tag_of(key.hash);
  auto prefetch_matches = [this, tag](size_t bucket) {
    size_t matches = 0;
    for (size_t i = 0; i < kSlotsPerBucket; ++i) {
      // Relaxed: only an address to prefetch, never dereferenced here.
      const uint64_t word = slot(bucket, i).load(std::memory_order_relaxed);
      if (tag_of(word) != tag || word == 0) continue;
      const char* item = reinterpret_cast<const char*>(item_of(word));
      __builtin_prefetch(item);
      __builtin_prefetch(item + 64);
      ++matches;
    }
    return matches;
  };
  size_t matches = prefetch_matches(p.first);
  // A tag in the first bucket is almost always the key: reading the second line too would
  // wait for its miss for nothing.
  if (matches == 0 && p.second != p.first) matches += prefetch_matches(p.second);
  return matches;
}

void CuckooIndex::lock_stripe(size_t s) noexcept {
  auto& held = locks_[s].held;
  // Acquire on success: the previous holder's slot writes (and its migrations) happen before
  // our critical section. Spin on a plain load to keep the line shared.
  unsigned spins = 0;
  while (held.exchange(1, std::memory_order_acquire) != 0) {
    while (held.load(std::memory_order_relaxed) != 0) {
      if (++spins < kSpinsBeforeYield) {
        cpu_relax();
      } else {
        sched_yield();
      }
    }
  }
}

bool CuckooIndex::try_lock_stripe(size_t s) noexcept {
  auto& held = locks_[s].held;
  // Acquire on success, as lock_stripe.
  return held.load(std::memory_order_relaxed) == 0 &&
         held.exchange(1, std::memory_order_acquire) == 0;
}

void CuckooIndex::unlock_stripe(size_t s) noexcept {
  locks_[s].held.store(0, std::memory_order_release);
}

void CuckooIndex::lock_two(size_t s1, size_t s2) noexcept {
  if (s1 > s2) std::swap(s1, s2);  // fixed order: no deadlock between writers
  lock_stripe(s1);
  if (s2 != s1) lock_stripe(s2);
}

void CuckooIndex::unlock_two(size_t s1, size_t s2) noexcept {
  unlock_stripe(s1);
  if (s2 != s1) unlock_stripe(s2);
}

void CuckooIndex::begin_move(size_t s1, size_t s2) noexcept {
  // Seqlock writer: version odd, then a release fence so that no slot store below becomes
  // visible before the odd version (a reader seeing a moved slot then sees the version change).
  versions_[s1].store(bumped(versions_[s1].load(std::memory_order_relaxed)),
                      std::memory_order_relaxed);
  if (s2 != s1) {
    versions_[s2].store(bumped(versions_[s2].load(std::memory_order_relaxed)),
                        std::memory_order_relaxed);
  }
  std::atomic_thread_fence(std::memory_order_release);
}

void CuckooIndex::end_move(size_t s1, size_t s2) noexcept {
  // Release: the slot stores happen before the even version a reader compares against.
  versions_[s1].store(bumped(versions_[s1].load(std::memory_order_relaxed)),
                      std::memory_order_release);
  if (s2 != s1) {
    versions_[s2].store(bumped(versions_[s2].load(std::memory_order_relaxed)),
                        std::memory_order_release);
  }
}

uint32_t CuckooIndex::lock_current(size_t s1, size_t s2) noexcept {
  lock_two(s1, s2);
  return migrate_current(s1, s2);
}

uint32_t CuckooIndex::migrate_current(size_t s1, size_t s2) noexcept {
  // Acquire: the doubled table's pages were made writable before its generation. A doubling
  // published after this load cannot migrate our stripes while we hold their locks.
  const uint32_t generation = generation_.load(std::memory_order_acquire);
  migrate_locked(generation, s1);
  if (s2 != s1) migrate_locked(generation, s2);
  return generation;
}

void CuckooIndex::migrate_locked(uint32_t generation, size_t s) noexcept {
  const uint64_t version = versions_[s].load(std::memory_order_relaxed);
  // Only a stripe still laid out for the previous generation moves (a doubling first finishes
  // the previous migration).
  if (generation_of(version) + 1 != generation) return;
  const size_t old_mask = mask_of(generation - 1), old_size = old_mask + 1;
  const size_t stripe_buckets = old_size / kStripes;
  // The stripe's runs lie kStripes runs apart: prefetch its buckets well ahead for writing (each
  // old bucket is rewritten, and about half its entries go to the fresh bucket above it), and
  // the items whose hash bit is not in their slot a few buckets ahead (one cache miss each, in no
  // useful order), so that the misses overlap.
  constexpr size_t kBucketsAhead = 8, kItemsAhead = 4;
  auto prefetch_buckets = [&](size_t b) {
    __builtin_prefetch(&buckets_[b], 1);
    __builtin_prefetch(&buckets_[b + old_size], 1);
  };
  auto prefetch_items = [&](size_t b) {
    for (size_t i = 0; i < kSlotsPerBucket; ++i) {
      const uint64_t word = slot(b, i).load(std::memory_order_relaxed);
      if (word != 0 && needs_rehash(word)) __builtin_prefetch(item_of(word));
    }
  };
  for (size_t k = 0; k < kBucketsAhead && k < stripe_buckets; ++k) {
    prefetch_buckets(stripe_bucket(s, k));
  }
  for (size_t k = 0; k < kItemsAhead && k < stripe_buckets; ++k) {
    prefetch_items(stripe_bucket(s, k));
  }
  // Announce: readers that load the flagged version probe each bucket of the old layout and
  // the fresh one above it. The fence keeps every slot store below from becoming visible
  // before the flag, so a reader that loaded the version earlier and misses because of one of
  // them sees the version word changed when it re-checks.
  // The store is a release too: a reader that loads the flagged word then sees the buckets at
  // least as the last writer before the migration left them.
  versions_[s].store(version | kMigrating, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_release);
  // Move: an entry bound upward is written to the fresh bucket before its old slot is cleared,
  // so a reader that probes the old bucket and then the fresh one finds it in one of them.
  // Release stores: the item's bytes, and the copy, happen before a reader's acquire load of
  // the slot word that follows them.
  for (size_t k = 0; k < stripe_buckets; ++k) {
    if (k + kBucketsAhead < stripe_buckets) prefetch_buckets(stripe_bucket(s, k + kBucketsAhead));
    if (k + kItemsAhead < stripe_buckets) prefetch_items(stripe_bucket(s, k + kItemsAhead));
    const size_t b = stripe_bucket(s, k);
    for (size_t i = 0; i < kSlotsPerBucket; ++i) {
      const uint64_t word = slot(b, i).load(std::memory_order_relaxed);  // we hold the lock
      if (word == 0) continue;
      size_t nb;
      const uint64_t moved = migrated_word(word, b, old_mask, nb);
      // Without a branch (which way an entry goes is a coin toss): the entry is written where
      // it belongs, then its old slot keeps it or is cleared. Slot i of the fresh bucket is
      // free: only old bucket b maps to it.
      slot(nb, i).store(moved, std::memory_order_release);
      slot(b, i).store(moved & (uint64_t{0} - uint64_t{nb == b}), std::memory_order_release);
    }
  }
  // Publish: release, the moves happen before a reader's acquire load of the new generation.
  versions_[s].store((uint64_t{generation} << kGenerationShift) | (version & kCounterMask),
                     std::memory_order_release);
  // Under the stripe's lock, so that finish_migration (which takes every lock) sees the count
  // of every migration it waited for.
  if (unmigrated_.fetch_sub(1, std::memory_order_relaxed) == 1) {
    migrated_generation_.store(generation, std::memory_order_relaxed);
  }
}

void CuckooIndex::help_migrate() noexcept {
  const size_t s = next_to_help_.fetch_add(1, std::memory_order_relaxed);
  if (s >= kStripes) return;
  // Acquire: a claim counted after a doubling's reset is judged against that doubling.
  const uint32_t generation = generation_.load(std::memory_order_acquire);
  const uint64_t version = versions_[s].load(std::memory_order_relaxed);
  // Already migrated, or being migrated by its lock's holder.
  if (generation_of(version) == generation || (version & kMigrating) != 0) return;
  lock_current(s, s);
  unlock_stripe(s);
}

void CuckooIndex::finish_migration(uint32_t generation) noexcept {
  // Every lock, even of a stripe already migrated: a writer may still be finishing its
  // migration's bookkeeping under it.
  for (size_t s = 0; s < kStripes; ++s) {
    lock_stripe(s);
    migrate_locked(generation, s);
    unlock_stripe(s);
  }
}

void CuckooIndex::prefetch_update(const HashedKey& key) const noexcept {
  const uint16_t tag = tag_of(key.hash);
  const size_t mask = mask_of(generation_.load(std::memory_order_relaxed));
  const size_t b1 = key.hash & mask;
  __builtin_prefetch(&buckets_[b1]);
  __builtin_prefetch(&buckets_[alt_bucket(b1, tag, mask)]);
  __builtin_prefetch(&locks_[stripe_of(key.hash)], 1);
  __builtin_prefetch(&locks_[alt_stripe(key.hash, tag)], 1);
}

CuckooIndex::UpdateResult CuckooIndex::update(
    const HashedKey& key, FunctionRef<Decision(Item* current)> decide) noexcept {
  const uint16_t tag = tag_of(key.hash);
  const size_t s1 = stripe_of(key.hash), s2 = alt_stripe(key.hash, tag);
  // Lets go of the primary stripe's lock, or of both, then helps a migration under way.
  auto unlock_and_help = [&](bool both) {
    both ? unlock_two(s1, s2) : unlock_stripe(s1);
    if (growing()) help_migrate();
  };
  for (;;) {
    // Four independent cache misses: start them all before the first lock's exchange waits on
    // its own, so that they overlap.
    prefetch_update(key);
    // Most keys a write finds sit in their primary bucket, and every writer of a bucket's slots
    // holds that bucket's stripe lock (an insert of the same key holds both of its stripes, a
    // cuckoo move both ends', a migration its own): the primary stripe's lock alone then
    // excludes every other change to the key's entry.
    lock_stripe(s1);
    uint32_t generation = migrate_current(s1, s1);
    BucketScan first = scan_bucket(key.hash & mask_of(generation), tag, key.key);
    if (first.key != nullptr) {
      const UpdateResult result = apply_in_place(key, decide, *first.key, 0, s1, generation);
      unlock_and_help(false);
      return result;
    }
    if (doubling_window_hook_ != nullptr) [[unlikely]]
      (*doubling_window_hook_)();
    // Absent from its primary bucket: both stripes. Taking the second one out of order is
    // only tried, never waited for, so writers still cannot deadlock. The primary bucket is
    // scanned again only if its lock was let go or the table doubled meanwhile.
    bool primary_stale = false;
    if (s2 != s1 && !try_lock_stripe(s2)) {
      unlock_stripe(s1);
      lock_two(s1, s2);
      primary_stale = true;
    }
    const uint32_t scanned_in = generation;
    generation = migrate_current(s1, s2);
    const size_t mask = mask_of(generation);
    const size_t b1 = key.hash & mask;
    const size_t b2 = alt_bucket(b1, tag, mask);
    if (primary_stale || generation != scanned_in) first = scan_bucket(b1, tag, key.key);
    const BucketScan second =
        first.key == nullptr && b2 != b1 ? scan_bucket(b2, tag, key.key) : BucketScan{};
    if (first.key != nullptr || second.key != nullptr) {
      const bool primary = first.key != nullptr;
      const UpdateResult result =
          apply_in_place(key, decide, primary ? *first.key : *second.key,
                         primary ? 0 : kAlternateSide, primary ? s1 : s2, generation);
      unlock_and_help(true);
      return result;
    }
    const Decision decision = decide(nullptr);
    if (decision.kind != Decision::Kind::kPut) {
      unlock_and_help(true);
      return {nullptr, false};
    }
    const uint64_t side = first.free != nullptr ? 0 : kAlternateSide;
    std::atomic<uint64_t>* target = first.free != nullptr ? first.free : second.free;
    if (target == nullptr) {
      unlock_two(s1, s2);
      // A crowded table doubles rather than search long paths, unless it is at its largest
      // size.
      if (load_of(generation) < kGrowAt || !grow(generation)) make_room(generation, b1, b2);
      continue;  // the decision is taken again on the state we then find
    }
    // Release: the new item's bytes happen before any reader's acquire load of the slot.
    target->store(pack(key.hash, decision.item, side, mask), std::memory_order_release);
    // The load changes in grains: judged again (a shared line read) only when it did.
    const bool counted = count_entry(side == 0 ? s1 : s2, 1);
    unlock_and_help(true);
    if (counted) {
      const double load = load_of(generation);
      if (load >= kFaultAheadFrom) prepare_growth(generation, load);
    }
    return {nullptr, true};
  }
}

CuckooIndex::BucketScan CuckooIndex::scan_bucket(size_t bucket, uint16_t tag,
                                                 std::string_view key) const noexcept {
  BucketScan scan;
  for (size_t i = 0; i < kSlotsPerBucket; ++i) {
    auto& candidate = slot(bucket, i);
    const uint64_t word = candidate.load(std::memory_order_relaxed);  // the caller holds the lock
    if (word == 0) {
      if (scan.free == nullptr) scan.free = &candidate;
    } else if (tag_of(word) == tag && keys_equal(item_of(word)->key(), key)) {
      scan.key = &candidate;
      break;
    }
  }
  return scan;
}

CuckooIndex::UpdateResult CuckooIndex::apply_in_place(const HashedKey& key,
                                                      FunctionRef<Decision(Item*)> decide,
                                                      std::atomic<uint64_t>& current_slot,
                                                      uint64_t side, size_t stripe,
                                                      uint32_t generation) noexcept {
  Item* current = item_of(current_slot.load(std::memory_order_relaxed));
  const Decision decision = decide(current);
  switch (decision.kind) {
    case Decision::Kind::kKeep:
      return {current, false};
    case Decision::Kind::kErase:
      // Release, though readers never follow a 0: a reader that misses because of this 0
      // must also see any migration of the stripe that came before it, so that its re-check
      // of the version word catches that migration.
      current_slot.store(0, std::memory_order_release);
      count_entry(stripe, -1);
      return {current, true};
    case Decision::Kind::kPut:
      // Release: the new item's bytes happen before any reader's acquire load of the slot.
      current_slot.store(pack(key.hash, decision.item, side, mask_of(generation)),
                         std::memory_order_release);
      return {current, true};
  }
  return {current, false};
}

HashedKey CuckooIndex::key_of(const Item* item) const noexcept {
  return HashedKey{item->key(), rehash_(item->key())};
}

bool CuckooIndex::unlink(const HashedKey& key, Item* item, FunctionRef<bool()> condition) noexcept {
  auto decide = [&](Item* current) {
    return current == item && condition() ? Decision::erase() : Decision::keep();
  };
  return update(key, decide).changed;
}

bool CuckooIndex::relink(const HashedKey& key, Item* item, Item* replacement) noexcept {
  auto decide = [&](Item* current) {
    if (current != item) return Decision::keep();
    replacement->set_exptime(item->exptime());
    replacement->add_marks(item->marks());
    replacement->copy_reads_from(*item);
    return Decision::put(replacement);
  };
  return update(key, decide).changed;
}

bool CuckooIndex::linked(const Item* item) const noexcept {
  return find(key_of(item)) == item;
}

void CuckooIndex::make_room(uint32_t generation, size_t b1, size_t b2) noexcept {
  // The path buffer (8 KiB) stays off the worker's stack, one per thread.
  thread_local std::unique_ptr<Path> path_buffer;
  if (!path_buffer) path_buffer = std::make_unique<Path>();
  Path& path = *path_buffer;
  if (find_path(mask_of(generation), b1, b2, path)) {
    execute_path(generation, path);  // on a lost race the caller simply tries again
    return;
  }
  // At the largest size, other writers' erasures are what frees a slot.
  if (!grow(generation)) sched_yield();
}

bool CuckooIndex::find_path(size_t mask, size_t b1, size_t b2, Path& path) const noexcept {
  // Breadth-first over buckets, reading slots without locks: the path is only a plan, and
  // execute_path() re-validates every step under the locks.
  size_t head = 0, tail = 0;
  path.nodes[tail++] = {b1, -1, 0, 0, 0};
  if (b2 != b1) path.nodes[tail++] = {b2, -1, 0, 0, 0};
  while (head < tail) {
    const size_t index = head++;
    const auto node = path.nodes[index];
    for (size_t i = 0; i < kSlotsPerBucket; ++i) {
      const uint64_t word = slot(node.bucket, i).load(std::memory_order_relaxed);
      if (word == 0) {
        path.found = index;
        path.free_slot = static_cast<uint8_t>(i);
        return true;
      }
    }
    if (node.depth == kMaxPathDepth) continue;
    for (size_t i = 0; i < kSlotsPerBucket && tail < Path::kMaxNodes; ++i) {
      const uint64_t word = slot(node.bucket, i).load(std::memory_order_relaxed);
      if (word == 0) continue;
      const size_t alt = alt_bucket(node.bucket, tag_of(word), mask);
      if (alt == node.bucket) continue;
      // Each node is a random bucket, one cache miss: start a node's children's misses
      // together, so that they overlap instead of being taken one after the other.
      __builtin_prefetch(&buckets_[alt]);
      path.nodes[tail++] = {alt, static_cast<int32_t>(index), static_cast<uint8_t>(i),
                            static_cast<uint8_t>(node.depth + 1), word};
    }
  }
  return false;
}

bool CuckooIndex::execute_path(uint32_t generation, const Path& path) noexcept {
  // Backward: the last entry moves into the free slot first, so every step has a free target
  // and each entry is always in at least one of its buckets.
  size_t index = path.found;
  size_t free_slot = path.free_slot;
  while (path.nodes[index].parent >= 0) {
    const auto& node = path.nodes[index];
    const auto& parent = path.nodes[static_cast<size_t>(node.parent)];
    const size_t from_s = stripe_of(parent.bucket), to_s = stripe_of(node.bucket);
    // The plan read stripes not yet migrated in their old layout: validated after migrating
    // them (a migration rewrites every word it keeps, and empties or fills the fresh buckets).
    const bool current = lock_current(from_s, to_s) == generation;
    auto& from = slot(parent.bucket, node.slot);
    auto& to = slot(node.bucket, free_slot);
    const bool valid = current && from.load(std::memory_order_relaxed) == node.expected &&
                       to.load(std::memory_order_relaxed) == 0;
    if (valid) {
      count_entry(from_s, -1);
      count_entry(to_s, 1);
      begin_move(from_s, to_s);
      // The destination is written before the source is cleared; release keeps the item's
      // bytes visible to a reader that finds it at the new place.
      to.store(node.expected ^ kAlternateSide, std::memory_order_release);
      from.store(0, std::memory_order_relaxed);
      end_move(from_s, to_s);
    }
    unlock_two(from_s, to_s);
    if (!valid) return false;
    free_slot = node.slot;
    index = static_cast<size_t>(node.parent);
  }
  return true;
}

bool CuckooIndex::grow(uint32_t generation) noexcept {
  const size_t n = mask_of(generation) + 1;
  if (2 * n > max_buckets_) return false;
  if (resizing_.exchange(true, std::memory_order_acquire)) {
    sched_yield();  // another writer is doubling: the caller retries once it has published
    return true;
  }
  if (generation_.load(std::memory_order_acquire) == generation) {
    finish_migration(generation);  // every stripe in one layout before the next
    publish_doubling(generation);
  }
  resizing_.store(false, std::memory_order_release);
  return true;
}

void CuckooIndex::publish_doubling(uint32_t generation) noexcept {
  const size_t n = mask_of(generation) + 1;
  // Published under the mutex: a prepare_growth() that found this generation current has
  // finished with the fresh half, and later ones find it no longer current.
  std::lock_guard lock(growth_mutex_);
  // Out of memory for the index: fatal, as a failed allocation of the table would be.
  if (!commit_locked(2 * n)) std::abort();
  faulted_ahead_ = 0;
  faulted_ahead_bytes_.store(0, std::memory_order_relaxed);
  unmigrated_.store(kStripes, std::memory_order_relaxed);
  next_to_help_.store(0, std::memory_order_relaxed);
  // Release: the fresh half is writable, and the migration counters reset, before a writer's
  // acquire load of the new generation. Every stripe's version word still names the old one,
  // so readers keep the old layout until a stripe migrates.
  generation_.store(generation + 1, std::memory_order_release);
}

bool CuckooIndex::count_entry(size_t s, int delta) noexcept {
  const uint32_t before = locks_[s].entries;
  const uint32_t after = before + static_cast<uint32_t>(delta);
  locks_[s].entries = after;
  const int64_t grains =
      static_cast<int64_t>(after / kCountGrain) - static_cast<int64_t>(before / kCountGrain);
  if (grains == 0) return false;
  counted_.fetch_add(grains * kCountGrain, std::memory_order_relaxed);
  return true;
}

double CuckooIndex::load_of(uint32_t generation) const noexcept {
  const size_t slots = (mask_of(generation) + 1) * kSlotsPerBucket;
  if (slots < kMinSlotsToJudge) return 0;
  // Each stripe's count is short by half a grain on average.
  const int64_t estimate =
      counted_.load(std::memory_order_relaxed) + int64_t{kStripes * kCountGrain / 2};
  return static_cast<double>(estimate) / static_cast<double>(slots);
}

void CuckooIndex::prepare_growth(uint32_t generation, double load) noexcept {
  const size_t n = mask_of(generation) + 1;
  const size_t bytes = n * sizeof(Bucket);  // the fresh half of the doubled table
  const double share = std::min(1.0, (load - kFaultAheadFrom) / (kGrowAt - kFaultAheadFrom));
  if (static_cast<double>(faulted_ahead_bytes_.load(std::memory_order_relaxed)) >=
      share * static_cast<double>(bytes)) {
    return;
  }
  // One writer faults one chunk at a time; the others go on with their requests.
  std::unique_lock lock(growth_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || generation_.load(std::memory_order_acquire) != generation) return;
  if (2 * n > max_buckets_ || faulted_ahead_ >= bytes || !commit_locked(2 * n)) return;
  // A write to each page faults it in. An atomic or of 0 changes nothing, so it is safe
  // whoever else reads these slots (a prefetch guessing a layout may).
  const size_t chunk = std::min(kHugePage, bytes - faulted_ahead_);
  constexpr size_t kPage = 4096, kBucketsPerPage = kPage / sizeof(Bucket);
  const size_t first = n + faulted_ahead_ / sizeof(Bucket);
  for (size_t b = first; b < first + chunk / sizeof(Bucket); b += kBucketsPerPage) {
    slot(b, 0).fetch_or(0, std::memory_order_relaxed);
  }
  faulted_ahead_ += chunk;
  faulted_ahead_bytes_.store(faulted_ahead_, std::memory_order_relaxed);
}

}  // namespace cuckood::cache
