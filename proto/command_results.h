// What the command layer (proto/commands.h) answers for the storage commands: memcached's
// verdicts, before any codec puts them into words ("STORED", "EXISTS") or status codes.
#pragma once

#include <cstdint>

#include "cache/types.h"

namespace cuckood::proto {

enum class StoreMode : uint8_t {
  kSet,      // store unconditionally
  kAdd,      // store only if absent
  kReplace,  // store only if present
  kAppend,   // present: value = old + new (flags and exptime kept)
  kPrepend,  // present: value = new + old (flags and exptime kept)
  kCas,      // present and its cas equals the request's (even when that is 0)
};

enum class StoreStatus : uint8_t {
  kStored,
  kNotStored,  // add on present, replace/append/prepend on absent, a joined value too large
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

enum class FlushStatus : uint8_t {
  kFlushed,
  kDisabled,  // -F
  kBadDelay,  // the delay argument was malformed
};

enum class ArithStatus : uint8_t {
  kOk,
  kNotFound,
  kNonNumeric,
  kExists,
  kNoMemory,          // no room for the new value (memcached words it apart from...)
  kNoMemoryToCreate,  // ...no room for the item a miss creates (binary, meta N)
};

struct ArithResult {
  ArithStatus status = ArithStatus::kNotFound;
  uint64_t value = 0;                // the new value when kOk
  uint64_t cas = 0;                  // the item's new cas when kOk
  cache::Time exptime = 0;           // the item's deadline when kOk (0 = never)
  cache::Time previous_exptime = 0;  // its deadline before (0 for a created counter)
  bool created = false;              // the counter was created (binary initial, meta N)
};

}  // namespace cuckood::proto
