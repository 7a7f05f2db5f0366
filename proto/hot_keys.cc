#include "proto/hot_keys.h"

#include <algorithm>

namespace cuckood::proto {

uint32_t HotKeys::next_gap() noexcept {
  random_ ^= random_ << 13;
  random_ ^= random_ >> 17;
  random_ ^= random_ << 5;
  return 1 + random_ % (2 * kSampleEvery - 1);  // 1 .. 2k-1: mean k
}

void HotKeys::record(std::string_view key, cache::Time now) {
  if (now >= interval_start_ + kInterval) {
    {
      std::lock_guard lock(mutex_);
      published_.swap(current_);
      published_end_ = now;
    }
    current_.clear();
    interval_start_ = now;
  }
  for (Entry& e : current_) {
    if (e.key == key) {
      ++e.count;
      return;
    }
  }
  if (current_.size() < kCapacity) {
    if (current_.capacity() == 0) current_.reserve(kCapacity);
    current_.push_back({std::string(key), 1});
    return;
  }
  // Space-Saving: the new key takes the place of the least counted one, and its count.
  Entry& least =
      *std::min_element(current_.begin(), current_.end(),
                        [](const Entry& a, const Entry& b) { return a.count < b.count; });
  least.key.assign(key);
  ++least.count;
}

void HotKeys::merge_into(std::unordered_map<std::string, uint64_t>& into, cache::Time now) const {
  std::lock_guard lock(mutex_);
  if (published_.empty() || now > published_end_ + kInterval) return;
  for (const Entry& e : published_) into[e.key] += e.count * kSampleEvery;
}

std::vector<HotKey> hottest(const std::unordered_map<std::string, uint64_t>& merged, size_t n) {
  std::vector<HotKey> keys;
  keys.reserve(merged.size());
  for (const auto& [key, reads] : merged) keys.push_back({key, reads});
  const auto first = [](const HotKey& a, const HotKey& b) {
    return a.reads != b.reads ? a.reads > b.reads : a.key < b.key;
  };
  const size_t shown = std::min(n, keys.size());
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(shown), keys.end(),
                    first);
  keys.resize(shown);
  return keys;
}

}  // namespace cuckood::proto
