// Cache::pin/unpin on CuckooCache: a pinned value's bytes stay intact while its key is
// overwritten, deleted, evicted and flushed many times over; after unpin the memory is reused;
// the cap makes pin refuse; readers pinning large values while writers churn a small cache
// always read back the bytes they pinned (run under TSan by scripts/sanitize.sh).
// LibcuckooCache pins nothing (its callers copy).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache/baseline/libcuckoo_cache.h"
#include "cache/cuckoo_cache.h"
#include "tests/cache/cache_fixture.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

using proto::StoreMode;
using proto::StoreStatus;
using testing::CommandThread;
using testing::kSanitized;
using testing::numbered;

constexpr size_t kLarge = 100 * 1024;

// A value that names its key and version in every 64-byte line, so that a reused segment is
// detected wherever it is overwritten.
std::string pattern(std::string_view key, uint64_t version, size_t size) {
  std::string line(key);
  line += '#';
  line += std::to_string(version);
  line.resize(64, '.');
  std::string value;
  value.reserve(size + 64);
  while (value.size() < size) value += line;
  value.resize(size);
  return value;
}

// Whether `value` is exactly pattern(key, v, size) for the version v its first line names.
bool is_pattern(std::string_view key, std::string_view value, size_t size) {
  const size_t hash = value.find('#');
  if (hash != key.size() || value.substr(0, key.size()) != key) return false;
  uint64_t version = 0;
  const char* first = value.data() + hash + 1;
  const char* last = value.data() + std::min<size_t>(value.size(), 64);
  const auto [end, ec] = std::from_chars(first, last, version);
  return ec == std::errc() && end != first && value == pattern(key, version, size);
}

class PinTest : public ::testing::Test {
 protected:
  void make(size_t memory_limit) {
    CacheConfig config;
    config.memory_limit = memory_limit;
    config.max_item_size = size_t{1} << 20;
    config.hash_seed = 7;
    thread_.reset();
    cache_ = std::make_unique<CuckooCache>(config);
    thread_ = std::make_unique<CommandThread>(*cache_);
  }
  bool set(const std::string& key, const std::string& value) {
    return thread_->store(StoreMode::kSet, key, value).status == StoreStatus::kStored;
  }
  // Pins the value of `key`: its view and token (empty on a miss or a refused pin).
  std::pair<std::string_view, PinToken> pin(const std::string& key) {
    std::pair<std::string_view, PinToken> result;
    cache_->read(thread_->ctx(), cache_->hash(key), [&](const ItemView& item) {
      result = {item.value, cache_->pin(thread_->ctx(), item.value)};
    });
    return result;
  }

  std::unique_ptr<CuckooCache> cache_;
  std::unique_ptr<CommandThread> thread_;
};

TEST_F(PinTest, PinnedBytesSurviveOverwriteDeleteEvictionAndFlush) {
  make(size_t{8} << 20);  // 8 segments of 1 MiB: a few MiB of writes recycle them all
  const std::string expected = pattern("k", 0, kLarge);
  ASSERT_TRUE(set("k", expected));
  const auto [view, token] = pin("k");
  ASSERT_TRUE(token);
  for (uint64_t round = 1; round <= 200; ++round) {
    ASSERT_TRUE(set("k", pattern("k", round, kLarge)));
    if (round % 3 == 0) thread_->remove("k");
    if (round % 50 == 0) thread_->flush_all();
    for (int i = 0; i < 4; ++i) set(numbered("other", round * 4 + i), pattern("o", round, kLarge));
    cache_->quiescent(thread_->ctx());
    cache_->reclaim_now();
  }
  EXPECT_EQ(view, expected);
  EXPECT_EQ(cache_->segment_store().parked_segments(), 1u);
  cache_->unpin(thread_->ctx(), token);
  EXPECT_EQ(cache_->segment_store().parked_segments(), 0u);
}

TEST_F(PinTest, StatsCountPinnedBytesUntilUnpinned) {
  make(size_t{8} << 20);
  ASSERT_TRUE(set("a", pattern("a", 0, kLarge)));
  ASSERT_TRUE(set("b", pattern("b", 0, kLarge + 1)));
  EXPECT_EQ(cache_->stats().pinned_bytes, 0u);
  const PinToken a = pin("a").second;
  const PinToken b = pin("b").second;
  const PinToken a_again = pin("a").second;
  ASSERT_TRUE(a && b && a_again);
  EXPECT_EQ(cache_->stats().pinned_bytes, 3 * kLarge + 1);
  cache_->unpin(thread_->ctx(), a);
  EXPECT_EQ(cache_->stats().pinned_bytes, 2 * kLarge + 1);
  cache_->unpin(thread_->ctx(), b);
  cache_->unpin(thread_->ctx(), a_again);
  EXPECT_EQ(cache_->stats().pinned_bytes, 0u);
}

TEST_F(PinTest, UnpinnedMemoryIsReused) {
  make(size_t{8} << 20);
  ASSERT_TRUE(set("k", pattern("k", 0, kLarge)));
  const auto [view, token] = pin("k");
  ASSERT_TRUE(token);
  const char* pinned = view.data();
  cache_->unpin(thread_->ctx(), token);
  // Writing several times the limit reuses every segment, the once-pinned one included.
  bool reused = false;
  for (uint64_t i = 0; i < 400 && !reused; ++i) {
    const std::string key = numbered("w", i);
    ASSERT_TRUE(set(key, pattern(key, i, kLarge)));
    cache_->read(thread_->ctx(), cache_->hash(key), [&](const ItemView& item) {
      reused =
          item.value.data() < pinned + kLarge && pinned < item.value.data() + item.value.size();
    });
    cache_->quiescent(thread_->ctx());
  }
  EXPECT_TRUE(reused);
  EXPECT_EQ(cache_->segment_store().parked_segments(), 0u);
}

TEST_F(PinTest, CapRefusesPinsBeyondIt) {
  make(size_t{64} << 20);  // 64 segments: one worker may pin min(8, 64 / 4) = 8 of them
  const size_t cap = SegmentStore::kMaxPinnedSegmentsPerWorker;
  // 900 KiB values: one item per 1 MiB segment, so every pin is a distinct segment.
  std::vector<PinToken> tokens;
  for (size_t i = 0; i < cap + 3; ++i) {
    const std::string key = numbered("big", i);
    ASSERT_TRUE(set(key, pattern(key, i, 900 * 1024)));
    const auto [view, token] = pin(key);
    if (i < cap) {
      EXPECT_TRUE(token) << i;
      tokens.push_back(token);
    } else {
      EXPECT_FALSE(token) << i;
    }
  }
  // A second pin of an already pinned segment is not a new segment: allowed.
  const auto [again_view, again] = pin("big0");
  EXPECT_TRUE(again);
  cache_->unpin(thread_->ctx(), again);
  cache_->unpin(thread_->ctx(), tokens.back());
  tokens.pop_back();
  EXPECT_TRUE(pin(numbered("big", cap + 1)).second);  // room again (left pinned: see below)
  for (PinToken t : tokens) cache_->unpin(thread_->ctx(), t);
  // The worker's context unpins what is left when it goes away.
}

TEST_F(PinTest, SmallCacheCapIsAQuarterOfTheSegments) {
  make(size_t{8} << 20);  // 8 segments: at most 2 pinned
  std::vector<PinToken> tokens;
  for (size_t i = 0; i < 4; ++i) {
    const std::string key = numbered("big", i);
    ASSERT_TRUE(set(key, pattern(key, i, 900 * 1024)));
    if (const PinToken t = pin(key).second) tokens.push_back(t);
  }
  EXPECT_EQ(tokens.size(), 2u);
  for (PinToken t : tokens) cache_->unpin(thread_->ctx(), t);
}

TEST(PinLibcuckooTest, PinsNothing) {
  CacheConfig config;
  LibcuckooCache cache(config);
  CommandThread thread(cache);
  const std::string value(kLarge, 'x');
  thread.store(StoreMode::kSet, "k", value);
  PinToken token{1};
  cache.read(thread.ctx(), cache.hash("k"),
             [&](const ItemView& item) { token = cache.pin(thread.ctx(), item.value); });
  EXPECT_FALSE(token);
}

// Readers pin large values and check them after churn; writers overwrite and delete the same
// keys in a cache a few segments large. Disjoint threads, same keys: every pinned value must
// still match the version read when it was pinned.
TEST_F(PinTest, ConcurrentReadersPinWhileWritersChurn) {
  make(size_t{32} << 20);  // 32 segments, 4 workers: 2 pinned segments each
  constexpr int kKeys = 16;
  const int writers = 2, readers = 2;
  const int rounds = kSanitized ? 300 : 3000;
  {
    CommandThread loader(*cache_);
    for (int k = 0; k < kKeys; ++k) {
      const std::string key = numbered("key", k);
      loader.store(StoreMode::kSet, key, pattern(key, 0, kLarge));
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> checked{0}, refused{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      CommandThread writer(*cache_);
      for (uint64_t v = 1; !stop.load(std::memory_order_relaxed); ++v) {
        const std::string key = numbered("key", (v * 7 + t) % kKeys);
        if (v % 5 == 0) {
          writer.remove(key);
        } else {
          writer.store(StoreMode::kSet, key, pattern(key, v, kLarge));
        }
        writer.quiescent();
      }
    });
  }
  std::atomic<int> readers_left{readers};
  for (int t = 0; t < readers; ++t) {
    threads.emplace_back([&, t] {
      auto ctx = cache_->register_worker();
      struct Held {
        std::string key;
        std::string_view view;
        PinToken token;
      };
      // Every byte and the length, when pinned and again when released.
      auto intact = [](const Held& h) { return is_pattern(h.key, h.view, kLarge); };
      std::vector<Held> held;
      for (int i = 0; i < rounds; ++i) {
        const std::string key = numbered("key", (i + t) % kKeys);
        cache_->read(*ctx, cache_->hash(key), [&](const ItemView& item) {
          const PinToken token = cache_->pin(*ctx, item.value);
          if (!token) {
            refused.fetch_add(1, std::memory_order_relaxed);
            return;
          }
          held.push_back({key, item.value, token});
          if (!intact(held.back())) bad.fetch_add(1, std::memory_order_relaxed);
        });
        // Hold a few pins across later operations, as a connection with a backlog would.
        while (held.size() > 3 || (!held.empty() && i % 7 == 0)) {
          Held& h = held.front();
          if (!intact(h)) bad.fetch_add(1, std::memory_order_relaxed);
          checked.fetch_add(1, std::memory_order_relaxed);
          cache_->unpin(*ctx, h.token);
          held.erase(held.begin());
        }
        cache_->quiescent(*ctx);
      }
      for (Held& h : held) {
        if (!intact(h)) bad.fetch_add(1, std::memory_order_relaxed);
        cache_->unpin(*ctx, h.token);
      }
      if (readers_left.fetch_sub(1) == 1) stop.store(true);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(checked.load(), 0u);
  EXPECT_EQ(cache_->segment_store().parked_segments(), 0u);
  std::printf("pins checked %llu, refused %llu\n", static_cast<unsigned long long>(checked.load()),
              static_cast<unsigned long long>(refused.load()));
}

}  // namespace
}  // namespace cuckood::cache
