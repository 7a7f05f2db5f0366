// Keyed hashing of cache keys. The seed is random per process so that clients cannot pick
// keys that all land in one bucket (hash flooding).
#pragma once

#include <cstdint>
#include <string_view>

#include "cache/types.h"

namespace cuckood::cache {

class KeyHasher {
 public:
  // Seeds from the kernel's random source.
  KeyHasher();
  explicit KeyHasher(uint64_t seed) noexcept : seed_(seed) {}

  // Thread-safe (reads only the seed).
  uint64_t operator()(std::string_view key) const noexcept;
  HashedKey hashed(std::string_view key) const noexcept { return {key, (*this)(key)}; }

 private:
  uint64_t seed_;
};

}  // namespace cuckood::cache
