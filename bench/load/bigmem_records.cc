#include "bench/load/bigmem_records.h"

#include <algorithm>

namespace cuckood::load::bigmem {
namespace {

// splitmix64's finaliser: a bijection on 64-bit words that mixes every bit.
uint64_t mix(uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

void hex16(uint64_t v, char* out) noexcept {
  constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kDigits[v & 0xf];
    v >>= 4;
  }
}

// Uniform in [0, n) from a random word (Lemire's multiply-shift).
uint64_t below(uint64_t word, uint64_t n) noexcept {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(word) * n) >> 64);
}

// Items of [0, n) congruent to `lane` mod `lanes`.
uint64_t lane_share(uint64_t n, uint32_t lanes, uint32_t lane) noexcept {
  return n > lane ? (n - lane + lanes - 1) / lanes : 0;
}

}  // namespace

void key_name(uint64_t key, char out[kKeySize]) noexcept {
  hex16(mix(key), out);
}

void record_value(uint64_t key, uint32_t occurrence, char out[kValueSize]) noexcept {
  hex16(mix(mix(key + kGolden) ^ (occurrence + 1) * kGolden), out);
}

std::string expected_value(uint64_t key, uint32_t count) {
  std::string value(static_cast<size_t>(count) * kValueSize, '\0');
  for (uint32_t n = 0; n < count; ++n) record_value(key, n, value.data() + n * kValueSize);
  return value;
}

uint64_t Occurrences::written() const noexcept {
  return static_cast<uint64_t>(
      std::count_if(counts_.begin(), counts_.end(), [](uint32_t c) { return c > 0; }));
}

LaneStream::LaneStream(uint64_t records, uint64_t keys, uint32_t lanes, uint32_t lane,
                       uint64_t seed) noexcept
    : size_(lane_share(records, lanes, lane)),
      lane_keys_(lane_share(keys, lanes, lane)),
      lanes_(lanes),
      lane_(lane),
      seed_(mix(seed ^ kGolden)) {}

uint64_t LaneStream::key_at(uint64_t index) const noexcept {
  const uint64_t record = lane_ + index * lanes_;
  return lane_ + below(mix(seed_ + record), lane_keys_) * lanes_;
}

Record LaneStream::next(Occurrences& seen) noexcept {
  if (issued_ + kAhead < size_) seen.prefetch(key_at(issued_ + kAhead));
  const uint64_t key = key_at(issued_++);
  return {key, seen.next(key)};
}

std::vector<uint64_t> sample_keys(uint64_t keys, uint64_t n, uint64_t seed) {
  std::vector<uint64_t> sample(n);
  const uint64_t base = mix(seed + kGolden * 3);
  for (uint64_t i = 0; i < n; ++i) sample[i] = below(mix(base + i), keys);
  return sample;
}

Check check_value(uint64_t key, uint32_t count, bool hit, std::string_view value) {
  if (!hit) return count == 0 ? Check::kMatch : Check::kMissing;
  if (count == 0) return Check::kUnexpected;
  return value == expected_value(key, count) ? Check::kMatch : Check::kWrong;
}

}  // namespace cuckood::load::bigmem
