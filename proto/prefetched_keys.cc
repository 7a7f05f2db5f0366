#include "proto/prefetched_keys.h"

namespace cuckood::proto {

void PrefetchedKeys::start(cache::Cache& cache, cache::WorkerContext& ctx,
                           std::span<const std::string_view> keys) noexcept {
  clear();
  for (size_t i = 0; i < keys.size() && !keys_.full(); ++i) {
    keys_.push_back(cache.hash(keys[i]));
  }
  cache.prefetch(ctx, keys_.span());
}

cache::HashedKey PrefetchedKeys::hash(cache::Cache& cache, std::string_view key) noexcept {
  // Look-ups come in the order the keys were scanned; a key the scan took but no request
  // looked up (a refused request) is passed over.
  for (size_t i = next_; i < keys_.size(); ++i) {
    const std::string_view batched = keys_[i].key;
    if (batched.data() != key.data() || batched.size() != key.size()) continue;
    next_ = i + 1;
    return keys_[i];
  }
  return cache.hash(key);
}

}  // namespace cuckood::proto
