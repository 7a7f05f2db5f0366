// SegmentStore's sweep: the one pass over a segment that reclaims its dead items, compacts
// its live ones into the survivor segment, or evicts them (with a second chance for items
// fetched since they were written). Same class as segment_store.cc, in a translation unit of
// its own; the locking and lifetime rules are segment_store.h's.
#include <atomic>
#include <bit>
#include <cstring>
#include <mutex>
#include <optional>

#include "cache/expiry.h"
#include "cache/segment_store.h"
#include "cache/sweep_lookahead.h"

namespace cuckood::cache {

namespace {

// What one sweep took back from one size class, added to ClassCounters at its end.
struct SweptClass {
  uint64_t evictions = 0, evicted_nonzero = 0, evicted_unfetched = 0, expired_unfetched = 0;
  uint64_t reclaimed = 0, unlinked_items = 0, unlinked_bytes = 0;
  Time evicted_time = 0;
  bool evicted_last = false;
};

}  // namespace

bool SegmentStore::sweep(uint32_t segment, Era era, SweepMode mode,
                         EpochParticipant* participant) noexcept {
  SweptClass swept[SizeClasses::kMaxClasses];
  uint64_t touched_classes = 0;
  uint64_t compacted = 0;
  bool kept_live = false;
  Time min_exptime = 0;
  char* base = segment_base(segment);
  const uint32_t used = meta_[segment].used.load(std::memory_order_acquire);
  std::optional<EpochGuard> guard;
  uint32_t in_batch = 0;
  // Compaction and eviction unlink or relink nearly every item they pass; reclaiming keeps the
  // live ones where they are, and would hash them for nothing.
  std::optional<SweepLookahead> lookahead;
  if (mode != SweepMode::kReclaim) lookahead.emplace(index_, base, used);
  auto key_of = [&](const Item* item) {
    return lookahead ? lookahead->key_for(item) : index_.key_of(item);
  };
  for (uint32_t offset = 0; offset < used;) {
    if (participant != nullptr && in_batch++ % kSweepBatch == 0) {
      guard.reset();  // lets a grace period end: the writer awaiting it waits one batch at most
      guard.emplace(epoch_, *participant);  // index updates compare keys of other items
    }
    auto* item = reinterpret_cast<Item*>(base + offset);
    const size_t footprint = item->footprint();
    offset += static_cast<uint32_t>(footprint);
    if (item->released()) continue;  // out of the index for good: nothing to unlink or move
    const uint32_t size_class = classes_.of(footprint);
    SweptClass& c = swept[size_class];
    bool unlinked = false;
    const bool live = is_live(item, era);
    // Every branch but reclaiming's keep of a live item unlinks or relinks it (or would have,
    // had compaction found room for the copy).
    const HashedKey key = !live || mode != SweepMode::kReclaim ? key_of(item) : HashedKey{};
    if (!live) {
      // Judged again under the key's lock: a concurrent touch may have revived it.
      unlinked = index_.unlink(key, item, [&] { return !is_live(item, era); });
      if (unlinked) {
        ++c.reclaimed;
        if (!item->fetched() && is_expired(item->exptime(), era.now)) ++c.expired_unfetched;
      }
    } else if (mode == SweepMode::kCompact) {
      // A deleted or replaced item is judged live here (it is not expired) but is dead, and
      // was passed by above once released; one unlinked a moment ago and not yet released
      // is copied in vain (the relink fails), which a look at the index first would cost
      // every item to avoid.
      if (Item* copy = copy_survivor_locked(item, era)) {
        // A failed relink means the item was replaced or removed meanwhile (and released by
        // whoever did it): nothing of it is left here either way.
        if (index_.relink(key, item, copy)) {
          note_exptime(copy, copy->exptime());  // the relink gave it the item's deadline
          release(item);
          ++compacted;
        } else {
          release(copy);
        }
        continue;
      }
      kept_live = true;
      const Time deadline = item->exptime();
      if (deadline != 0 && (min_exptime == 0 || deadline < min_exptime)) min_exptime = deadline;
    } else if (mode == SweepMode::kEvict) {
      if (item->take_reference()) {
        if (Item* copy = copy_survivor(item, era)) {
          if (index_.relink(key, item, copy)) {
            note_exptime(copy, copy->exptime());  // the relink gave it the item's deadline
            release(item);
            continue;
          }
          release(copy);  // the item was replaced or removed meanwhile
        }
      }
      unlinked = index_.unlink(key, item, [] { return true; });
      if (unlinked) {
        ++c.evictions;
        if (item->exptime() != 0) ++c.evicted_nonzero;
        if (!item->fetched()) ++c.evicted_unfetched;
        const Time accessed = last_access(item);
        c.evicted_time = era.now > accessed ? era.now - accessed : 0;
        c.evicted_last = true;
        if (observer_ != nullptr && observer_->watching()) report_eviction(item, era.now);
      }
    } else {
      // Live, so still linked: the segment stays whatever its deadline hint said (a touch
      // may extend a deadline after the hint was read, or on a copy being relinked), and the
      // hint is mended so that the segment is not judged all dead again.
      kept_live = true;
      const Time deadline = item->exptime();
      note_exptime(item, deadline);
      if (deadline != 0 && (min_exptime == 0 || deadline < min_exptime)) min_exptime = deadline;
    }
    if (unlinked) {
      ++c.unlinked_items;
      c.unlinked_bytes += footprint;
      touched_classes |= uint64_t{1} << size_class;
      release(item);
    }
  }
  if (mode != SweepMode::kEvict) {
    meta_[segment].min_exptime.store(min_exptime, std::memory_order_relaxed);
  }
  auto add = [](std::atomic<uint64_t>& counter, uint64_t n) {
    if (n != 0) counter.fetch_add(n, std::memory_order_relaxed);
  };
  while (touched_classes != 0) {
    const auto i = static_cast<size_t>(std::countr_zero(touched_classes));
    touched_classes &= touched_classes - 1;
    const SweptClass& c = swept[i];
    ClassCounters& into = counters_.classes[i];
    add(into.evictions, c.evictions);
    add(into.evicted_nonzero, c.evicted_nonzero);
    add(into.evicted_unfetched, c.evicted_unfetched);
    add(into.expired_unfetched, c.expired_unfetched);
    add(into.reclaimed, c.reclaimed);
    add(into.unlinked_items, c.unlinked_items);
    add(into.unlinked_bytes, c.unlinked_bytes);
    if (c.evicted_last) into.evicted_time.store(c.evicted_time, std::memory_order_relaxed);
  }
  add(counters_.compacted, compacted);
  return !kept_live;
}

Item* SegmentStore::copy_survivor(const Item* item, Era era) noexcept {
  // Second chance is best effort: skipped, never waited for, when another evictor copies.
  std::unique_lock lock(survivor_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return nullptr;
  return copy_survivor_locked(item, era);
}

Item* SegmentStore::copy_survivor_locked(const Item* item, Era era) noexcept {
  const size_t footprint = item->footprint();
  if (survivor_.segment != SegmentWriter::kNone && must_seal(survivor_, footprint, era)) {
    seal(survivor_);
  }
  if (survivor_.segment == SegmentWriter::kNone) {
    // Only a free segment (writers leave kSurvivorReserve of them for this): evicting to make
    // room for survivors would chase its own tail.
    std::lock_guard pools(mutex_);
    const uint32_t segment = pop_free_locked(era, 0);
    if (segment == SegmentWriter::kNone) return nullptr;
    survivor_ = {segment, 0};
  }
  void* memory = segment_base(survivor_.segment) + survivor_.offset;
  survivor_.offset += static_cast<uint32_t>(footprint);  // accounted when sealed, as above
  survivor_written_.fetch_add(footprint, std::memory_order_relaxed);
  Item* copy = Item::create(memory, item->key(), item->value().size(), item->flags(),
                            item->exptime(), item->cas(), item->extended());
  note_exptime(copy, copy->exptime());
  std::memcpy(copy->value_data(), item->value().data(), item->value().size());
  stamp_access(copy, last_access(item));
  return copy;
}

}  // namespace cuckood::cache
