// The memory-bounded item store: log-structured segments (after Segcache, Yang et al. NSDI'21).
//
// All item memory is one reservation of `memory_limit` bytes (mmap, touched lazily, so RSS
// grows with use and never exceeds it), cut into equal segments. Each writer (worker context)
// appends items to its own active segment with no lock; a full segment is sealed into a FIFO.
// When no free segment is left, the writer evicts the oldest sealed segment: every item still
// linked in the index is unlinked, except that a live item whose CLOCK reference bit is set is
// copied once into a survivor segment (second chance), so hot items outlive the FIFO order. The
// emptied segment returns to the free pool after an epoch grace period. Before touching memory
// never written, a writer reuses a sealed segment in which every item was replaced or deleted.
// Because space is recycled a whole segment at a time and any segment takes items of any size,
// there are no size classes and hence no slab calcification.
//
// Without eviction (memcached's -M, `evict` false) no live item is ever dropped. When no free
// segment is left, a writer sweeps the segments that hold expired or flushed items (memcached
// -M still reclaims those) and reuses any left empty; failing that it compacts: the live items
// of the sealed segment with the fewest live bytes move into the survivor segment (the relink
// of a second chance, so readers never miss them) and the emptied segment is reused. That pays
// only while the sealed segments hold about a segment's worth of dead bytes (replaced, deleted,
// expired items); otherwise allocate() fails and the store answers "out of memory". The free
// segment kept for survivors is kept for compaction, and writers never take it.
//
// Flush generations: a segment is opened for one flush generation; its items are valid only
// while that generation is current (cache/cuckoo_cache.h), so flush_all needs no table walk.
// Writers never append to a segment of an older generation.
//
// Pins (Cache::pin): net/ sends a large value straight from its segment, so the segment must
// not be reused until the send is done. A pinned segment is swept, evicted and retired as any
// other (its items leave the index), but when its grace period ends it is parked instead of
// freed, and the unpin that drops its last pin frees it. Pin counts are per worker (PinTable:
// one counter per segment, written only by its owner, relaxed), not a shared atomic per
// segment: every get of a large hot value pins, and a shared counter would put an RMW on one
// line written by every core on the read path; the price is that freeing a retired segment
// reads one counter per worker (rare: once per segment retirement).
// Ordering: pin() runs inside the reader's epoch critical section; its count store precedes
// the guard's release store that ends the section, and the retire callback runs only after
// reclaim() saw that (seq_cst load), so the callback sees the count. Between the callback
// (parked = true; fence; read counts) and an unpin dropping a count to zero (count = 0; fence;
// read parked) the seq_cst fences make at least one see the other's store (Dekker), and the
// final free happens once, under mutex_, after re-reading every count.
// Bound: a worker pins at most kMaxPinnedSegmentsPerWorker distinct segments, and all workers
// together at most a quarter of the segments (the per-worker cap shrinks as workers register;
// with more workers than segment_count / 4 nothing is pinned); beyond it pin() refuses and the
// value is copied. Parked and pinned segments therefore never take more than a quarter of
// `memory_limit` from eviction.
//
// Run-time limit (`cache_memlimit`): the address space of CacheConfig::memory_reserve (at least
// `memory_limit`) is reserved at start, untouched, and the limit may move anywhere within it.
// A writer takes a segment only while the segments held (active, sealed, retiring, parked)
// stay below the limit. Lowering it evicts the oldest sealed segments down to it; a segment
// freed while more are resident than the limit allows is given back to the kernel
// (MADV_DONTNEED) instead of joining the free pool.
//
// Memory in use (memcached's total_malloced, at byte grain): the bytes written into segments
// since each was last taken, dead items included, until the segment is freed. Writers count
// what they append themselves (CuckooCache, per worker); the store counts survivor copies and
// the bytes of each segment it frees.
//
// Reuse before growth: a writer that needs a segment reuses, in this order, a free one, a sealed
// one with nothing live left (every item replaced or deleted), a sealed one whose items have all
// expired or been flushed (swept first), one emptied by compaction while the sealed segments
// hold more than a kGrowthDeadShare-th of the memory held in dead bytes, and only then touches
// memory never written. A writer's active segment whose items have all expired is sealed at its
// next store, so that it too can be reused. RSS thus follows the live data, as memcached's reuse
// of freed and expired chunks does. Compaction matters where a key is rewritten again and again
// (append writes the whole value anew): its dead copies are spread over every segment, none
// dies whole, and with the limit far off nothing would ever be evicted. It moves the live items
// of the least-live sealed segment, so a victim always holds at least that share of dead bytes;
// victims are awaited one by one, so that the survivor segment fills with their bytes rather
// than with memory never touched.
//
// Size classes (cache/size_classes.h): each segment records which classes it holds items of,
// and the store counts what it takes back per class; CuckooCache reports both per class.
//
// Overhead outside `memory_limit`: the segment metadata (per segment a 64-byte Meta line, an
// 8-byte Head and a 4-byte pin count per worker, constructed only for segments the limit has
// reached) and the index (cache/cuckoo_index.h).
// Inside it: the item headers (16 bytes, 24 for an item with flags or a deadline), 8-byte
// alignment, and the unused tail of each sealed segment (< one item).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "cache/access_stamp.h"
#include "cache/cache.h"
#include "cache/cuckoo_index.h"
#include "cache/epoch.h"
#include "cache/item.h"
#include "cache/reserved_array.h"
#include "cache/size_classes.h"
#include "cache/types.h"

namespace cuckood::cache {

// The flush generation and time against which an item is judged live, and the generation new
// items are stored in. The two differ only in the second a delayed flush takes effect, whose
// stores are dead at once, as in memcached (cache/cuckoo_cache.h).
struct Era {
  uint32_t generation = 0;
  Time now = 0;
  uint32_t store_generation = 0;
};

// A writer's active segment. Owned by one thread (a worker context).
struct SegmentWriter {
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t segment = kNone;
  uint32_t offset = 0;
  uint64_t classes = 0;  // size classes recorded in the segment's Meta so far (a bit each)
  // Latest deadline of the items this writer appended (kNoDeadline: one never expires; 0: none).
  Time latest_deadline = 0;
};

// What the store took back from one size class; summed into CacheStats. Updated once per
// segment walk.
struct ClassCounters {
  std::atomic<uint64_t> evictions{0};
  std::atomic<uint64_t> evicted_nonzero{0};  // evicted items that had a deadline
  std::atomic<uint64_t> evicted_unfetched{0};
  std::atomic<uint64_t> expired_unfetched{0};
  std::atomic<uint64_t> reclaimed{0};
  std::atomic<uint64_t> unlinked_items{0};  // items the store unlinked from the index
  std::atomic<uint64_t> unlinked_bytes{0};
  std::atomic<uint64_t> crawler_reclaimed{0};  // dead items the crawler unlinked
  std::atomic<uint64_t> crawler_items_checked{0};
  std::atomic<Time> evicted_time{0};  // seconds the last evicted item had gone unaccessed
};

struct StoreCounters {
  ClassCounters classes[SizeClasses::kMaxClasses];
  std::atomic<uint64_t> compacted{0};  // live items moved out of a segment by compaction
};

// One worker's pin counts (see above). Owned by one thread; registered with the store.
struct PinTable {
  // Per segment; written by the owner only.
  std::unique_ptr<ReservedArray<std::atomic<uint32_t>>> counts;
  uint32_t pinned_segments = 0;  // segments with a count > 0 (owner only)
};

// What the store holds of one size class, for CacheStats.
struct ClassPresence {
  uint32_t segments = 0;  // segments holding items of the class
  Time oldest = 0;        // opening of the oldest of them (0: none)
};

class SegmentStore {
 public:
  static constexpr Time kNoDeadline = UINT32_MAX;
  // At most this many distinct segments pinned per worker (see the bound above).
  static constexpr uint32_t kMaxPinnedSegmentsPerWorker = 8;

  static constexpr size_t kMinSegments = 8;
  static constexpr size_t kMaxSegmentSize = size_t{1} << 30;
  static_assert(kMaxSegmentSize <= (size_t{1} << 30), "Item keeps two flags above the value size");
  // Free segments writers leave to the evictor's survivor copies (second chance).
  static constexpr size_t kSurvivorReserve = 1;
  // Growth waits for compaction while more than this share (1/n) of the memory held is dead
  // bytes in sealed segments: replaced values (appends above all) must not pile up in the log
  // while the limit is far off and nothing is evicted. The memory/CPU knob of an append-heavy
  // load: a smaller share means victims with more live bytes, so more moves per byte won back
  // (the trade measured is in wip.md).
  static constexpr size_t kGrowthDeadShare = 6;
  // Victims compacted at most per segment a writer asks for (bounds that writer's wait).
  static constexpr size_t kMaxGrowthCompactions = 64;
  // Looks for the end of a grace period before a waiting writer yields its CPU.
  static constexpr unsigned kAwaitSpins = 256;
  // Items a sweep of a retiring segment visits per critical section.
  static constexpr uint32_t kSweepBatch = 64;

  // Throws std::bad_alloc if the reservation fails (start-up only). `evict` false: see above.
  // `huge_pages` asks the kernel for transparent huge pages on the whole reservation
  // (MADV_HUGEPAGE). `memory_reserve`: address space for raising the limit later (0: as much as
  // the machine has memory; at least `memory_limit` either way). `observer`, when given, is told
  // of each eviction (cache/cache.h).
  SegmentStore(size_t memory_limit, size_t max_item_size, CuckooIndex& index, EpochDomain& epoch,
               const SizeClasses& classes, bool evict = true, bool huge_pages = false,
               size_t memory_reserve = 0, EvictionObserver* observer = nullptr);
  // The bytes of items a store made with these arguments can ever hold: its reservation (less
  // if the kernel refuses that much).
  static size_t capacity_bytes(size_t memory_limit, size_t max_item_size,
                               size_t memory_reserve = 0) noexcept;
  ~SegmentStore();
  SegmentStore(const SegmentStore&) = delete;
  SegmentStore& operator=(const SegmentStore&) = delete;

  size_t segment_size() const noexcept { return segment_size_; }
  // 0, or the errno of a refused request for huge pages.
  int huge_pages_error() const noexcept { return huge_pages_error_; }
  // Segments the current limit allows.
  size_t segment_count() const noexcept { return limit_.load(std::memory_order_relaxed); }
  const SizeClasses& classes() const noexcept { return classes_; }
  // The largest item footprint an allocation can satisfy.
  size_t max_footprint() const noexcept { return segment_size_; }

  // Returns `footprint` bytes in the writer's active segment, opening a new segment of
  // generation `era.generation` (and evicting if none is free) when needed; nullptr when every
  // segment is some writer's active one or, without eviction, when no room can be made without
  // dropping a live item. The memory is accounted live until release().
  // Must be called outside any epoch critical section of `participant` (it may wait for a
  // grace period), by the thread that owns `writer`.
  // `size_class` is the item's class (classes().of(footprint)), `exptime` its deadline (0 =
  // never, or not known yet).
  void* allocate(SegmentWriter& writer, EpochParticipant& participant, size_t footprint,
                 uint32_t size_class, Time exptime, Era era) noexcept;
  // Seals the writer's active segment (a worker going away). Thread-safe per writer.
  void seal(SegmentWriter& writer) noexcept;
  // The item's bytes are dead: it was unlinked, replaced, or never linked. Thread-safe.
  void release(const Item* item) noexcept;

  // Records a deadline of an item in its segment, so that reclaim_expired() visits the
  // segment once it passes. Thread-safe.
  void note_exptime(const Item* item, Time exptime) noexcept;

  // The flush generation the item's segment was opened for. Lock-free; caller protects item.
  uint32_t generation_of(const Item* item) const noexcept {
    return heads_[segment_of(item)].generation.load(std::memory_order_relaxed);
  }

  // Last access (cache/access_stamp.h). Lock-free; the caller protects the item.
  // Sets it to `when` (a new item, or a survivor copy keeping its original's).
  void stamp_access(const Item* item, Time when) const noexcept;
  Time last_access(const Item* item) const noexcept;
  // An access at `now`, recorded by the rule of cache/types.h (kAccessUpdateInterval).
  void record_access(const Item* item, Time now) const noexcept {
    Time last = last_access(item);
    cache::record_access(last, now);
    if (last == now) stamp_access(item, now);
  }
  bool is_live(const Item* item, Era era) const noexcept;

  // Background reclamation: unlinks expired and flushed items from sealed segments that may
  // hold some, and frees segments left with no live bytes (true if it retired any). Outside a
  // critical section.
  bool reclaim_expired(EpochParticipant& participant, Era era) noexcept;

  // Pins: thread-safe per table (each table used by its owner thread only).
  void register_pins(PinTable& pins);
  // Drops any pins the table still holds (freeing parked segments) and forgets it.
  void unregister_pins(PinTable& pins) noexcept;
  // From inside a critical section, `bytes` pointing into an item found in it: the pin id
  // (segment + 1), or 0 when the cap is reached or `bytes` is not in the store.
  uint32_t pin(PinTable& pins, const void* bytes) noexcept;
  void unpin(PinTable& pins, uint32_t id) noexcept;
  // Segments retired but held back by pins (tests).
  size_t parked_segments() const noexcept;

  // Moves the memory limit to `bytes` (cache_memlimit): false, and nothing changes, when that
  // is fewer than kMinSegments segments (or fewer than at start, if that was fewer) or beyond
  // the reservation. Lowering it evicts (unless `evict` is off) the oldest sealed segments
  // until the segments held fit. Outside a critical section of `participant`.
  bool set_memory_limit(EpochParticipant& participant, Era era, size_t bytes) noexcept;
  size_t memory_limit() const noexcept { return limit_bytes_.load(std::memory_order_relaxed); }
  // Bytes written by the store itself (survivor copies) less the bytes of the segments it freed:
  // with what writers appended, the memory in use (see above). Lock-free.
  int64_t written_less_freed() const noexcept {
    return static_cast<int64_t>(survivor_written_.load(std::memory_order_relaxed)) -
           static_cast<int64_t>(freed_written_.load(std::memory_order_relaxed));
  }
  // Per size class: how many segments hold items of it, and the oldest's opening. Locks the
  // pools for one pass over the segments.
  std::vector<ClassPresence> class_presence() const;

  const StoreCounters& counters() const noexcept { return counters_; }
  // Bookkeeping of a crawl (Cache::start_crawl) over class `size_class`: `checked` items looked
  // at. And of an item the crawler unlinked from the index as dead: counted, bytes released.
  void account_crawl(uint32_t size_class, uint64_t checked) noexcept;
  void account_crawled(const Item* item, bool expired_unfetched) noexcept;
  // Segments neither free nor waiting for a grace period (tests).
  size_t used_segments() const noexcept;

 private:
  enum class State : uint8_t { kFree, kActive, kSealed, kRetiring, kParked };
  // One line per segment: writers of different segments never share one.
  struct alignas(64) Meta {
    std::atomic<int64_t> live_bytes{0};  // allocated (counted at seal) minus released
    std::atomic<uint32_t> used{0};       // bytes appended; set when sealed
    std::atomic<Time> min_exptime{0};    // earliest non-zero deadline appended (0 = none)
    // Latest deadline appended or touched (kNoDeadline once an item never expires; 0 = none).
    std::atomic<Time> max_exptime{0};
    std::atomic<uint64_t> classes{0};  // size classes of the items appended, a bit each
    std::atomic<bool> parked{false};   // state == kParked, readable without the lock
    State state = State::kFree;        // guarded by mutex_
  };

  size_t segment_of(const Item* item) const noexcept {
    return static_cast<size_t>(reinterpret_cast<const char*>(item) - base_) >> segment_shift_;
  }
  char* segment_base(size_t segment) const noexcept { return base_ + (segment << segment_shift_); }
  // Takes a free segment for `era.generation`, evicting and waiting as needed.
  uint32_t acquire(EpochParticipant& participant, Era era) noexcept;
  // Takes a free segment for `era` if the limit leaves more than `reserve` to take.
  uint32_t pop_free_locked(Era era, size_t reserve) noexcept;
  // Segments resident (held or free), held (neither free nor given back), and still takeable.
  size_t resident_locked() const noexcept { return fresh_ - released_.size(); }
  size_t held_locked() const noexcept { return resident_locked() - free_.size(); }
  size_t available_locked() const noexcept;
  // Gives a free segment's pages back to the kernel.
  void release_pages_locked(uint32_t segment) noexcept;
  // Whether every item appended to `segment` has expired or belongs to an older generation.
  bool all_dead(uint32_t segment, Era era) const noexcept;
  // Sweeps one sealed segment whose items are all dead and retires it; true if one was found.
  bool reclaim_dead_segment(EpochParticipant& participant, Era era) noexcept;
  // Whether a writer must seal its segment before appending `footprint` more bytes: a full
  // segment, one of an older flush generation, one too old for exact access stamps, or one
  // whose items have all expired (it is then reused rather than appended to).
  bool must_seal(const SegmentWriter& writer, size_t footprint, Era era) const noexcept;
  void seal_locked(uint32_t segment) noexcept;
  // Empties the oldest sealed segment (preferring one with nothing live) and retires it.
  bool evict_one(EpochParticipant& participant, Era era) noexcept;
  // Without eviction: makes room by reclaiming expired and flushed items, then by compacting.
  // True if a segment is on its way back to the free pool.
  bool make_room_without_eviction(EpochParticipant& participant, Era era) noexcept;
  // Moves the live items of the sealed segment with the fewest live bytes to the survivor
  // segment and retires it, if the sealed segments hold at least a segment's worth of dead
  // bytes and (`dead_share` > 0) a `dead_share`-th of the memory held; false when that gains
  // no room or not everything could move.
  bool compact_one(EpochParticipant& participant, Era era, size_t dead_share) noexcept;
  // Before a writer touches memory never written (or given back): compacts while the sealed
  // segments hold more than a kGrowthDeadShare-th of the memory held in dead bytes. True if a
  // segment is on its way back to the free pool.
  bool compact_before_growth(EpochParticipant& participant, Era era) noexcept;
  // Waits until no segment is waiting for its grace period. Outside any critical section.
  void await_retiring() noexcept;
  // What a sweep does with the items of a segment: every dead (expired, flushed) item still
  // linked is unlinked; a live one is kept (kReclaim), evicted unless given a second chance
  // (kEvict), or moved to the survivor segment (kCompact).
  enum class SweepMode : uint8_t { kReclaim, kEvict, kCompact };
  // True if no live item of `segment` is left linked. With a `participant`, the sweep enters
  // its own critical sections, one per kSweepBatch items, so that it holds back no grace
  // period for long: only for a segment no other thread may retire (kRetiring, taken by the
  // caller). Without, the caller's critical section covers the whole sweep.
  bool sweep(uint32_t segment, Era era, SweepMode mode, EpochParticipant* participant) noexcept;
  // Sweeps `victim` (taken out of the sealed list, kRetiring) in `mode`: retires it if that
  // emptied it, else seals it again. Returns whether it was retired.
  bool sweep_retiring(EpochParticipant& participant, uint32_t victim, Era era,
                      SweepMode mode) noexcept;
  // Tells observer_ of an evicted item, still readable.
  void report_eviction(const Item* item, Time now) noexcept;
  // A copy of `item` in the survivor segment, or nullptr (no room, or another thread holds the
  // survivor writer). The _locked variant: the caller holds survivor_mutex_.
  Item* copy_survivor(const Item* item, Era era) noexcept;
  Item* copy_survivor_locked(const Item* item, Era era) noexcept;
  void retire(uint32_t segment) noexcept;
  // After a retired segment's grace period: to the free pool, or parked while pinned.
  void free_or_park_locked(uint32_t segment) noexcept;
  bool pinned_locked(uint32_t segment) const noexcept;
  void update_pin_cap_locked() noexcept;
  // Retires the oldest sealed segment that holds no live bytes (every item in it replaced or
  // deleted), if any. Reusing such a segment before touching new memory keeps RSS near the
  // live data, as memcached's reuse of freed chunks does, and spares writers the page faults
  // (and the kernel's page zeroing) of memory never written.
  bool retire_dead_locked() noexcept;

  CuckooIndex& index_;
  EpochDomain& epoch_;
  const SizeClasses classes_;
  const bool evict_;
  EvictionObserver* const observer_;
  size_t segment_size_;
  unsigned segment_shift_;
  size_t capacity_;  // segments of address space reserved
  size_t min_segments_;
  std::atomic<size_t> limit_;  // segments allowed (held or free); written under mutex_
  std::atomic<size_t> limit_bytes_;
  char* base_;
  int huge_pages_error_ = 0;
  // Read by every get, so on their own array; 8 bytes per segment.
  struct Head {
    std::atomic<uint32_t> generation{0};
    std::atomic<Time> opened{0};  // when the segment was opened: the base of access stamps
  };
  // Constructed up to the highest limit so far (under mutex_).
  ReservedArray<Head> heads_;
  ReservedArray<Meta> meta_;
  StoreCounters counters_;

  mutable std::mutex mutex_;        // the pools below, Meta::state and the arrays' growth
  std::vector<uint32_t> free_;      // recycled free segments, most recently freed last
  std::vector<uint32_t> released_;  // free segments whose pages went back to the kernel
  size_t fresh_ = 0;                // segments [fresh_, capacity_) were never handed out
  std::deque<uint32_t> sealed_;     // FIFO, oldest first
  size_t retiring_ = 0;             // segments waiting for a grace period
  size_t parked_ = 0;               // retired segments waiting for their last unpin
  std::vector<PinTable*> pin_tables_;
  std::atomic<uint32_t> pin_cap_{0};           // per worker; read by pin(), written on (un)register
  std::atomic<uint64_t> survivor_written_{0};  // bytes copied into survivor segments
  std::atomic<uint64_t> freed_written_{0};     // bytes written into segments since freed
  std::mutex survivor_mutex_;                  // the survivor writer below
  SegmentWriter survivor_;                     // where second-chance and compaction copies go
};

}  // namespace cuckood::cache
