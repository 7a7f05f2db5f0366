// MutexMapCache (bench/micro, cache_bench's striped std::mutex + unordered_map baseline): the
// cache conformance suite, so that its figures in the cache_bench table come from a cache with
// the same semantics as the others. It lives in bench_test, not cache_test: cache_test must not
// depend on bench/, while tests/bench already does.
#include "bench/micro/mutex_map_cache.h"

#include <gtest/gtest.h>

#include <memory>

#include "tests/cache/cache_conformance.h"

namespace cuckood::cache::testing {
namespace {

struct MutexMapFactory {
  static std::unique_ptr<Cache> make(const CacheConfig& config) {
    return std::make_unique<bench::MutexMapCache>(config);
  }
};

}  // namespace

CUCKOOD_INSTANTIATE_CACHE_CONFORMANCE(MutexMap, MutexMapFactory);

}  // namespace cuckood::cache::testing
