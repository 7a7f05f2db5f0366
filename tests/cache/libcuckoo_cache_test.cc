// LibcuckooCache: the conformance suite, plus what is specific to this baseline (exact byte
// accounting with kItemHeaderSize, kNoMemory instead of eviction when full).
#include "cache/baseline/libcuckoo_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/cache/cache_conformance.h"

namespace cuckood::cache::testing {
namespace {

struct LibcuckooFactory {
  static std::unique_ptr<Cache> make(const CacheConfig& config) {
    return std::make_unique<LibcuckooCache>(config);
  }
};

}  // namespace

CUCKOOD_INSTANTIATE_CACHE_CONFORMANCE(Libcuckoo, LibcuckooFactory);

namespace {

using LibcuckooCacheTest = CacheFixture<LibcuckooFactory>;

TEST_F(LibcuckooCacheTest, BytesAreKeyValueAndHeader) {
  this->must_set("key", std::string(100, 'v'));
  EXPECT_EQ(cache().stats().bytes, LibcuckooCache::kItemHeaderSize + 3 + 100);
  EXPECT_EQ(cache().max_value_size(3),
            cache().config().max_item_size - 3 - LibcuckooCache::kItemHeaderSize);
  EXPECT_EQ(incr("key", 1).status, ArithStatus::kNonNumeric);
  must_set("key", "99");
  EXPECT_EQ(incr("key", 1).value, 100u);
  EXPECT_EQ(cache().stats().bytes, LibcuckooCache::kItemHeaderSize + 3 + 3);
}

TEST_F(LibcuckooCacheTest, FullCacheRefusesWithNoMemoryAndRecoversAfterDelete) {
  CacheConfig config;
  const size_t item = LibcuckooCache::kItemHeaderSize + 2 + 1000;
  config.memory_limit = 10 * item;
  reset(config);
  const std::string value(1000, 'v');
  for (int i = 0; i < 10; ++i) must_set("k" + std::to_string(i), value);
  EXPECT_EQ(cache().stats().bytes, config.memory_limit);
  EXPECT_EQ(set("kx", value).status, StoreStatus::kNoMemory);
  EXPECT_EQ(store(StoreMode::kAppend, "k0", "x").status, StoreStatus::kNoMemory);
  EXPECT_EQ(create("kx", 1, 1).status, ArithStatus::kNoMemoryToCreate);
  // At the limit a set may still replace an item of at least its size, and shrink one.
  EXPECT_EQ(set("k1", value).status, StoreStatus::kStored);
  EXPECT_EQ(set("k2", "small").status, StoreStatus::kStored);
  EXPECT_EQ(set("k2", value).status, StoreStatus::kStored);
  EXPECT_EQ(remove("k3"), DeleteStatus::kDeleted);
  EXPECT_EQ(set("kx", value).status, StoreStatus::kStored);
  EXPECT_EQ(cache().stats().bytes, config.memory_limit);
  EXPECT_EQ(cache().stats().curr_items, 10u);
}

TEST_F(LibcuckooCacheTest, ExpiredItemsAreReclaimedOnAccess) {
  must_set("a", "v", 0, deadline(5));
  must_set("b", "v", 0, deadline(5));
  EXPECT_TRUE(get("b").has_value());
  advance(5);
  EXPECT_FALSE(get("a").has_value());
  EXPECT_FALSE(get("b").has_value());
  const CacheStats stats = cache().stats();
  EXPECT_EQ(stats.reclaimed, 2u);
  EXPECT_EQ(stats.expired_unfetched, 1u);  // "b" had been read
  EXPECT_EQ(stats.curr_items, 0u);
  EXPECT_EQ(stats.bytes, 0u);
}

}  // namespace
}  // namespace cuckood::cache::testing
