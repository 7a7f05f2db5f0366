// CuckooCache's accounting for memcached's stats family: per size class figures, the index
// walk, the crawler, the memory limit moved at run time, and memory reuse before growth.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache/cuckoo_cache.h"
#include "cache/item.h"
#include "tests/cache/cache_fixture.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache::testing {

TEST(CacheStatsTotals, AddClassCountersSumsTheCumulativeFigures) {
  CacheStats totals;
  totals.evictions = 1;
  ClassStats c;
  c.evicted = 2;
  c.evicted_unfetched = 3;
  c.expired_unfetched = 4;
  c.reclaimed = 5;
  c.crawler_reclaimed = 6;
  c.crawler_items_checked = 7;
  c.items = 100;  // not a cumulative counter: left to the caller
  totals.add_class_counters(c);
  totals.add_class_counters(c);
  EXPECT_EQ(totals.evictions, 5u);
  EXPECT_EQ(totals.evicted_unfetched, 6u);
  EXPECT_EQ(totals.expired_unfetched, 8u);
  EXPECT_EQ(totals.reclaimed, 10u);
  EXPECT_EQ(totals.crawler_reclaimed, 12u);
  EXPECT_EQ(totals.crawler_items_checked, 14u);
  EXPECT_EQ(totals.curr_items, 0u);
}
namespace {

struct CuckooFactory {
  static std::unique_ptr<Cache> make(const CacheConfig& config) {
    return std::make_unique<CuckooCache>(config);
  }
};

// Classes of items up to 64, 256 and 4096 bytes in the store, the last taking anything larger.
const std::vector<uint32_t> kBounds = {64, 256, 4096};

class ClassStatsTest : public CacheFixture<CuckooFactory> {
 protected:
  ClassStatsTest() { reset_with(size_t{4} << 20, size_t{64} << 10); }
  CuckooCache& cuckoo() { return static_cast<CuckooCache&>(cache()); }
  void reset_with(size_t memory_limit, size_t max_item_size, size_t reserve = 0) {
    CacheConfig config;
    config.memory_limit = memory_limit;
    config.max_item_size = max_item_size;
    config.size_classes = kBounds;
    config.memory_reserve = reserve;
    reset(config);
  }
  std::set<std::string> walk_keys(size_t budget) {
    std::set<std::string> keys;
    WalkCursor cursor;
    while (!cursor.done) {
      cache().walk(ctx(), cursor, budget, [&](const ItemView& item, const WalkedItem& info) {
        EXPECT_TRUE(keys.insert(std::string(item.key)).second) << item.key;
        EXPECT_EQ(info.size, Item::footprint(item.key.size(), item.value.size(),
                                             Item::needs_extras(item.flags, item.exptime)));
      });
    }
    return keys;
  }
  void wait_for_crawl() {
    for (int i = 0; i < 500 && cache().crawling(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(cache().crawling());
  }
};

TEST_F(ClassStatsTest, ItemsAndBytesByClass) {
  must_set("a", "x");                      // 16 + 1 + 1 -> 24: class 0
  must_set("b", std::string(100, 'v'));    // 128: class 1
  must_set("c", std::string(1000, 'v'));   // class 2
  must_set("d", std::string(10000, 'v'));  // beyond the last bound: class 2
  const CacheStats stats = cache().stats();
  ASSERT_EQ(stats.classes.size(), 3u);
  EXPECT_EQ(stats.classes[0].items, 1u);
  EXPECT_EQ(stats.classes[0].bytes, Item::footprint(1, 1, false));
  EXPECT_EQ(stats.classes[1].items, 1u);
  EXPECT_EQ(stats.classes[2].items, 2u);
  EXPECT_EQ(stats.curr_items, 4u);
  EXPECT_EQ(stats.bytes, Item::footprint(1, 1, false) + Item::footprint(1, 100, false) +
                             Item::footprint(1, 1000, false) + Item::footprint(1, 10000, false));
  EXPECT_EQ(stats.classes[0].units, 1u);  // one segment holds each class
  EXPECT_EQ(stats.classes[0].oldest, now());
  EXPECT_EQ(stats.malloced, stats.bytes);  // written bytes, nothing dead yet
  EXPECT_EQ(remove("b"), DeleteStatus::kDeleted);
  EXPECT_EQ(cache().stats().classes[1].items, 0u);
  EXPECT_EQ(cache().stats().classes[1].units, 1u);  // the segment still holds its bytes
}

TEST_F(ClassStatsTest, ExpiredAndFlushedItemsFoundAreCountedByCause) {
  set("e", "1", 0, 10);
  set("f", "1");
  advance(20);
  EXPECT_FALSE(get("e"));
  flush_all();
  EXPECT_FALSE(get("f"));
  const CacheStats stats = cache().stats();
  EXPECT_EQ(stats.found_expired, 1u);
  EXPECT_EQ(stats.found_flushed, 1u);
  EXPECT_EQ(stats.classes[0].reclaimed, 2u);
  EXPECT_EQ(stats.classes[0].expired_unfetched, 1u);
}

TEST_F(ClassStatsTest, EvictionsAreCountedByClassWithTheirDeadlines) {
  reset_with(size_t{1} << 20, size_t{64} << 10);
  const std::string value(200, 'v');  // class 1
  for (int i = 0; i < 20'000; ++i) set(numbered("k", i), value, 0, i % 2 == 0 ? 0 : 3600);
  const CacheStats stats = cache().stats();
  EXPECT_GT(stats.classes[1].evicted, 0u);
  EXPECT_GT(stats.classes[1].evicted_nonzero, 0u);
  EXPECT_LT(stats.classes[1].evicted_nonzero, stats.classes[1].evicted);
  EXPECT_EQ(stats.classes[1].evicted_unfetched, stats.classes[1].evicted);
  EXPECT_EQ(stats.classes[0].evicted, 0u);
  EXPECT_EQ(stats.evictions, stats.classes[1].evicted);
}

TEST_F(ClassStatsTest, WalkVisitsEveryLiveItemOnce) {
  std::set<std::string> expected;
  for (int i = 0; i < 3000; ++i) {
    must_set(numbered("key", i), "v");
    expected.insert(numbered("key", i));
  }
  set("gone", "v", 0, 5);
  advance(10);
  EXPECT_EQ(walk_keys(3), expected);  // a few buckets per step: many steps
  EXPECT_EQ(walk_keys(1 << 20), expected);
}

TEST_F(ClassStatsTest, WalkSurvivesIndexGrowthBetweenSteps) {
  for (int i = 0; i < 100; ++i) must_set(numbered("old", i), "v");
  std::set<std::string> seen;
  WalkCursor cursor;
  const size_t buckets_before = cuckoo().index().bucket_count();
  int added = 0;
  while (!cursor.done) {
    cache().walk(ctx(), cursor, 1, [&](const ItemView& item, const WalkedItem&) {
      seen.insert(std::string(item.key));
    });
    // Enough new keys meanwhile to make the table double.
    for (int i = 0; i < 50 && cuckoo().index().bucket_count() == buckets_before; ++i) {
      must_set(numbered("new", added++), "v");
    }
  }
  EXPECT_GT(cuckoo().index().bucket_count(), buckets_before);
  // The walk goes on over the doubled table to its end; the cuckoo moves of the inserts made
  // meanwhile may carry an old key across the walk's position (the documented exception).
  size_t old_seen = 0;
  for (int i = 0; i < 100; ++i) old_seen += seen.count(numbered("old", i));
  EXPECT_GE(old_seen, 90u);
}

TEST_F(ClassStatsTest, CrawlReclaimsTheDeadItemsOfItsClasses) {
  for (int i = 0; i < 30; ++i) {
    set(numbered("short", i), "v", 0, 1);                  // class 0
    set(numbered("big", i), std::string(100, 'v'), 0, 1);  // class 1
    must_set(numbered("keep", i), "v");
  }
  advance(5);
  ASSERT_TRUE(cache().start_crawl(uint64_t{1}));  // class 0 only
  wait_for_crawl();
  CacheStats stats = cache().stats();
  EXPECT_EQ(stats.classes[0].crawler_reclaimed, 30u);
  EXPECT_EQ(stats.classes[0].crawler_items_checked, 60u);
  EXPECT_EQ(stats.classes[0].items, 30u);
  EXPECT_EQ(stats.classes[0].expired_unfetched, 30u);
  EXPECT_EQ(stats.classes[0].reclaimed, 0u);  // memcached counts a crawl apart
  EXPECT_EQ(stats.classes[1].items, 30u);     // not crawled
  ASSERT_TRUE(cache().start_crawl(~uint64_t{0}));
  wait_for_crawl();
  stats = cache().stats();
  EXPECT_EQ(stats.classes[1].crawler_reclaimed, 30u);
  EXPECT_EQ(stats.curr_items, 30u);
  EXPECT_EQ(stats.crawler_reclaimed, 60u);
}

TEST_F(ClassStatsTest, ACrawlInTheCallerIsDoneWhenStartCrawlReturns) {
  CacheConfig config;
  config.size_classes = kBounds;
  config.crawl_in_caller = true;
  reset(config);
  for (int i = 0; i < 30; ++i) {
    set(numbered("short", i), "v", 0, 1);
    must_set(numbered("keep", i), "v");
  }
  advance(5);
  ASSERT_TRUE(cache().start_crawl(~uint64_t{0}));
  EXPECT_FALSE(cache().crawling());
  const CacheStats stats = cache().stats();
  EXPECT_EQ(stats.crawler_reclaimed, 30u);
  EXPECT_EQ(stats.crawler_items_checked, 60u);
  EXPECT_EQ(stats.curr_items, 30u);
  ASSERT_TRUE(cache().start_crawl(~uint64_t{0}));  // never busy: the last one is done
}

TEST_F(ClassStatsTest, CancelFlushKeepsWhatAPendingFlushWouldHaveKilled) {
  must_set("a", "1");
  flush_all(10);
  cache().cancel_flush(ctx());
  advance(20);
  EXPECT_TRUE(get("a"));
  flush_all();
  cache().cancel_flush(ctx());  // one in force stays
  EXPECT_FALSE(get("a"));
}

TEST_F(ClassStatsTest, MemoryLimitGrowsWithinTheReservation) {
  reset_with(size_t{2} << 20, size_t{64} << 10, size_t{64} << 20);
  const size_t segment = cuckoo().segment_store().segment_size();
  const std::string value(1000, 'v');
  for (int i = 0; i < 5000; ++i) must_set(numbered("k", i), value);
  const uint64_t evicted = cache().stats().evictions;
  EXPECT_GT(evicted, 0u);
  EXPECT_LE(cache().stats().malloced, size_t{2} << 20);
  ASSERT_TRUE(cache().set_memory_limit(ctx(), size_t{8} << 20));
  EXPECT_EQ(cache().stats().limit_maxbytes, size_t{8} << 20);
  for (int i = 0; i < 3000; ++i) must_set(numbered("more", i), value);
  const CacheStats stats = cache().stats();
  EXPECT_EQ(stats.evictions, evicted);  // room enough now
  EXPECT_GT(stats.malloced, size_t{2} << 20);
  EXPECT_LE(stats.malloced, size_t{8} << 20);
  EXPECT_FALSE(cache().set_memory_limit(ctx(), size_t{1} << 30));  // beyond the reservation
  EXPECT_FALSE(cache().set_memory_limit(ctx(), segment));          // too few segments
}

TEST_F(ClassStatsTest, LoweringTheLimitEvictsAndGivesMemoryBack) {
  reset_with(size_t{8} << 20, size_t{64} << 10, size_t{8} << 20);
  const std::string value(1000, 'v');
  for (int i = 0; i < 7000; ++i) must_set(numbered("k", i), value);
  EXPECT_EQ(cache().stats().evictions, 0u);
  ASSERT_TRUE(cache().set_memory_limit(ctx(), size_t{2} << 20));
  advance(1);  // a worker's turn: the evicted segments' grace periods end
  cuckoo().reclaim_now();
  const CacheStats stats = cache().stats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_LE(stats.malloced, size_t{2} << 20);
  EXPECT_LE(stats.bytes, size_t{2} << 20);
  for (int i = 0; i < 7000; ++i) must_set(numbered("again", i), value);
  EXPECT_LE(cache().stats().malloced, size_t{2} << 20);
}

TEST_F(ClassStatsTest, ExpiredSegmentsAreReusedBeforeNewMemory) {
  reset_with(size_t{64} << 20, size_t{1} << 20);
  const std::string value(60'000, 'v');
  const uint64_t item = Item::footprint(3, value.size(), true);  // with a deadline
  for (int i = 0; i < 10; ++i) set(numbered("k", i), value, 0, 2);
  EXPECT_EQ(cache().stats().malloced, 10 * item);
  for (int round = 1; round <= 3; ++round) {
    advance(4);
    for (int i = 0; i < 30; ++i) set(numbered("k", round * 100 + i), value, 0, 2);
  }
  // Every segment whose items had all expired was swept and written again: memory in use is
  // the last round's items, give or take the segment a grace period may have kept back.
  EXPECT_LE(cache().stats().malloced, 30 * item + cuckoo().segment_store().segment_size());
  EXPECT_GE(cache().stats().malloced, 30 * item);
}

}  // namespace
}  // namespace cuckood::cache::testing
