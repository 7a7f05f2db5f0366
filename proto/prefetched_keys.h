// The keys one read's requests are about to look up, hashed once: the batch starts loading
// their memory (Cache::prefetch) when the read's requests are scanned, and each request's
// look-up then takes its key's hash from the batch instead of hashing the key again.
//
// Lifetime: the keys are views into the codec's input, so the batch is valid only during the
// codec call that started it; each call clears it first (clear()).
#pragma once

#include <span>
#include <string_view>

#include "cache/cache.h"
#include "proto/fixed_vector.h"

namespace cuckood::proto {

class PrefetchedKeys {
 public:
  static constexpr size_t kCapacity = 32;

  // Hashes `keys` (at most kCapacity; the rest are left out) and starts loading the memory
  // their look-ups touch. Replaces the batch before.
  void start(cache::Cache& cache, cache::WorkerContext& ctx,
             std::span<const std::string_view> keys) noexcept;

  // The hash of `key`: the batch's when `key` is one of its keys (the same bytes of the input,
  // not an equal string elsewhere), otherwise hashed now.
  cache::HashedKey hash(cache::Cache& cache, std::string_view key) noexcept;

  void clear() noexcept {
    keys_.clear();
    next_ = 0;
  }
  size_t size() const noexcept { return keys_.size(); }

 private:
  FixedVector<cache::HashedKey, kCapacity> keys_;
  size_t next_ = 0;  // the batch's key the next look-up is expected to ask for
};

}  // namespace cuckood::proto
