// The Cache conformance suite: the storage primitives of cache/cache.h, and memcached 1.6's
// semantics that proto's command layer builds on them, for every Cache implementation; nothing
// implementation-specific. An implementation's test file
// defines a factory type and instantiates every part with one macro:
//
//   struct MyFactory {
//     static std::unique_ptr<Cache> make(const CacheConfig& c) { return std::make_unique<My>(c); }
//   };
//   CUCKOOD_INSTANTIATE_CACHE_CONFORMANCE(My, MyFactory);
//
// Parts: the primitives (_primitives.h); storage commands, cas, delete, touch (_store.h); expiry
// and flush_all (_time.h); incr/decr, sizes, memory bound, stats (_arith.h); checked multi-threaded
// stress (_stress.h). gtest's typed parameterized suites may be included and instantiated in
// several files of one binary, so every implementation's test can live in its own file of
// cache_test.
#pragma once

#include "tests/cache/cache_conformance_arith.h"
#include "tests/cache/cache_conformance_primitives.h"
#include "tests/cache/cache_conformance_store.h"
#include "tests/cache/cache_conformance_stress.h"
#include "tests/cache/cache_conformance_time.h"

#define CUCKOOD_INSTANTIATE_CACHE_CONFORMANCE(Prefix, Factory)                 \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, CachePrimitivesConformance, Factory); \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, CacheStoreConformance, Factory);      \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, CacheTimeConformance, Factory);       \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, CacheArithConformance, Factory);      \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, CacheStressConformance, Factory)
