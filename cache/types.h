// Vocabulary of the cache layer: time, hashed keys, item views, and the change a mutation asks
// for. Nothing here knows a wire format or a memcached command: proto/ decides what a command
// does to an item and maps the outcome to protocol words and status codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cuckood::cache {

// Wall-clock Unix time in whole seconds (memcached's granularity). 0 in an exptime means "never".
using Time = uint32_t;

// An access (read, touch) is recorded as the item's last access only once the one recorded is
// this old (memcached's ITEM_UPDATE_INTERVAL): a hot item is not rewritten by every read.
inline constexpr Time kAccessUpdateInterval = 60;

// Records an access at `now` in `last_access`, by the rule above.
constexpr void record_access(Time& last_access, Time now) noexcept {
  if (now - last_access >= kAccessUpdateInterval) last_access = now;
}

// A key with its hash, computed once per request by Cache::hash(); the cache derives stripe,
// buckets and tag from `hash` and never hashes the key again.
// Lifetime: `key` is a view into the caller's buffer, valid for the duration of the call.
struct HashedKey {
  std::string_view key;
  uint64_t hash = 0;
};

// A few bits a rule above the cache keeps on an item (proto/ gives them their meaning: meta's
// stale and win-token state, how a client named the key). The cache stores them, copies them
// where it copies an item, and changes them only as a Change says; it reads nothing into them.
using Marks = uint8_t;
inline constexpr unsigned kMarkBits = 6;  // marks above this many bits are not kept

// A consistent snapshot of one item, handed to a visitor while the item is protected.
// Lifetime: every view is valid only during the visitor call; copy what you need, or pin it
// (Cache::pin) to keep the bytes beyond the call.
struct ItemView {
  std::string_view key;
  std::string_view value;
  uint32_t flags = 0;
  Time exptime = 0;      // absolute deadline, 0 = never expires
  uint64_t cas = 0;      // unique per stored version of the item
  Time last_access = 0;  // time of the previous access (meta `l`), 0 if unknown
  bool fetched = false;  // was the item read before this access (meta `h`)
  Marks marks = 0;
};

// Keeps the bytes of an item valid after its visitor returned, until Cache::unpin (see there).
// An empty token (id 0) means "not pinned: copy the bytes instead".
struct PinToken {
  uint32_t id = 0;
  uint32_t bytes = 0;  // how many bytes it keeps valid (CacheStats::pinned_bytes)
  explicit operator bool() const noexcept { return id != 0; }
};

// What a mutation (cache/cache.h) makes of one key, decided against the item live under it.
struct Change {
  enum class Kind : uint8_t {
    kKeep,    // leave the key as it is
    kRemove,  // unlink the live item
    kTouch,   // amend the live item in place: its deadline becomes `exptime` (unless
              // keep_exptime), `marks` are added to its marks; it counts as read (unless
              // `unread`)
    kStore,   // link a new item of `value_size` bytes (Mutation::write fills them)
  };
  Kind kind = Kind::kKeep;
  size_t value_size = 0;  // kStore
  uint32_t flags = 0;     // kStore
  Time exptime = 0;       // kStore and kTouch: absolute deadline, 0 = never
  // kStore: the new value is computed from the live item (append, incr): it is linked only if
  // that very item is still linked when the new one is ready; otherwise the mutation decides
  // again. Without it the new bytes depend on the mutation alone, and only the decision is
  // taken again against whatever is linked at that moment.
  bool derived = false;
  // kStore: the new item takes the deadline of the item it replaces as of the swap, so that a
  // touch racing the update is not lost (append/prepend keep the old deadline). kTouch: the
  // deadline stays as it is.
  bool keep_exptime = false;
  // kStore: the new item's marks. kTouch: marks added to the live item's. Either way the
  // change applies only while the live item's marks are still those decide() saw (a
  // test-and-set: of two updates setting the same mark, the second decides again).
  Marks marks = 0;
  // kStore: marks the new item takes from the item it replaces as of the swap.
  Marks keep_marks = 0;
  // kTouch: the access is not recorded (the item's fetched and last-access state stay).
  bool unread = false;
  // kStore: the new item counts as already read (an incr written where memcached rewrites the
  // item in place keeps the item's read state).
  bool fetched = false;
  // kStore: memcached would have rewritten the item in place (an incr/decr result no longer
  // than the old value): the new version is not counted as a new item (total_items).
  bool in_place = false;

  static constexpr Change keep() noexcept { return {}; }
  static constexpr Change remove() noexcept { return {Kind::kRemove}; }
  static constexpr Change touch(Time exptime) noexcept { return {Kind::kTouch, 0, 0, exptime}; }
  static constexpr Change store(size_t value_size, uint32_t flags, Time exptime) noexcept {
    return {Kind::kStore, value_size, flags, exptime};
  }
  friend constexpr bool operator==(const Change&, const Change&) = default;
};

// How an update ended, as far as storage is concerned; the mutation recorded its own verdict.
enum class UpdateStatus : uint8_t {
  kDone,      // the change was applied (or was kKeep)
  kTooLarge,  // a kStore that no item of this cache can hold
  kNoMemory,  // a kStore for which no room could be made
};

}  // namespace cuckood::cache
