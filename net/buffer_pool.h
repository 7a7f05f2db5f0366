// A worker's spare large byte buffers, reused by its connections. Without it, every large value
// (such as a 100 KB get or set) would cost its connection a fresh allocation of the input or
// output buffer — glibc hands blocks this size out as new mappings or trims them back, so each
// request would page-fault and zero its buffer again. A buffer given back here keeps its pages;
// the next large request on any of the worker's connections writes into memory that is
// already mapped.
//
// Bounded: only buffers above kMinCapacity (smaller ones stay with their connection) and at most
// kMaxCapacity each (a huge multi-get reply is not worth keeping) are kept, kMaxBytes in all per
// worker; beyond that a buffer is freed. Memory use: at most kMaxBytes per worker on
// top of what the connections hold, and none once the worker has been idle (release_all(),
// at the engine's idle tick). No kernel feature.
//
// Threading: one pool per worker thread, used by that thread only.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace cuckood::net {

class BufferPool {
 public:
  static constexpr size_t kMinCapacity = 64 * 1024;
  static constexpr size_t kMaxCapacity = size_t{4} << 20;
  static constexpr size_t kMaxBytes = size_t{8} << 20;

  BufferPool() { spare_.reserve(kMaxBytes / kMinCapacity); }  // give() never allocates

  bool empty() const noexcept { return spare_.empty(); }
  size_t bytes() const noexcept { return bytes_; }

  // The most recently returned buffer (its pages most likely still cached) of at least
  // `min_capacity`, cleared; an empty string when the pool has none.
  std::string take(size_t min_capacity = 0) noexcept {
    for (size_t i = spare_.size(); i-- > 0;) {
      if (spare_[i].capacity() < min_capacity) continue;
      std::string buffer = std::move(spare_[i]);
      spare_.erase(spare_.begin() + static_cast<std::ptrdiff_t>(i));
      bytes_ -= buffer.capacity();
      return buffer;
    }
    return {};
  }

  // Keeps `buffer`'s memory for a later take() when it is large enough to be worth it and the
  // pool has room; frees it otherwise. `buffer` is left empty either way.
  void give(std::string& buffer) noexcept {
    const size_t capacity = buffer.capacity();
    if (capacity > kMinCapacity && capacity <= kMaxCapacity && bytes_ + capacity <= kMaxBytes &&
        spare_.size() < spare_.capacity()) {
      buffer.clear();
      bytes_ += capacity;
      spare_.push_back(std::move(buffer));
      return;
    }
    if (capacity > kMinCapacity) large_freed_ = true;
    std::string().swap(buffer);
  }

  // Frees every spare buffer. Returns whether large buffers were freed since the last call
  // (here or by give()): only then has the heap free memory worth handing back to the system.
  bool release_all() noexcept {
    const bool freed = large_freed_ || !spare_.empty();
    spare_.clear();
    bytes_ = 0;
    large_freed_ = false;
    return freed;
  }

 private:
  std::vector<std::string> spare_;
  size_t bytes_ = 0;
  bool large_freed_ = false;
};

}  // namespace cuckood::net
