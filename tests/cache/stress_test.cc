// Checked multi-threaded stress of CuckooCache beyond the conformance suite: readers racing
// eviction and segment reuse never see a torn or foreign value; readers never miss a present
// key while writers grow the index; concurrent appends and incrs lose no update. Run under
// TSan and ASan by scripts/sanitize.sh.
#include <gtest/gtest.h>

#include <atomic>
#include <charconv>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cache/cuckoo_cache.h"
#include "tests/cache/cache_fixture.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

using proto::ArithStatus;
using proto::StoreMode;
using proto::StoreStatus;
using testing::CommandThread;

CacheConfig config_with(size_t memory_limit, size_t max_item_size) {
  CacheConfig config;
  config.memory_limit = memory_limit;
  config.max_item_size = max_item_size;
  config.hash_seed = 5;
  return config;  // the wall clock: no thread changes it
}

// A value that names its key and version in every byte range, so a reader detects memory that
// was reused under it.
std::string value_of(int key, uint64_t version, size_t size) {
  std::string value = std::to_string(key) + testing::numbered("/", version) + "|";
  while (value.size() < size) value += value;
  value.resize(size);
  return value;
}

size_t size_of_version(uint64_t version) {
  return 100 + (version % 13) * 40;
}

// Every byte and the length: the value must be exactly what the writer of the version its
// prefix names stored.
bool value_is_consistent(int key, std::string_view value) {
  const std::string prefix = std::to_string(key) + "/";
  if (value.substr(0, prefix.size()) != prefix) return false;
  const size_t bar = value.find('|');
  if (bar == std::string_view::npos) return false;
  uint64_t version = 0;
  const std::string_view digits = value.substr(prefix.size(), bar - prefix.size());
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  return value.size() == size_of_version(version) &&
         value == value_of(key, version, size_of_version(version));
}

TEST(CuckooStressTest, ReadersRacingEvictionSeeOnlyConsistentValues) {
  CuckooCache cache(config_with(size_t{2} << 20, size_t{64} << 10));
  const int rounds = testing::kSanitized ? 5'000 : 50'000;
  constexpr int kKeys = 20'000;  // ~7 MB of live values: far more than fits
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<uint64_t> hits{0};
  auto writer = [&](int id) {
    CommandThread thread(cache);
    for (int i = 0; i < rounds; ++i) {
      const int key = (i * 7 + id) % kKeys;
      const auto version = static_cast<uint64_t>(i);
      const std::string value = value_of(key, version, size_of_version(version));
      const std::string name = testing::numbered("key", key);
      thread.store(StoreMode::kSet, name, value);
      if (i % 64 == 0) thread.quiescent();
    }
  };
  auto reader = [&] {
    auto ctx = cache.register_worker();
    uint64_t n = 0;
    for (int i = 0; !done.load(std::memory_order_relaxed); ++i) {
      const int key = i % kKeys;
      const std::string name = testing::numbered("key", key);
      cache.read(*ctx, cache.hash(name), [&](const ItemView& item) {
        ++n;
        if (item.key != name || !value_is_consistent(key, item.value)) torn.fetch_add(1);
      });
      if (i % 64 == 0) cache.quiescent(*ctx);
    }
    hits.fetch_add(n);
  };
  std::thread r1(reader), r2(reader);
  std::thread w1(writer, 0), w2(writer, 1);
  w1.join();
  w2.join();
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(hits.load(), 0u);
  EXPECT_GT(cache.stats().evictions, 0u);
  EXPECT_LE(cache.stats().bytes, size_t{2} << 20);
}

TEST(CuckooStressTest, ReadersNeverMissPresentKeysWhileTheIndexGrows) {
  // The index starts at 1024 buckets (hashpower 13), so that even the sanitizers' 30,000
  // inserts make it double; the items (~15 MB at most) never evict in 64 MiB.
  CacheConfig config = config_with(size_t{64} << 20, size_t{64} << 10);
  config.hashpower = 13;
  CuckooCache cache(config);
  constexpr int kPresent = 1000;
  const int inserts = testing::kSanitized ? 30'000 : 300'000;
  {
    CommandThread thread(cache);
    for (int i = 0; i < kPresent; ++i) {
      thread.store(StoreMode::kSet, testing::numbered("present", i), "here");
    }
  }
  const size_t buckets_before = cache.index().bucket_count();
  std::atomic<bool> done{false};
  std::atomic<int> misses{0};
  auto reader = [&] {
    auto ctx = cache.register_worker();
    for (int i = 0; !done.load(std::memory_order_relaxed); ++i) {
      const std::string name = testing::numbered("present", i % kPresent);
      const bool hit = cache.read(*ctx, cache.hash(name), [&](const ItemView& item) {
        if (item.value != "here" || item.key != name) misses.fetch_add(1);
      });
      if (!hit) misses.fetch_add(1);
      if (i % 64 == 0) cache.quiescent(*ctx);
    }
  };
  auto writer = [&](int id) {
    CommandThread thread(cache);
    for (int i = 0; i < inserts / 2; ++i) {
      thread.store(StoreMode::kSet, testing::numbered("grow", id) + testing::numbered(":", i), "x");
      // Rewrite a present key now and then: it must stay visible across the swap.
      if (i % 16 == 0) {
        thread.store(StoreMode::kSet, testing::numbered("present", i % kPresent), "here");
      }
      if (i % 64 == 0) thread.quiescent();
    }
  };
  std::thread r1(reader), r2(reader);
  std::thread w1(writer, 0), w2(writer, 1);
  w1.join();
  w2.join();
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(misses.load(), 0);
  EXPECT_GT(cache.index().bucket_count(), buckets_before);
  EXPECT_EQ(cache.stats().evictions, 0u);
}

TEST(CuckooStressTest, ConcurrentAppendsAndIncrsLoseNothing) {
  CuckooCache cache(config_with(size_t{64} << 20, size_t{1} << 20));
  const int per_thread = testing::kSanitized ? 500 : 3000;
  constexpr int kThreads = 4;
  {
    CommandThread thread(cache);
    thread.store(StoreMode::kSet, "log", "");
    thread.store(StoreMode::kSet, "count", "0");
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      CommandThread thread(cache);
      const std::string mark(1, static_cast<char>('a' + t));
      for (int i = 0; i < per_thread; ++i) {
        const StoreMode mode = t % 2 ? StoreMode::kAppend : StoreMode::kPrepend;
        EXPECT_EQ(thread.store(mode, "log", mark).status, StoreStatus::kStored);
        EXPECT_EQ(thread.arith("count", 1, true).status, ArithStatus::kOk);
        if (i % 32 == 0) thread.quiescent();
      }
    });
  }
  for (auto& t : threads) t.join();
  CommandThread thread(cache);
  const std::string log = thread.get("log").value_or(testing::Got{}).value;
  const std::string count = thread.get("count").value_or(testing::Got{}).value;
  EXPECT_EQ(count, std::to_string(kThreads * per_thread));
  ASSERT_EQ(log.size(), static_cast<size_t>(kThreads * per_thread));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(std::count(log.begin(), log.end(), static_cast<char>('a' + t)), per_thread);
  }
}

}  // namespace
}  // namespace cuckood::cache
