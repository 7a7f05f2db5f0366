// A fixed-bucket log-linear latency histogram in the manner of HdrHistogram: every power of two
// is split into 128 equal sub-buckets, so any recorded value is known to within 1/128 (< 0.8%)
// of itself, over the whole uint64 range, in 58 KiB allocated once at construction. record() is
// a few shifts and one increment: no allocation, no branch on the value's magnitude beyond one.
// Single writer; merge per-thread histograms after the threads are joined.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cuckood::load {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  static constexpr size_t kBuckets = (64 - kSubBucketBits + 1) * kSubBuckets;

  Histogram() : counts_(kBuckets, 0) {}

  void record(uint64_t value) noexcept {
    ++counts_[index_of(value)];
    ++total_;
    sum_ += value;
    if (value > max_) max_ = value;
    if (value < min_) min_ = value;
  }

  void merge(const Histogram& other) noexcept;
  void reset() noexcept;

  uint64_t count() const noexcept { return total_; }
  uint64_t max() const noexcept { return total_ ? max_ : 0; }
  uint64_t min() const noexcept { return total_ ? min_ : 0; }
  double mean() const noexcept { return total_ ? static_cast<double>(sum_) / total_ : 0; }

  // The smallest recorded value v such that at least `percent`% of the values are <= v, reported
  // as the upper end of v's bucket (never above max()); 0 when empty.
  uint64_t percentile(double percent) const noexcept;

  // Bucket arithmetic, public for tests.
  static size_t index_of(uint64_t value) noexcept {
    if (value < kSubBuckets) return static_cast<size_t>(value);
    const int shift = std::bit_width(value) - 1 - kSubBucketBits;
    return static_cast<size_t>(shift + 1) * kSubBuckets + ((value >> shift) - kSubBuckets);
  }
  static uint64_t lowest_in_bucket(size_t index) noexcept;
  static uint64_t highest_in_bucket(size_t index) noexcept;

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

}  // namespace cuckood::load
