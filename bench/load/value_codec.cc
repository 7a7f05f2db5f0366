#include "bench/load/value_codec.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace cuckood::load {
namespace {

constexpr size_t kMaxHeader = 250 + 1 + 20 + 1;  // key, ':', length digits, ';'

// Writes "key:len;" and returns its length.
size_t format_header(std::string_view key, size_t len, char* out) noexcept {
  std::memcpy(out, key.data(), key.size());
  char* p = out + key.size();
  *p++ = ':';
  p = std::to_chars(p, out + kMaxHeader, len).ptr;
  *p++ = ';';
  return static_cast<size_t>(p - out);
}

}  // namespace

void format_key(uint64_t n, int key_size, char* out) noexcept {
  out[0] = 'k';
  for (int i = key_size - 1; i >= 1; --i) {
    out[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
}

void fill_value(std::string_view key, size_t len, char* out) noexcept {
  char header[kMaxHeader];
  const size_t h = format_header(key, len, header);
  std::memcpy(out, header, std::min(h, len));
  // Double the filled prefix each step: a handful of memcpy calls even for megabyte values.
  for (size_t filled = std::min(h, len); filled < len;) {
    const size_t n = std::min(filled, len - filled);
    std::memcpy(out + filled, out, n);
    filled += n;
  }
}

bool verify_value(std::string_view key, std::string_view value) noexcept {
  char header[kMaxHeader];
  const size_t h = format_header(key, value.size(), header);
  const size_t len = value.size();
  if (std::memcmp(value.data(), header, std::min(h, len)) != 0) return false;
  // The value repeats with period h, i.e. value[i] == value[i - h]: one overlapping compare.
  return len <= h || std::memcmp(value.data() + h, value.data(), len - h) == 0;
}

}  // namespace cuckood::load
