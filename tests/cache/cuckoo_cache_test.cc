// CuckooCache: the conformance suite, plus what is specific to our store: eviction instead of
// kNoMemory when full, byte accounting with the 16-byte item header (and the 8 bytes of flags and
// deadline of the items that have either), the background reclaimer.
#include "cache/cuckoo_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cache/access_stamp.h"
#include "cache/item.h"
#include "cache/segment_store.h"

#include "tests/cache/cache_conformance.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache::testing {
namespace {

struct CuckooFactory {
  static std::unique_ptr<Cache> make(const CacheConfig& config) {
    return std::make_unique<CuckooCache>(config);
  }
};

}  // namespace

CUCKOOD_INSTANTIATE_CACHE_CONFORMANCE(Cuckoo, CuckooFactory);

namespace {

class CuckooCacheTest : public CacheFixture<CuckooFactory> {
 protected:
  CuckooCache& cuckoo() { return static_cast<CuckooCache&>(cache()); }
  void reset_with(size_t memory_limit, size_t max_item_size) {
    CacheConfig config;
    config.memory_limit = memory_limit;
    config.max_item_size = max_item_size;
    reset(config);
  }
};

TEST_F(CuckooCacheTest, BytesAreTheItemFootprint) {
  must_set("key", std::string(100, 'v'));
  EXPECT_EQ(cache().stats().bytes, Item::footprint(3, 100, false));
  EXPECT_EQ(Item::footprint(3, 100, false), 120u);  // 16-byte header, 8-byte alignment
  EXPECT_EQ(Item::footprint(3, 100, true), 128u);   // and the 8 bytes of flags and deadline
  must_set("key", "99");
  EXPECT_EQ(incr("key", 1).value, 100u);
  EXPECT_EQ(cache().stats().bytes, Item::footprint(3, 3, false));
  EXPECT_EQ(cache().stats().curr_items, 1u);
}

TEST_F(CuckooCacheTest, PrefetchPaysOnceTheWorkingSetPassesTheThreshold) {
  EXPECT_TRUE(cache().prefetch_pays()) << "no threshold: from the start";
  CacheConfig config;
  config.prefetch_from_bytes = 64 * 1024;
  reset(config);
  for (int i = 0; i < 100; ++i) must_set(testing::numbered("k", i), std::string(100, 'v'));
  cuckoo().reclaim_now();
  EXPECT_FALSE(cache().prefetch_pays()) << "100 items fit a core's cache";
  for (int i = 100; i < 1000; ++i) must_set(testing::numbered("k", i), std::string(100, 'v'));
  cuckoo().reclaim_now();
  EXPECT_TRUE(cache().prefetch_pays());
}

TEST_F(CuckooCacheTest, StatsCountIndexDoublings) {
  const CacheStats at_start = cache().stats();
  EXPECT_EQ(at_start.index_growths, 0u);
  EXPECT_EQ(at_start.index_slots, at_start.index_buckets * CuckooIndex::kSlotsPerBucket);
  EXPECT_EQ(at_start.index_bytes, at_start.index_slots * sizeof(uint64_t));
  // Small items until the table has doubled twice (each doubling comes before the table
  // holds more entries than slots).
  int i = 0;
  for (uint64_t doublings = 1; doublings <= 2; ++doublings) {
    while (cache().stats().index_buckets < at_start.index_buckets << doublings) {
      ASSERT_LT(static_cast<uint64_t>(i), at_start.index_slots << doublings);
      must_set(testing::numbered("k", i++), "v");
    }
    const CacheStats grown = cache().stats();
    EXPECT_EQ(grown.index_growths, doublings);
    EXPECT_EQ(grown.index_buckets, at_start.index_buckets << doublings);
    EXPECT_EQ(grown.index_slots, grown.index_buckets * CuckooIndex::kSlotsPerBucket);
  }
}

TEST_F(CuckooCacheTest, FlagsOrADeadlineCostTheExtrasAndATouchAddsThem) {
  must_set("a", "v");
  EXPECT_EQ(cache().stats().bytes, Item::footprint(1, 1, false));
  must_set("b", "v", 3);
  must_set("c", "v", 0, 100);
  EXPECT_EQ(cache().stats().bytes, Item::footprint(1, 1, false) + 2 * Item::footprint(1, 1, true));
  const uint64_t total_items = cache().stats().total_items;
  EXPECT_TRUE(touch("a", 100));  // the item moves to a copy with room for the deadline
  const CacheStats stats = cache().stats();
  EXPECT_EQ(stats.bytes, 3 * Item::footprint(1, 1, true));
  EXPECT_EQ(stats.curr_items, 3u);
  EXPECT_EQ(stats.total_items, total_items);  // not a new version
  // An append keeps the extras of an item that has them, deadline or not, and adds none.
  EXPECT_TRUE(touch("a", 0));
  must_set("d", "v");
  EXPECT_EQ(store(StoreMode::kAppend, "a", "w").status, StoreStatus::kStored);
  EXPECT_EQ(store(StoreMode::kAppend, "c", "w").status, StoreStatus::kStored);
  EXPECT_EQ(store(StoreMode::kAppend, "d", "w").status, StoreStatus::kStored);
  EXPECT_EQ(cache().stats().bytes, 2 * Item::footprint(1, 2, true) + Item::footprint(1, 1, true) +
                                       Item::footprint(1, 2, false));
  EXPECT_EQ(value("a"), "vw");
  EXPECT_EQ(get("a")->exptime, 0u);
  EXPECT_GT(get("c")->exptime, 0u);
}

TEST_F(CuckooCacheTest, SmallMemoryLimitShrinksSegmentsAndCapsItems) {
  reset_with(size_t{1} << 20, size_t{1} << 20);
  EXPECT_EQ(cuckoo().segment_store().segment_size(), size_t{128} << 10);
  EXPECT_EQ(cuckoo().segment_store().segment_count(), SegmentStore::kMinSegments);
  const size_t max = cache().max_value_size(3);
  EXPECT_EQ(max, (size_t{128} << 10) - sizeof(Item) - Item::kExtrasSize - 3);
  EXPECT_EQ(set("big", std::string(max, 'x')).status, StoreStatus::kStored);
  EXPECT_EQ(set("big", std::string(max + 1, 'x')).status, StoreStatus::kTooLarge);
}

TEST_F(CuckooCacheTest, FullCacheEvictsInsteadOfRefusing) {
  reset_with(size_t{1} << 20, size_t{64} << 10);
  const std::string data(1000, 'v');
  for (int i = 0; i < 10'000; ++i) must_set(testing::numbered("k", i), data);
  const CacheStats stats = cache().stats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_EQ(stats.evicted_unfetched, stats.evictions);  // nothing was read
  EXPECT_LE(stats.bytes, size_t{1} << 20);
  EXPECT_EQ(value("k9999"), data);
  EXPECT_FALSE(get("k0").has_value());
  // append and incr allocate too, and evict as well.
  EXPECT_EQ(store(StoreMode::kAppend, "k9999", "!").status, StoreStatus::kStored);
  EXPECT_EQ(create("counter", 1, 7).value, 7u);
}

TEST_F(CuckooCacheTest, FlushedSegmentsAreReusedWithoutEvictingLiveItems) {
  reset_with(size_t{1} << 20, size_t{64} << 10);
  // Each immediate flush retires the worker's segment; 16 segments must serve 1000 flushes.
  for (int i = 0; i < 1000; ++i) {
    must_set("k", std::to_string(i));
    EXPECT_EQ(value("k"), std::to_string(i));
    flush_all();
    EXPECT_FALSE(get("k").has_value());
  }
  EXPECT_EQ(cache().stats().evictions, 0u);  // flushed items are reclaimed, not evicted
}

// Last access is kept in 16 bits relative to the item's segment (cache/access_stamp.h): a
// writer seals a segment before that loses precision, so a store time is always exact, and an
// item read long after its store rounds down by less than its tier's unit.
TEST_F(CuckooCacheTest, LastAccessStaysExactForStoresInOldSegments) {
  must_set("early", "v");
  advance(kExactSpan + 100);
  must_set("late", "v");
  EXPECT_EQ(get("late")->last_access, kStartTime + kExactSpan + 100);
  const auto early = get("early");
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->last_access, kStartTime);
  const Time recorded = get("early")->last_access;  // the read above, rounded to 16 s
  EXPECT_LE(recorded, now());
  EXPECT_GT(recorded + 16, now());
}

}  // namespace

}  // namespace cuckood::cache::testing
