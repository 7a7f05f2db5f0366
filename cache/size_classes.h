// Size classes for statistics. cuckood stores items of every size in the same segments, so a
// class decides no placement; it groups items by size for the per-class figures memcached's
// `stats items` / `stats slabs` report (count, bytes, evictions, age). proto/ supplies the
// class bounds (memcached's slab class table), the cache counts by them.
//
// Thread-safety: immutable after construction; of() is lock-free and allocation-free.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cuckood::cache {

class SizeClasses {
 public:
  // memcached's MAX_NUMBER_OF_SLAB_CLASSES less its unused class 0: class ids 1..63.
  static constexpr size_t kMaxClasses = 63;

  // One class holding every size.
  SizeClasses() : bounds_{UINT32_MAX} {}
  // `bounds`: the largest item size of each class, ascending (at most kMaxClasses are kept).
  // An item larger than the last bound is counted in the last class. Empty: one class.
  explicit SizeClasses(std::span<const uint32_t> bounds)
      : bounds_(bounds.begin(), bounds.begin() + std::min(bounds.size(), kMaxClasses)) {
    if (bounds_.empty()) bounds_.push_back(UINT32_MAX);
  }

  size_t count() const noexcept { return bounds_.size(); }
  // The largest item size of class `index` (0-based).
  uint32_t bound(size_t index) const noexcept { return bounds_[index]; }
  // The 0-based class of an item of `size` bytes.
  uint32_t of(size_t size) const noexcept {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end() - 1, size);
    return static_cast<uint32_t>(it - bounds_.begin());
  }

 private:
  std::vector<uint32_t> bounds_;
};

}  // namespace cuckood::cache
