// CuckooCache: the conformance suite, plus what is specific to our store: eviction instead of
// kNoMemory when full, byte accounting with the 24-byte item header, the background reclaimer.
#include "cache/cuckoo_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/cache/cache_conformance.h"

namespace cuckood::cache::testing {
namespace {

struct CuckooFactory {
  static std::unique_ptr<Cache> make(const CacheConfig& config) {
    return std::make_unique<CuckooCache>(config);
  }
};

}  // namespace

CUCKOOD_INSTANTIATE_CACHE_CONFORMANCE(Cuckoo, CuckooFactory);

}  // namespace cuckood::cache::testing
