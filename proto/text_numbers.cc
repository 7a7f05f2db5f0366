#include "proto/text_numbers.h"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace cuckood::proto::text {

namespace {

// C's isspace() in the "C" locale.
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// What strtoul/strtol see in a token: the sign, the digits' magnitude and whether it overflowed
// 64 bits. False when strto* would not accept the token: no digits, or a character after the
// digits that is neither the end nor whitespace.
struct Scanned {
  bool negative = false;
  bool overflow = false;
  uint64_t magnitude = 0;
};

bool scan(std::string_view s, Scanned& out) noexcept {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    out.negative = s[i] == '-';
    ++i;
  }
  const size_t first_digit = i;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (out.magnitude > (UINT64_MAX - digit) / 10) out.overflow = true;
    out.magnitude = out.magnitude * 10 + digit;
  }
  if (i == first_digit) return false;
  return i == s.size() || is_space(s[i]);
}

// strtoul's result on a 64-bit system, with safe_strtoul's "negative and huge" refusal.
bool unsigned_value(std::string_view token, uint64_t& out) noexcept {
  Scanned n;
  if (!scan(token, n) || n.overflow) return false;
  const uint64_t value = n.negative ? uint64_t{0} - n.magnitude : n.magnitude;
  if (static_cast<int64_t>(value) < 0 && token.find('-') != std::string_view::npos) return false;
  out = value;
  return true;
}

}  // namespace

bool parse_strtoll(std::string_view token, int64_t& out) noexcept {
  Scanned n;
  if (!scan(token, n) || n.overflow) return false;
  constexpr uint64_t kMaxPositive = uint64_t{INT64_MAX};
  if (n.magnitude > (n.negative ? kMaxPositive + 1 : kMaxPositive)) return false;
  out = static_cast<int64_t>(n.negative ? uint64_t{0} - n.magnitude : n.magnitude);
  return true;
}

bool parse_strtol32(std::string_view token, int32_t& out) noexcept {
  int64_t value = 0;
  if (!parse_strtoll(token, value)) return false;
  out = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(value)));
  return true;
}

bool parse_strtoul32(std::string_view token, uint32_t& out) noexcept {
  uint64_t value = 0;
  if (!unsigned_value(token, value)) return false;
  out = static_cast<uint32_t>(value);
  return true;
}

bool parse_strtoull(std::string_view token, uint64_t& out) noexcept {
  return unsigned_value(token, out);
}

bool parse_strtod(std::string_view token, double& out) noexcept {
  const std::string text(token);  // strtod needs a terminated string
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (errno == ERANGE || end == text.c_str()) return false;
  if (*end != '\0' && !is_space(*end)) return false;
  out = value;
  return true;
}

}  // namespace cuckood::proto::text
