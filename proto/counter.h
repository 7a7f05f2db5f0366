// memcached's incr/decr arithmetic, in one place: values are decimal text holding a 64-bit
// unsigned number; incr wraps around 2^64, decr stops at 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cuckood::proto {

// Parses an item's value as a counter (decimal digits, at most 20, value < 2^64; memcached
// also tolerates trailing spaces, which it writes itself when a counter shrinks).
// nullopt = "non-numeric value".
std::optional<uint64_t> parse_counter(std::string_view value) noexcept;

// incr: (value + delta) mod 2^64. decr: value - delta, or 0 if delta > value.
constexpr uint64_t apply_delta(uint64_t value, uint64_t delta, bool increment) noexcept {
  if (increment) return value + delta;
  return delta > value ? 0 : value - delta;
}

// Longest decimal text of a uint64_t.
inline constexpr size_t kMaxCounterDigits = 20;

}  // namespace cuckood::proto
