// One stored item: a 16-byte header, the item's extras when it has any, then the key and the
// value, laid out contiguously inside a segment (cache/segment_store.h). The extras are the
// client's flags and the deadline (8 bytes); an item stored with neither (flags 0 and no
// expiry, as most cache items are) leaves them out, and the extended bit beside the value size
// says which layout an item has. An item is immutable once it has been published in the index;
// a new version of a key is a new item swapped into the index slot (and a touch that gives a
// deadline to an item without extras swaps in an extended copy first). The only fields that
// change after publication are atomics: the deadline (touch/gat, written under the key's
// stripe lock), `bits` (the CLOCK reference bit and the "fetched" bit, set by readers only
// when still clear, cleared by the evictor; above them the item's marks, set only under the
// key's stripe locks), the last-access stamp (rewritten by a reader at most once a minute) and
// the "released" bit beside the value size (set once the item is out of the index for good).
// Readers therefore see a consistent item without any lock, as long as the epoch (cache/epoch.h)
// keeps its segment from being reused.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>

#include "cache/types.h"

namespace cuckood::cache {

class Item {
 public:
  static constexpr uint8_t kReferenced = 1;  // CLOCK bit: read since the last eviction pass
  static constexpr uint8_t kFetched = 2;     // read at least once (meta `h`, evicted_unfetched)
  static constexpr size_t kAlignment = 8;    // cas is read as a uint64_t
  static constexpr unsigned kMarkShift = 2;  // marks (cache/types.h) live above those two bits
  static constexpr size_t kExtrasSize = 8;   // the flags and deadline words of an extended item

  // Whether an item with these flags and deadline needs the extras (flags and deadline words).
  static constexpr bool needs_extras(uint32_t flags, Time exptime) noexcept {
    return flags != 0 || exptime != 0;
  }

  // Bytes an item with these sizes occupies in a segment, header, extras (if `extended`) and
  // alignment padding included.
  static constexpr size_t footprint(size_t key_size, size_t value_size, bool extended) noexcept {
    const size_t extras = extended ? kExtrasSize : 0;
    return (sizeof(Item) + extras + key_size + value_size + kAlignment - 1) & ~(kAlignment - 1);
  }

  // Writes the header, the extras (if `extended`, which they must be when needs_extras()) and
  // the key into raw segment memory; the caller then fills value_data(). `memory` must hold
  // footprint(key.size(), value_size, extended) bytes and is not yet visible to readers.
  static Item* create(void* memory, std::string_view key, size_t value_size, uint32_t flags,
                      Time exptime, uint64_t cas, bool extended) noexcept {
    Item* item = ::new (memory) Item(key.size(), value_size, extended, cas);
    if (extended) ::new (item->data_) Extras{flags, exptime};
    std::memcpy(item->key_data(), key.data(), key.size());
    return item;
  }

  bool extended() const noexcept {
    return (value_size_.load(std::memory_order_relaxed) & kExtended) != 0;
  }
  std::string_view key() const noexcept { return {key_data(), key_size_}; }
  std::string_view value() const noexcept { return {key_data() + key_size_, value_size()}; }
  char* value_data() noexcept { return key_data() + key_size_; }
  size_t footprint() const noexcept { return footprint(key_size_, value_size(), extended()); }
  uint32_t flags() const noexcept { return extended() ? extras()->flags : 0; }
  uint64_t cas() const noexcept { return cas_; }

  // Relaxed: the deadline is a single word with no dependent data; a reader racing a touch may
  // see either deadline, both of which were valid at some point during its read.
  Time exptime() const noexcept {
    return extended() ? extras()->exptime.load(std::memory_order_relaxed) : 0;
  }
  // Only an extended item has room for a deadline; an item without extras keeps "never".
  bool can_set_exptime(Time exptime) const noexcept { return exptime == 0 || extended(); }
  // Requires can_set_exptime(exptime).
  void set_exptime(Time exptime) noexcept {
    assert(can_set_exptime(exptime));
    if (extended()) extras()->exptime.store(exptime, std::memory_order_relaxed);
  }

  // Marks the item read; returns whether it had been fetched before. Writes the shared header
  // only when a bit is still clear, so a hot item read by every core stays a read-only line.
  bool mark_read() const noexcept {
    uint8_t bits = bits_.load(std::memory_order_relaxed);
    if ((bits & (kReferenced | kFetched)) != (kReferenced | kFetched)) {
      bits = bits_.fetch_or(kReferenced | kFetched, std::memory_order_relaxed);
    }
    return (bits & kFetched) != 0;
  }
  bool fetched() const noexcept { return (bits_.load(std::memory_order_relaxed) & kFetched) != 0; }
  // Clears the reference bit; returns whether it was set (the evictor's second-chance test).
  bool take_reference() const noexcept {
    return (bits_.fetch_and(static_cast<uint8_t>(~kReferenced), std::memory_order_relaxed) &
            kReferenced) != 0;
  }
  void set_fetched() noexcept { bits_.fetch_or(kFetched, std::memory_order_relaxed); }
  // Gives a copy that replaces `source` its read state: fetched, and the CLOCK reference bit,
  // so that a read of the item before the swap still spares the copy from the next eviction
  // pass. Under the key's stripe locks, or before the copy is published.
  void copy_reads_from(const Item& source) const noexcept {
    const auto reads = static_cast<uint8_t>(source.bits_.load(std::memory_order_relaxed) &
                                            (kReferenced | kFetched));
    if (reads != 0) bits_.fetch_or(reads, std::memory_order_relaxed);
  }

  // The item's marks (cache/types.h). Relaxed: writers change them under the key's stripe
  // locks, and a reader's snapshot is one byte.
  Marks marks() const noexcept {
    return static_cast<Marks>(bits_.load(std::memory_order_relaxed) >> kMarkShift);
  }
  // Adds marks: under the key's stripe locks, or before the item is published.
  void add_marks(Marks marks) const noexcept {
    if (marks != 0)
      bits_.fetch_or(static_cast<uint8_t>(marks << kMarkShift), std::memory_order_relaxed);
  }

  // Marks the item released: unlinked (replaced, deleted, evicted) or never linked, so that a
  // segment sweep passes it by without looking its key up in the index. Set only after the
  // item left the index, and never cleared: an item never comes back. Relaxed: a sweep that
  // misses the bit looks the key up, as it would without it.
  void mark_released() const noexcept {
    value_size_.fetch_or(kReleased, std::memory_order_relaxed);
  }
  bool released() const noexcept {
    return (value_size_.load(std::memory_order_relaxed) & kReleased) != 0;
  }

  // When the item was last accessed, as its segment encodes it (cache/access_stamp.h; read and
  // written through SegmentStore). Relaxed: one word, no dependent data.
  uint16_t access_stamp() const noexcept { return access_stamp_.load(std::memory_order_relaxed); }
  void set_access_stamp(uint16_t stamp) const noexcept {
    access_stamp_.store(stamp, std::memory_order_relaxed);
  }

 private:
  // The words only an extended item carries, between the header and the key.
  struct Extras {
    uint32_t flags;
    std::atomic<Time> exptime;
  };
  static_assert(sizeof(Extras) == kExtrasSize);

  Item(size_t key_size, size_t value_size, bool extended, uint64_t cas) noexcept
      : cas_(cas),
        value_size_(static_cast<uint32_t>(value_size) | (extended ? kExtended : 0)),
        key_size_(static_cast<uint8_t>(key_size)) {}

  // Values are smaller than a segment (at most 1 GiB), so the top two bits of the size are
  // free: one says the item has extras, the other that it was released.
  static constexpr uint32_t kExtended = uint32_t{1} << 30;
  static constexpr uint32_t kReleased = uint32_t{1} << 31;
  uint32_t value_size() const noexcept {
    return value_size_.load(std::memory_order_relaxed) & ~(kExtended | kReleased);
  }
  const Extras* extras() const noexcept {
    return std::launder(reinterpret_cast<const Extras*>(data_));
  }
  Extras* extras() noexcept { return std::launder(reinterpret_cast<Extras*>(data_)); }
  const char* key_data() const noexcept { return data_ + (extended() ? kExtrasSize : 0); }
  char* key_data() noexcept { return data_ + (extended() ? kExtrasSize : 0); }

  uint64_t cas_;
  mutable std::atomic<uint32_t> value_size_;  // with the extended and released bits
  uint8_t key_size_;                          // memcached keys are at most 250 bytes
  mutable std::atomic<uint8_t> bits_{0};
  mutable std::atomic<uint16_t> access_stamp_{0};
  char data_[];
};

// Pinned layout: the per-item overhead reported in wip.md depends on it.
static_assert(sizeof(Item) == 16, "Item header must stay 16 bytes");
static_assert(Item::kExtrasSize == 2 * sizeof(uint32_t));
static_assert(alignof(Item) == Item::kAlignment);
static_assert(std::atomic<Time>::is_always_lock_free && std::atomic<uint8_t>::is_always_lock_free &&
              std::atomic<uint32_t>::is_always_lock_free &&
              std::atomic<uint16_t>::is_always_lock_free);
static_assert(Item::footprint(10, 32, false) == 64 && Item::footprint(10, 32, true) == 72);
static_assert(Item::kMarkShift + kMarkBits == 8, "marks fill the bits byte above the CLOCK bits");

inline constexpr size_t kMaxKeySize = 250;

}  // namespace cuckood::cache
