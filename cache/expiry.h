// memcached's exptime rule, in one place (protocol.txt, "Expiration times"):
// 0 means never; a value up to 30 days is relative to now; a larger one is an absolute
// Unix time; a negative one means "already expired".
#pragma once

#include <cstdint>

#include "cache/types.h"

namespace cuckood::cache {

inline constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;

// Converts a client's exptime to an absolute deadline (0 = never). Also used for the delay
// of `flush_all`, which follows the same rule in memcached.
constexpr Time expiry_deadline(int64_t exptime, Time now) noexcept {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1;  // a moment long past: expired on the next look
  if (exptime <= kMaxRelativeExptime) return static_cast<Time>(now + exptime);
  if (exptime > UINT32_MAX) return UINT32_MAX;
  return static_cast<Time>(exptime);  // absolute; if it is in the past the item is expired
}

constexpr bool is_expired(Time deadline, Time now) noexcept {
  return deadline != 0 && deadline <= now;
}

}  // namespace cuckood::cache
