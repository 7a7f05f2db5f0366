// A statistics counter with one writer thread and any number of readers: the writer adds with
// a relaxed load + store (never a shared read-modify-write); readers sum on demand.
#pragma once

#include <atomic>
#include <cstdint>

namespace cuckood::proto {

class Counter {
 public:
  void add(uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t load() const noexcept { return value_.load(std::memory_order_relaxed); }
  void reset() noexcept { value_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace cuckood::proto
