// Overlaps the index misses of a sweep that unlinks or relinks most of a segment's items
// (compaction, eviction): each of those is an update of a random bucket, a miss on its own
// line, and taken one at a time they were most of a compacting writer's time. A second cursor
// walks the segment a few items ahead of the sweep, hashes each item still in use and starts
// loading its buckets (CuckooIndex::prefetch_buckets), and hands the sweep that hashed key when
// the sweep gets to the item.
//
// Items of a segment lie in address order, and a released item stays released, so an item the
// sweep visits (one not released) was not released when the cursor passed it either: its entry
// is waiting, behind entries of items released since (which the sweep skips, and which are
// dropped here).
//
// Single-threaded (one sweep). key_for() prefetches through the index's tables, so its caller
// is inside an epoch critical section, as for the unlink or relink it prepares.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "cache/cuckoo_index.h"
#include "cache/item.h"
#include "cache/types.h"

namespace cuckood::cache {

class SweepLookahead {
 public:
  // How many items in use the cursor stays ahead: enough misses in flight to cover one.
  static constexpr size_t kDistance = 8;

  // The items of [base, base + used): a segment as its sweep reads it.
  SweepLookahead(const CuckooIndex& index, const char* base, uint32_t used) noexcept
      : index_(index), base_(base), used_(used) {}

  // key_of(item) for `item`, the sweep's current item (not released), from the cursor's
  // entry when it has one; moves the cursor on to stay kDistance items in use ahead.
  HashedKey key_for(const Item* item) noexcept {
    for (;;) {
      // Entries before the item's are of items released since the cursor passed them (or that
      // the sweep judged without the index).
      while (count_ > 0 && front().item < item) pop();
      if (count_ > 0 || base_ + ahead_ > reinterpret_cast<const char*>(item)) break;
      advance();
    }
    HashedKey key;
    if (count_ > 0 && front().item == item) {
      key = front().key;
      pop();
    } else {
      key = index_.key_of(item);
    }
    while (count_ < kDistance && ahead_ < used_) advance();
    return key;
  }

 private:
  struct Entry {
    const Item* item;
    HashedKey key;
  };

  void advance() noexcept {
    const auto* item = reinterpret_cast<const Item*>(base_ + ahead_);
    ahead_ += static_cast<uint32_t>(item->footprint());
    if (item->released()) return;
    const HashedKey key = index_.key_of(item);
    index_.prefetch_buckets(key);
    ring_[(first_ + count_) % ring_.size()] = Entry{item, key};
    ++count_;
  }
  const Entry& front() const noexcept { return ring_[first_]; }
  void pop() noexcept {
    first_ = (first_ + 1) % ring_.size();
    --count_;
  }

  const CuckooIndex& index_;
  const char* const base_;
  const uint32_t used_;
  uint32_t ahead_ = 0;  // offset of the next item the cursor has not passed
  std::array<Entry, kDistance> ring_{};
  size_t first_ = 0, count_ = 0;
};

}  // namespace cuckood::cache
