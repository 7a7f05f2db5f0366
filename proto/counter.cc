// parse_counter: memcached's rule for reading an item as a counter (do_add_delta, which calls
// safe_strtoull on the value followed by its "\r\n"). strtoull skips leading white space and
// takes an optional '+'; the digits must be followed by the end of the value or by white
// space, after which memcached ignores the rest ("12 abc" counts as 12). Overflow (>= 2^64)
// and an empty value are non-numeric. memcached lets a '-' through only when the wrapped
// result looks positive as a signed number (so "-0" reads as 0); we refuse every '-'.
#include "proto/counter.h"

namespace cuckood::proto {

namespace {
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
}  // namespace

std::optional<uint64_t> parse_counter(std::string_view value) noexcept {
  size_t pos = 0;
  while (pos < value.size() && is_space(value[pos])) ++pos;
  if (pos < value.size() && value[pos] == '+') ++pos;
  const size_t digits_start = pos;
  uint64_t result = 0;
  for (; pos < value.size() && is_digit(value[pos]); ++pos) {
    const auto digit = static_cast<uint64_t>(value[pos] - '0');
    if (result > (UINT64_MAX - digit) / 10) return std::nullopt;  // >= 2^64
    result = result * 10 + digit;
  }
  if (pos == digits_start) return std::nullopt;
  if (pos < value.size() && !is_space(value[pos])) return std::nullopt;
  return result;
}

}  // namespace cuckood::proto
