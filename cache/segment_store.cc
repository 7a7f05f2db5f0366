#include "cache/segment_store.h"

#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <new>

#include "cache/expiry.h"

namespace cuckood::cache {

namespace {

// Segments at least as large as the largest item; halved while there would be fewer than
// kMinSegments (tiny -m in tests), which then also caps the item size.
size_t choose_segment_size(size_t memory_limit, size_t max_item_size) noexcept {
  size_t size =
      std::bit_ceil(std::clamp<size_t>(max_item_size, 64 << 10, SegmentStore::kMaxSegmentSize));
  while (size > 4096 && memory_limit / size < SegmentStore::kMinSegments) size >>= 1;
  return size;
}

// Segments of address space to reserve: for `reserve` bytes, or the machine's memory.
size_t reserved_segments(size_t segments, size_t segment_size, size_t reserve) noexcept {
  if (reserve == 0) {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page_size > 0) reserve = static_cast<size_t>(pages) * page_size;
  }
  return std::max(segments, reserve / segment_size);
}

// Reserves `segments` segments of address space, or only `fallback` if the kernel refuses
// that much (strict overcommit): the limit then cannot grow. Returns the base and sets
// `segments` to what was reserved.
char* reserve_memory(size_t& segments, size_t fallback, size_t segment_size) {
  for (size_t want : {segments, fallback}) {
    void* memory = mmap(nullptr, want * segment_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory != MAP_FAILED) {
      segments = want;
      return static_cast<char*>(memory);
    }
  }
  throw std::bad_alloc();
}

}  // namespace

size_t SegmentStore::capacity_bytes(size_t memory_limit, size_t max_item_size,
                                    size_t memory_reserve) noexcept {
  const size_t segment_size = choose_segment_size(memory_limit, max_item_size);
  return reserved_segments(std::max<size_t>(1, memory_limit / segment_size), segment_size,
                           memory_reserve) *
         segment_size;
}

SegmentStore::SegmentStore(size_t memory_limit, size_t max_item_size, CuckooIndex& index,
                           EpochDomain& epoch, const SizeClasses& classes, bool evict,
                           bool huge_pages, size_t memory_reserve, EvictionObserver* observer)
    : index_(index),
      epoch_(epoch),
      classes_(classes),
      evict_(evict),
      observer_(observer),
      segment_size_(choose_segment_size(memory_limit, max_item_size)),
      segment_shift_(static_cast<unsigned>(std::countr_zero(segment_size_))),
      capacity_(capacity_bytes(memory_limit, max_item_size, memory_reserve) / segment_size_),
      min_segments_(std::min(kMinSegments, std::max<size_t>(1, memory_limit / segment_size_))),
      limit_(std::max<size_t>(1, memory_limit / segment_size_)),
      limit_bytes_(memory_limit),
      // NORESERVE and untouched: pages become resident only as segments are first written.
      base_(reserve_memory(capacity_, limit_.load(), segment_size_)),
      heads_(capacity_),
      meta_(capacity_) {
  if (huge_pages && madvise(base_, capacity_ * segment_size_, MADV_HUGEPAGE) != 0) {
    huge_pages_error_ = errno;
  }
  heads_.grow_to(limit_.load());
  meta_.grow_to(limit_.load());
  free_.reserve(limit_.load());
}

SegmentStore::~SegmentStore() {
  munmap(base_, capacity_ * segment_size_);
}

size_t SegmentStore::used_segments() const noexcept {
  std::lock_guard lock(mutex_);
  return held_locked() - retiring_;
}

size_t SegmentStore::available_locked() const noexcept {
  const size_t limit = limit_.load(std::memory_order_relaxed);
  const size_t held = held_locked();
  return limit > held ? limit - held : 0;
}

void SegmentStore::release_pages_locked(uint32_t segment) noexcept {
  madvise(segment_base(segment), segment_size_, MADV_DONTNEED);
  released_.push_back(segment);
}

bool SegmentStore::set_memory_limit(EpochParticipant& participant, Era era, size_t bytes) noexcept {
  const size_t segments = bytes / segment_size_;
  if (segments < min_segments_ || segments > capacity_) return false;
  {
    std::lock_guard lock(mutex_);
    heads_.grow_to(segments);
    meta_.grow_to(segments);
    for (PinTable* table : pin_tables_) table->counts->grow_to(segments);
    limit_.store(segments, std::memory_order_relaxed);
    limit_bytes_.store(bytes, std::memory_order_relaxed);
    update_pin_cap_locked();
    while (resident_locked() > segments && !free_.empty()) {
      const uint32_t segment = free_.back();
      free_.pop_back();
      release_pages_locked(segment);
    }
  }
  if (!evict_) return true;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (held_locked() <= segments) break;
    }
    if (!evict_one(participant, era)) break;
  }
  epoch_.reclaim();
  return true;
}

std::vector<ClassPresence> SegmentStore::class_presence() const {
  std::vector<ClassPresence> presence(classes_.count());
  std::lock_guard lock(mutex_);
  for (size_t s = 0; s < fresh_; ++s) {
    const State state = meta_[s].state;
    if (state != State::kActive && state != State::kSealed) continue;
    uint64_t bits = meta_[s].classes.load(std::memory_order_relaxed);
    const Time opened = heads_[s].opened.load(std::memory_order_relaxed);
    while (bits != 0) {
      const auto c = static_cast<size_t>(std::countr_zero(bits));
      bits &= bits - 1;
      if (c >= presence.size()) break;
      ClassPresence& p = presence[c];
      if (p.segments++ == 0 || opened < p.oldest) p.oldest = opened;
    }
  }
  return presence;
}

void SegmentStore::account_crawl(uint32_t size_class, uint64_t checked) noexcept {
  counters_.classes[size_class].crawler_items_checked.fetch_add(checked, std::memory_order_relaxed);
}

void SegmentStore::account_crawled(const Item* item, bool expired_unfetched) noexcept {
  ClassCounters& c = counters_.classes[classes_.of(item->footprint())];
  c.crawler_reclaimed.fetch_add(1, std::memory_order_relaxed);
  if (expired_unfetched) c.expired_unfetched.fetch_add(1, std::memory_order_relaxed);
  c.unlinked_items.fetch_add(1, std::memory_order_relaxed);
  c.unlinked_bytes.fetch_add(item->footprint(), std::memory_order_relaxed);
  release(item);
}

bool SegmentStore::is_live(const Item* item, Era era) const noexcept {
  return generation_of(item) == era.generation && !is_expired(item->exptime(), era.now);
}

void* SegmentStore::allocate(SegmentWriter& writer, EpochParticipant& participant, size_t footprint,
                             uint32_t size_class, Time exptime, Era era) noexcept {
  if (footprint > segment_size_) return nullptr;
  if (writer.segment != SegmentWriter::kNone && must_seal(writer, footprint, era)) seal(writer);
  if (writer.segment == SegmentWriter::kNone) {
    const uint32_t segment = acquire(participant, era);
    if (segment == SegmentWriter::kNone) return nullptr;
    writer.segment = segment;
    writer.offset = 0;
    writer.classes = 0;
    writer.latest_deadline = 0;
  }
  writer.latest_deadline = std::max(writer.latest_deadline, exptime == 0 ? kNoDeadline : exptime);
  const uint64_t bit = uint64_t{1} << size_class;
  if ((writer.classes & bit) == 0) {
    // Once per class per segment; only this writer writes the field while the segment is active.
    writer.classes |= bit;
    meta_[writer.segment].classes.store(writer.classes, std::memory_order_relaxed);
  }
  void* memory = segment_base(writer.segment) + writer.offset;
  // The segment's `used` and `live_bytes` learn of these bytes when it is sealed: nothing reads
  // them for an active segment, and so an allocation writes no shared line (the segment's meta
  // line is also written by other threads' release() of items in it).
  writer.offset += static_cast<uint32_t>(footprint);
  return memory;
}

bool SegmentStore::must_seal(const SegmentWriter& writer, size_t footprint,
                             Era era) const noexcept {
  const Head& head = heads_[writer.segment];
  // The last test reads only the writer's own record of the deadlines it stored (a touch may
  // have extended one since): a hint, as the sweep that reclaims the segment judges each item.
  // It waits for a sixteenth of the segment to be written, so that a writer storing items
  // already expired does not seal a segment per item.
  return writer.offset + footprint > segment_size_ ||
         head.generation.load(std::memory_order_relaxed) != era.store_generation ||
         era.now >= head.opened.load(std::memory_order_relaxed) + kExactSpan ||
         (writer.offset >= segment_size_ / 16 && writer.latest_deadline != kNoDeadline &&
          is_expired(writer.latest_deadline, era.now));
}

bool SegmentStore::all_dead(uint32_t segment, Era era) const noexcept {
  const Time latest = meta_[segment].max_exptime.load(std::memory_order_relaxed);
  return heads_[segment].generation.load(std::memory_order_relaxed) != era.generation ||
         (latest != 0 && latest != kNoDeadline && is_expired(latest, era.now));
}

void SegmentStore::stamp_access(const Item* item, Time when) const noexcept {
  const Time opened = heads_[segment_of(item)].opened.load(std::memory_order_relaxed);
  // A survivor copy may keep an access older than its new segment: it reads as the opening.
  item->set_access_stamp(encode_age(when > opened ? when - opened : 0));
}

Time SegmentStore::last_access(const Item* item) const noexcept {
  return heads_[segment_of(item)].opened.load(std::memory_order_relaxed) +
         decode_age(item->access_stamp());
}

void SegmentStore::note_exptime(const Item* item, Time exptime) noexcept {
  auto& max_exptime = meta_[segment_of(item)].max_exptime;
  const Time latest = exptime == 0 ? kNoDeadline : exptime;
  Time current_max = max_exptime.load(std::memory_order_relaxed);
  // Written when the latest deadline moves on: about once a second per segment.
  while (latest > current_max &&
         !max_exptime.compare_exchange_weak(current_max, latest, std::memory_order_relaxed)) {
  }
  if (exptime == 0) return;
  auto& min_exptime = meta_[segment_of(item)].min_exptime;
  Time current = min_exptime.load(std::memory_order_relaxed);
  // Usually a no-op (deadlines of later items are later): only a lower deadline is written.
  while ((current == 0 || exptime < current) &&
         !min_exptime.compare_exchange_weak(current, exptime, std::memory_order_relaxed)) {
  }
}

void SegmentStore::seal(SegmentWriter& writer) noexcept {
  if (writer.segment == SegmentWriter::kNone) return;
  Meta& meta = meta_[writer.segment];
  // Release: an evictor or reclaim_expired() that reads `used` finds a header behind every
  // offset below it (the mutex also orders it). live_bytes may be negative until now (items
  // released while the segment was active): it counts allocated minus released bytes.
  meta.used.store(writer.offset, std::memory_order_release);
  meta.live_bytes.fetch_add(static_cast<int64_t>(writer.offset), std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  seal_locked(writer.segment);
  writer.segment = SegmentWriter::kNone;
}

void SegmentStore::seal_locked(uint32_t segment) noexcept {
  meta_[segment].state = State::kSealed;
  sealed_.push_back(segment);
}

void SegmentStore::release(const Item* item) noexcept {
  item->mark_released();
  meta_[segment_of(item)].live_bytes.fetch_sub(static_cast<int64_t>(item->footprint()),
                                               std::memory_order_relaxed);
}

uint32_t SegmentStore::pop_free_locked(Era era, size_t reserve) noexcept {
  if (available_locked() <= reserve) return SegmentWriter::kNone;
  uint32_t segment;
  if (!free_.empty()) {
    segment = free_.back();
    free_.pop_back();
  } else if (!released_.empty()) {
    segment = released_.back();
    released_.pop_back();
  } else if (fresh_ < meta_.size()) {
    segment = static_cast<uint32_t>(fresh_++);
  } else {
    return SegmentWriter::kNone;
  }
  Meta& meta = meta_[segment];
  meta.state = State::kActive;
  meta.used.store(0, std::memory_order_relaxed);
  meta.min_exptime.store(0, std::memory_order_relaxed);
  meta.max_exptime.store(0, std::memory_order_relaxed);
  meta.classes.store(0, std::memory_order_relaxed);
  // live_bytes counts down through release() and up by the bytes appended at seal().
  meta.live_bytes.store(0, std::memory_order_relaxed);
  // Relaxed: items of this segment are published later by release stores, which carry them.
  heads_[segment].generation.store(era.store_generation, std::memory_order_relaxed);
  heads_[segment].opened.store(era.now, std::memory_order_relaxed);
  return segment;
}

uint32_t SegmentStore::acquire(EpochParticipant& participant, Era era) noexcept {
  // Without eviction: how often room was made. Each time brings a segment back or fails; the
  // bound only guards against compactions that keep moving items for little gain.
  size_t attempts = 0;
  for (;;) {
    bool recycling;
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        const uint32_t segment = pop_free_locked(era, kSurvivorReserve);
        if (segment != SegmentWriter::kNone) return segment;
      }
      // Nothing free: a segment with nothing live left comes back after a grace period...
      recycling = retire_dead_locked();
    }
    // ...and so does one whose items have all expired or been flushed, once swept...
    if (!recycling) recycling = reclaim_dead_segment(participant, era);
    if (recycling && epoch_.reclaim() > 0) continue;  // it is back: take it
    // ...and, while the sealed segments hold too many dead bytes, a compacted one: awaited
    // rather than replaced by memory never touched.
    if (!recycling && compact_before_growth(participant, era)) {
      await_retiring();
      continue;
    }
    {
      // Only then memory never touched (or given back to the kernel).
      std::lock_guard lock(mutex_);
      const uint32_t segment = pop_free_locked(era, kSurvivorReserve);
      if (segment != SegmentWriter::kNone) return segment;
    }
    if (epoch_.reclaim() > 0) continue;  // earlier evictions may have come through
    bool waiting;
    {
      std::lock_guard lock(mutex_);
      waiting = retiring_ > 0;
    }
    // A segment on its way back is awaited rather than a second one evicted: the grace period
    // is one short operation of each other thread (allocation never runs inside a guard).
    if (waiting) {
      sched_yield();
      continue;
    }
    if (evict_) {
      if (evict_one(participant, era)) continue;
      // Nothing to evict and nothing to wait for: the survivor reserve, or no memory at all.
      std::lock_guard lock(mutex_);
      return pop_free_locked(era, 0);
    }
    // Without eviction the survivor reserve stays with compaction: it is what lets the bytes
    // of deleted and replaced items be used again.
    if (attempts++ < segment_count() && make_room_without_eviction(participant, era)) continue;
    return SegmentWriter::kNone;
  }
}

bool SegmentStore::evict_one(EpochParticipant& participant, Era era) noexcept {
  uint32_t victim;
  {
    std::lock_guard lock(mutex_);
    if (sealed_.empty()) return false;
    // Prefer, among the oldest few, a segment with nothing live (all replaced or flushed):
    // emptying it costs no hits.
    size_t pick = 0;
    const size_t window = std::min<size_t>(sealed_.size(), 16);
    for (size_t i = 0; i < window; ++i) {
      const uint32_t s = sealed_[i];
      if (meta_[s].live_bytes.load(std::memory_order_relaxed) == 0 ||
          heads_[s].generation.load(std::memory_order_relaxed) != era.generation) {
        pick = i;
        break;
      }
    }
    victim = sealed_[pick];
    sealed_.erase(sealed_.begin() + static_cast<ptrdiff_t>(pick));
    meta_[victim].state = State::kRetiring;
    ++retiring_;
  }
  sweep(victim, era, SweepMode::kEvict, &participant);
  retire(victim);
  return true;
}

bool SegmentStore::reclaim_dead_segment(EpochParticipant& participant, Era era) noexcept {
  uint32_t victim = SegmentWriter::kNone;
  {
    std::lock_guard lock(mutex_);
    for (uint32_t s : sealed_) {
      if (all_dead(s, era)) {
        victim = s;
        break;
      }
    }
    if (victim == SegmentWriter::kNone) return false;
    std::erase(sealed_, victim);
    meta_[victim].state = State::kRetiring;  // no evictor or reclaimer sweeps it meanwhile
    ++retiring_;
  }
  // Not emptied: a touch revived an item meanwhile, and the segment stays.
  return sweep_retiring(participant, victim, era, SweepMode::kReclaim);
}

bool SegmentStore::make_room_without_eviction(EpochParticipant& participant, Era era) noexcept {
  return reclaim_expired(participant, era) || compact_one(participant, era, 0);
}

bool SegmentStore::compact_before_growth(EpochParticipant& participant, Era era) noexcept {
  {
    std::lock_guard lock(mutex_);
    // Only in place of memory never touched (or given back): a full store evicts instead.
    if (!free_.empty() || available_locked() <= kSurvivorReserve) return false;
  }
  // Dead bytes pile up faster than one victim per new segment takes them back (a victim holds
  // live bytes too): compact until the share is met, or a bounded number of victims.
  // Each victim is awaited before the next: the survivor segment then fills with the bytes of
  // the last victim instead of memory never touched.
  bool compacted = false;
  for (size_t i = 0; i < kMaxGrowthCompactions && compact_one(participant, era, kGrowthDeadShare);
       ++i) {
    compacted = true;
    await_retiring();
  }
  if (compacted) return true;
  // A segment on its way back (compacted by another writer, say) is awaited instead.
  std::lock_guard lock(mutex_);
  return retiring_ > 0;
}

void SegmentStore::await_retiring() noexcept {
  // A grace period is one short operation of each other thread: spin through a few before
  // giving the CPU away (a yield costs a trip through the scheduler).
  for (unsigned attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(mutex_);
      if (retiring_ == 0) return;
    }
    if (epoch_.reclaim() > 0) continue;
    if (attempt < kAwaitSpins) {
      for (int i = 0; i < 32; ++i) __builtin_ia32_pause();
    } else {
      sched_yield();
    }
  }
}

bool SegmentStore::compact_one(EpochParticipant& participant, Era era, size_t dead_share) noexcept {
  // One compaction at a time: it owns the survivor writer until its victim is empty.
  std::lock_guard survivor(survivor_mutex_);
  uint32_t victim;
  {
    std::lock_guard lock(mutex_);
    // Where the moved items can go: the survivor segment's tail and every free segment.
    const size_t survivor_room =
        survivor_.segment == SegmentWriter::kNone ? 0 : segment_size_ - survivor_.offset;
    const size_t room = survivor_room + available_locked() * segment_size_;
    size_t dead = 0, fewest = SIZE_MAX, pick = 0;
    for (size_t i = 0; i < sealed_.size(); ++i) {
      const Meta& meta = meta_[sealed_[i]];
      const auto used = static_cast<int64_t>(meta.used.load(std::memory_order_relaxed));
      const auto live = static_cast<size_t>(
          std::clamp<int64_t>(meta.live_bytes.load(std::memory_order_relaxed), 0, used));
      dead += static_cast<size_t>(used) - live;
      if (live < fewest && live < static_cast<size_t>(used)) {
        fewest = live;
        pick = i;
      }
    }
    // Emptying the victim gains its dead bytes; a free segment for a writer needs about a
    // segment's worth of them (the survivor's unused tail counts: it is filled first).
    const size_t held = held_locked() * segment_size_;
    const size_t wanted = std::max(segment_size_, dead_share == 0 ? 0 : held / dead_share);
    if (fewest == SIZE_MAX || dead + survivor_room < wanted || fewest > room) return false;
    victim = sealed_[pick];
    sealed_.erase(sealed_.begin() + static_cast<ptrdiff_t>(pick));
    meta_[victim].state = State::kRetiring;  // no evictor or reclaimer sweeps it meanwhile
    ++retiring_;
  }
  // Not emptied: it goes back among the sealed with what could not move.
  return sweep_retiring(participant, victim, era, SweepMode::kCompact);
}

bool SegmentStore::sweep_retiring(EpochParticipant& participant, uint32_t victim, Era era,
                                  SweepMode mode) noexcept {
  if (sweep(victim, era, mode, &participant)) {
    retire(victim);
    return true;
  }
  std::lock_guard lock(mutex_);
  --retiring_;
  seal_locked(victim);
  return false;
}

bool SegmentStore::retire_dead_locked() noexcept {
  const auto dead = std::find_if(sealed_.begin(), sealed_.end(), [this](uint32_t s) {
    return meta_[s].live_bytes.load(std::memory_order_relaxed) == 0;
  });
  if (dead == sealed_.end()) return false;
  const uint32_t segment = *dead;
  sealed_.erase(dead);
  meta_[segment].state = State::kRetiring;
  ++retiring_;
  retire(segment);
  return true;
}

void SegmentStore::retire(uint32_t segment) noexcept {
  epoch_.retire([this, segment] {
    std::lock_guard lock(mutex_);
    --retiring_;
    free_or_park_locked(segment);
  });
}

void SegmentStore::free_or_park_locked(uint32_t segment) noexcept {
  Meta& meta = meta_[segment];
  // The callback's half of the handshake with unpin() (header comment).
  meta.parked.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (pinned_locked(segment)) {
    if (meta.state != State::kParked) ++parked_;
    meta.state = State::kParked;
    return;
  }
  if (meta.state == State::kParked) --parked_;
  meta.parked.store(false, std::memory_order_relaxed);
  meta.state = State::kFree;
  freed_written_.fetch_add(meta.used.load(std::memory_order_relaxed), std::memory_order_relaxed);
  // More resident than the limit allows (it was lowered): back to the kernel.
  if (resident_locked() > limit_.load(std::memory_order_relaxed)) {
    release_pages_locked(segment);
  } else {
    free_.push_back(segment);
  }
}

bool SegmentStore::pinned_locked(uint32_t segment) const noexcept {
  for (const PinTable* table : pin_tables_) {
    // Acquire: the unpinner's reads of the bytes happen before a writer reuses them.
    if ((*table->counts)[segment].load(std::memory_order_acquire) != 0) return true;
  }
  return false;
}

void SegmentStore::update_pin_cap_locked() noexcept {
  const size_t workers = std::max<size_t>(1, pin_tables_.size());
  const size_t cap = std::min<size_t>(kMaxPinnedSegmentsPerWorker,
                                      limit_.load(std::memory_order_relaxed) / 4 / workers);
  pin_cap_.store(static_cast<uint32_t>(cap), std::memory_order_relaxed);
}

void SegmentStore::register_pins(PinTable& pins) {
  pins.counts = std::make_unique<ReservedArray<std::atomic<uint32_t>>>(capacity_);
  pins.pinned_segments = 0;
  std::lock_guard lock(mutex_);
  pins.counts->grow_to(meta_.size());
  pin_tables_.push_back(&pins);
  update_pin_cap_locked();
}

void SegmentStore::unregister_pins(PinTable& pins) noexcept {
  if (!pins.counts) return;
  std::lock_guard lock(mutex_);
  std::erase(pin_tables_, &pins);
  update_pin_cap_locked();
  ReservedArray<std::atomic<uint32_t>>& counts = *pins.counts;
  for (size_t s = 0; s < counts.size(); ++s) {
    if (counts[s].load(std::memory_order_relaxed) == 0) continue;
    counts[s].store(0, std::memory_order_relaxed);
    if (meta_[s].state == State::kParked) free_or_park_locked(static_cast<uint32_t>(s));
  }
  pins.pinned_segments = 0;
}

uint32_t SegmentStore::pin(PinTable& pins, const void* bytes) noexcept {
  const auto* p = static_cast<const char*>(bytes);
  if (!pins.counts || p < base_ || p >= base_ + capacity_ * segment_size_) return 0;
  const auto segment = static_cast<uint32_t>(static_cast<size_t>(p - base_) >> segment_shift_);
  std::atomic<uint32_t>& count = (*pins.counts)[segment];
  const uint32_t n = count.load(std::memory_order_relaxed);
  if (n == 0) {
    if (pins.pinned_segments >= pin_cap_.load(std::memory_order_relaxed)) return 0;
    ++pins.pinned_segments;
  }
  // Relaxed: the epoch guard's release on leaving the critical section publishes it.
  count.store(n + 1, std::memory_order_relaxed);
  return segment + 1;
}

void SegmentStore::unpin(PinTable& pins, uint32_t id) noexcept {
  const uint32_t segment = id - 1;
  std::atomic<uint32_t>& count = (*pins.counts)[segment];
  const uint32_t n = count.load(std::memory_order_relaxed) - 1;
  count.store(n, std::memory_order_release);
  if (n != 0) return;
  --pins.pinned_segments;
  // unpin's half of the handshake with free_or_park_locked() (header comment).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!meta_[segment].parked.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(mutex_);
  if (meta_[segment].state == State::kParked) free_or_park_locked(segment);
}

size_t SegmentStore::parked_segments() const noexcept {
  std::lock_guard lock(mutex_);
  return parked_;
}

void SegmentStore::report_eviction(const Item* item, Time now) noexcept {
  observer_->evicted(ItemView{.key = item->key(),
                              .value = item->value(),
                              .flags = item->flags(),
                              .exptime = item->exptime(),
                              .cas = item->cas(),
                              .last_access = last_access(item),
                              .fetched = item->fetched()},
                     now);
}

bool SegmentStore::reclaim_expired(EpochParticipant& participant, Era era) noexcept {
  std::vector<uint32_t> candidates;
  bool retired = false;
  {
    std::lock_guard lock(mutex_);
    for (uint32_t s : sealed_) {
      const Time min_exptime = meta_[s].min_exptime.load(std::memory_order_relaxed);
      if ((min_exptime != 0 && min_exptime <= era.now) ||
          heads_[s].generation.load(std::memory_order_relaxed) != era.generation) {
        candidates.push_back(s);
      }
    }
  }
  for (uint32_t segment : candidates) {
    {
      // Inside the guard a segment that is still sealed cannot be evicted and reused under us.
      EpochGuard guard(epoch_, participant);
      {
        std::lock_guard lock(mutex_);
        if (meta_[segment].state != State::kSealed) continue;
      }
      sweep(segment, era, SweepMode::kReclaim, nullptr);
    }
    std::lock_guard lock(mutex_);
    if (meta_[segment].state == State::kSealed &&
        meta_[segment].live_bytes.load(std::memory_order_relaxed) == 0) {
      std::erase(sealed_, segment);
      meta_[segment].state = State::kRetiring;
      ++retiring_;
      retire(segment);
      retired = true;
    }
  }
  epoch_.reclaim();
  return retired;
}

}  // namespace cuckood::cache
