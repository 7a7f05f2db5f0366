// An item's last-access time in 16 bits: the seconds since its segment opened, exact for the
// first kExactSpan seconds and in ever coarser units after that (16 s, 256 s, 4096 s for the
// next kExactSpan units each), so that the header keeps its size. Writers seal a segment before
// its age leaves the exact span (SegmentStore::allocate), so a store time is always exact; an
// access long after that is rounded down to its unit, well within the 60 s memcached itself
// waits before it records an access again.
#pragma once

#include <cstdint>

#include "cache/types.h"

namespace cuckood::cache {

inline constexpr Time kExactSpan = 1 << 14;  // seconds kept exactly; each unit tier has as many
inline constexpr unsigned kStampTiers = 4;   // units 1, 16, 256, 4096 seconds

// The stamp of `age` seconds; ages past the last tier saturate.
constexpr uint16_t encode_age(Time age) noexcept {
  Time start = 0;
  for (unsigned tier = 0; tier < kStampTiers; ++tier) {
    const Time unit = Time{1} << (4 * tier);
    if (age - start < kExactSpan * unit) {
      return static_cast<uint16_t>(tier * kExactSpan + (age - start) / unit);
    }
    start += kExactSpan * unit;
  }
  return UINT16_MAX;
}

// The age a stamp stands for (the lower end of its unit).
constexpr Time decode_age(uint16_t stamp) noexcept {
  const unsigned tier = stamp / kExactSpan;
  Time start = 0;
  for (unsigned t = 0; t < tier; ++t) start += kExactSpan * (Time{1} << (4 * t));
  return start + (stamp % kExactSpan) * (Time{1} << (4 * tier));
}

static_assert(encode_age(0) == 0 && decode_age(encode_age(kExactSpan - 1)) == kExactSpan - 1);
static_assert(decode_age(encode_age(kExactSpan + 37)) == kExactSpan + 32);
static_assert(kStampTiers * kExactSpan - 1 == UINT16_MAX);

}  // namespace cuckood::cache
