#include "bench/load/histogram.h"

#include <algorithm>
#include <cmath>

namespace cuckood::load {

void Histogram::merge(const Histogram& other) noexcept {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void Histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

uint64_t Histogram::lowest_in_bucket(size_t index) noexcept {
  if (index < kSubBuckets) return index;
  const size_t shift = index / kSubBuckets - 1;
  return (kSubBuckets + index % kSubBuckets) << shift;
}

uint64_t Histogram::highest_in_bucket(size_t index) noexcept {
  if (index < kSubBuckets) return index;
  const size_t shift = index / kSubBuckets - 1;
  return lowest_in_bucket(index) + ((uint64_t{1} << shift) - 1);
}

uint64_t Histogram::percentile(double percent) const noexcept {
  if (total_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  uint64_t target = static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(total_)));
  target = std::clamp<uint64_t>(target, 1, total_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= target) return std::min(highest_in_bucket(i), max_);
  }
  return max_;
}

}  // namespace cuckood::load
