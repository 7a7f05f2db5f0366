// CuckooCache without eviction (CacheConfig::evict false, memcached's -M): a full cache refuses
// a store (kNoMemory) and keeps every live item, yet still takes back what memcached -M takes
// back — expired and flushed items — and, by compaction, the bytes of deleted and replaced
// items. Readers never miss an item that compaction moves.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cache/cuckoo_cache.h"
#include "cache/expiry.h"
#include "cache/key_hasher.h"
#include "tests/cache/cache_fixture.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

using proto::StoreMode;
using proto::StoreStatus;
using testing::numbered;

constexpr size_t kLimit = size_t{8} << 20;
constexpr size_t kMaxItem = size_t{64} << 10;  // 64 KiB segments: 128 of them
constexpr size_t kValueSize = 1000;

class NoEvictionTest : public ::testing::Test {
 protected:
  NoEvictionTest() {
    CacheConfig config;
    config.memory_limit = kLimit;
    config.max_item_size = kMaxItem;
    config.clock = [this] { return now_.load(std::memory_order_relaxed); };
    config.hash_seed = 7;
    config.evict = false;
    cache_ = std::make_unique<CuckooCache>(config);
    thread_ = std::make_unique<testing::CommandThread>(*cache_);
  }

  static std::string value_for(const std::string& key) {
    std::string value(kValueSize, '.');
    value.replace(0, key.size(), key);
    return value;
  }
  StoreStatus set(const std::string& key, int64_t exptime = 0) {
    return thread_->store(StoreMode::kSet, key, value_for(key), 0, exptime).status;
  }
  // Stores prefix0, prefix1, ... until the cache refuses one; returns how many it took.
  size_t fill(const std::string& prefix, int64_t exptime = 0) {
    for (size_t i = 0;; ++i) {
      const StoreStatus status = set(numbered(prefix, i), exptime);
      if (status != StoreStatus::kStored) {
        EXPECT_EQ(status, StoreStatus::kNoMemory);
        return i;
      }
      if (i % 1024 == 0) thread_->quiescent();
    }
  }
  // prefix<first>, prefix<first + step>, ... below prefix<n> are there with their values.
  void expect_all(const std::string& prefix, size_t n, size_t first = 0, size_t step = 1) {
    for (size_t i = first; i < n; i += step) {
      const std::string key = numbered(prefix, i);
      const auto got = thread_->get(key);
      ASSERT_TRUE(got.has_value()) << key;
      ASSERT_EQ(got->value, value_for(key));
    }
  }
  void advance(Time seconds) {
    now_ += seconds;
    thread_->quiescent();
  }

  std::atomic<Time> now_{testing::kStartTime};
  std::unique_ptr<CuckooCache> cache_;
  std::unique_ptr<testing::CommandThread> thread_;
};

TEST_F(NoEvictionTest, AFullCacheRefusesAndKeepsEveryItem) {
  const size_t stored = fill("k");
  const size_t segments = cache_->segment_store().segment_count();
  // Without eviction every item has room for flags and a deadline.
  const size_t per_segment =
      cache_->segment_store().segment_size() / Item::footprint(6, kValueSize, true);
  // All but the survivor reserve and the writer's partly filled segment.
  EXPECT_GE(stored, (segments - 2) * per_segment);
  EXPECT_EQ(set("another"), StoreStatus::kNoMemory);
  EXPECT_EQ(thread_->store(StoreMode::kAdd, "another", "x").status, StoreStatus::kNoMemory);
  const CacheStats stats = cache_->stats();
  EXPECT_EQ(stats.evictions, 0u);
  EXPECT_EQ(stats.curr_items, stored);
  expect_all("k", stored);
  // A touch needs no memory, full or not: the items stored without a deadline have room for one.
  EXPECT_TRUE(thread_->touch(testing::numbered("k", 0), 100));
  EXPECT_EQ(cache_->stats().bytes, stats.bytes);
}

TEST_F(NoEvictionTest, ExpiredItemsAreReclaimed) {
  const size_t stored = fill("e", 10);
  advance(11);
  // memcached -M reclaims expired items before it refuses: so do we, without the reclaimer.
  const size_t again = fill("k");
  EXPECT_GE(again, stored * 9 / 10);
  EXPECT_EQ(cache_->stats().evictions, 0u);
  EXPECT_GE(cache_->stats().reclaimed, stored * 9 / 10);
  expect_all("k", again);
}

TEST_F(NoEvictionTest, ALiveItemKeepsItsSegmentWhateverTheDeadlineHint) {
  const size_t stored = fill("e", 10);
  // A deadline moved on without its segment's hint: what a touch landing between the hint's
  // update and a sweep's look at it, or on a copy compaction relinks, leaves behind.
  const std::string kept = numbered("e", stored / 2);
  Item* item = cache_->index().find(KeyHasher{7}.hashed(kept));
  ASSERT_NE(item, nullptr);
  item->set_exptime(now_.load() + 1000);
  advance(11);
  const size_t again = fill("k");
  EXPECT_GE(again, stored * 9 / 10);
  expect_all("e", stored / 2 + 1, stored / 2);  // its segment was not reused under it
  expect_all("k", again);
}

TEST_F(NoEvictionTest, FlushedItemsAreReclaimed) {
  const size_t stored = fill("f");
  thread_->flush_all();
  const size_t again = fill("k");
  EXPECT_GE(again, stored * 9 / 10);
  EXPECT_EQ(cache_->stats().evictions, 0u);
  expect_all("k", again);
}

TEST_F(NoEvictionTest, CompactionReusesTheBytesOfDeletedItems) {
  const size_t stored = fill("k");
  // Every other item deleted: each segment is half dead, none wholly.
  for (size_t i = 0; i < stored; i += 2) {
    ASSERT_EQ(thread_->remove(numbered("k", i)), proto::DeleteStatus::kDeleted);
  }
  thread_->quiescent();
  const size_t again = fill("n");
  EXPECT_GE(again, stored / 2 * 8 / 10);
  EXPECT_GT(cache_->segment_store().counters().compacted.load(), 0u);
  EXPECT_EQ(cache_->stats().evictions, 0u);
  expect_all("k", stored, 1, 2);
}

TEST_F(NoEvictionTest, ReplacedItemsMakeRoomForTheirSuccessors) {
  const size_t stored = fill("k");
  // A full cache cannot take even a replacement (a new item is written before the old one
  // dies); once some are deleted, replacing every survivor over and over keeps working.
  for (size_t i = 0; i < stored; i += 4) thread_->remove(numbered("k", i));
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 1; i < stored; i += 4) ASSERT_EQ(set(numbered("k", i)), StoreStatus::kStored);
    thread_->quiescent();
  }
  EXPECT_EQ(cache_->stats().evictions, 0u);
  for (size_t i = 0; i < stored; ++i) {
    const auto got = thread_->get(numbered("k", i));
    ASSERT_EQ(got.has_value(), i % 4 != 0) << i;
    if (got) {
      ASSERT_EQ(got->value, value_for(numbered("k", i)));
    }
  }
}

TEST_F(NoEvictionTest, ReadersNeverMissAnItemThatCompactionMoves) {
  // A writer churns a full cache (delete some, store others: compaction on every refill)
  // while a reader checks that a fixed set of items is always there, intact.
  const size_t kept = 500;
  for (size_t i = 0; i < kept; ++i) ASSERT_EQ(set(numbered("keep", i)), StoreStatus::kStored);
  const size_t churn = fill("c");
  std::atomic<bool> stop{false};
  std::atomic<size_t> misses{0}, reads{0};
  std::thread reader([&] {
    testing::CommandThread t(*cache_);
    while (!stop.load(std::memory_order_relaxed)) {
      for (size_t i = 0; i < kept; ++i) {
        const std::string key = numbered("keep", i);
        const auto got = t.get(key);
        if (!got || got->value != value_for(key)) misses.fetch_add(1);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
      t.quiescent();
    }
  });
  const int rounds = testing::kSanitized ? 3 : 20;
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = round % 2; i < churn; i += 2) thread_->remove(numbered("c", i));
    for (size_t i = round % 2; i < churn; i += 2) set(numbered("c", i));
    thread_->quiescent();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(misses.load(), 0u) << "of " << reads.load() << " reads";
  EXPECT_GT(cache_->segment_store().counters().compacted.load(), 0u);
  EXPECT_EQ(cache_->stats().evictions, 0u);
  expect_all("keep", kept);
}

}  // namespace
}  // namespace cuckood::cache
