// Vocabulary of the cache layer: time, hashed keys, item views and operation results.
// Nothing here knows a wire format; proto/ maps these to protocol words and status codes.
#pragma once

#include <cstdint>
#include <string_view>

namespace cuckood::cache {

// Wall-clock Unix time in whole seconds (memcached's granularity). 0 in an exptime means "never".
using Time = uint32_t;

// A key with its hash, computed once per request by Cache::hash() (see STYLE rule 7:
// hash once; the cache derives stripe, buckets and tag from `hash`).
// Lifetime: `key` is a view into the caller's buffer, valid for the duration of the call.
struct HashedKey {
  std::string_view key;
  uint64_t hash = 0;
};

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
};

// Keeps the bytes of an item valid after its visitor returned, until Cache::unpin (see there).
// An empty token (id 0) means "not pinned: copy the bytes instead".
struct PinToken {
  uint32_t id = 0;
  explicit operator bool() const noexcept { return id != 0; }
};

enum class StoreMode : uint8_t {
  kSet,      // store unconditionally
  kAdd,      // store only if absent
  kReplace,  // store only if present
  kAppend,   // present: value = old + new (flags and exptime kept)
  kPrepend,  // present: value = new + old (flags and exptime kept)
  kCas,      // present and its cas equals StoreRequest::cas (even when that is 0)
};

// For every mode but kAdd and kCas, a non-zero `cas` also demands a present item with that cas
// (the binary protocol's rule); text classic commands pass 0.
struct StoreRequest {
  HashedKey key;
  std::string_view value;
  uint32_t flags = 0;
  Time exptime = 0;  // absolute deadline, already converted by expiry_deadline()
  uint64_t cas = 0;
  StoreMode mode = StoreMode::kSet;
};

enum class StoreStatus : uint8_t {
  kStored,
  kNotStored,  // add on present, replace/append/prepend on absent
  kExists,     // cas mismatch
  kNotFound,   // cas (or cas-carrying store) on absent
  kTooLarge,   // the item can never fit (key + value + header > max item size)
  kNoMemory,   // could not make room
};

struct StoreResult {
  StoreStatus status = StoreStatus::kNotStored;
  uint64_t cas = 0;  // the stored item's new cas when status == kStored
};

enum class DeleteStatus : uint8_t { kDeleted, kNotFound, kExists };

// incr/decr. `create` (binary protocol) stores `initial` when the key is absent.
struct ArithRequest {
  HashedKey key;
  uint64_t delta = 0;
  bool increment = true;
  uint64_t cas = 0;  // non-zero: the item's cas must match
  bool create = false;
  uint64_t initial = 0;
  Time exptime = 0;  // deadline of a created item
};

enum class ArithStatus : uint8_t { kOk, kNotFound, kNonNumeric, kExists, kNoMemory };

struct ArithResult {
  ArithStatus status = ArithStatus::kNotFound;
  uint64_t value = 0;  // the new value when kOk
  uint64_t cas = 0;    // the item's new cas when kOk
};

}  // namespace cuckood::cache
