// CuckooIndex: single-threaded semantics, growth, and the concurrency promise that matters —
// a reader never misses a key that is present, while cuckoo moves and table growth run.
// The growth test also measures the worst lookup latency while the table doubles.
#include "cache/cuckoo_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache/key_hasher.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

using Decision = CuckooIndex::Decision;

class CuckooIndexTest : public ::testing::Test {
 protected:
  // Growth rehashes every key through this hook: it notes whether the index said so meanwhile.
  CuckooIndexTest()
      : index_(
            [this](std::string_view k) {
              rehashed_while_growing_ = rehashed_while_growing_ || index_.growing();
              return hasher_(k);
            },
            epoch_) {}

  HashedKey key(const std::string& k) const { return hasher_.hashed(k); }
  Item* make(const std::string& k, const std::string& v = "v") { return items_.make(k, v); }
  // Links `item` under its key unconditionally; returns the previous item.
  Item* put(Item* item) {
    EpochGuard guard(epoch_, *participant_);
    return index_.update(key(std::string(item->key())), [&](Item*) { return Decision::put(item); })
        .previous;
  }
  Item* find(const std::string& k) {
    EpochGuard guard(epoch_, *participant_);
    return index_.find(key(k));
  }

  KeyHasher hasher_{7};
  EpochDomain epoch_;
  CuckooIndex index_;
  EpochParticipant* participant_ = epoch_.register_participant();
  testing::ItemArena items_;
  bool rehashed_while_growing_ = false;
};

TEST_F(CuckooIndexTest, PutFindReplaceErase) {
  EXPECT_EQ(find("a"), nullptr);
  Item* a1 = make("a", "1");
  EXPECT_EQ(put(a1), nullptr);
  EXPECT_EQ(find("a"), a1);
  Item* a2 = make("a", "2");
  EXPECT_EQ(put(a2), a1);
  EXPECT_EQ(find("a"), a2);
  EXPECT_EQ(index_.count_slow(), 1u);
  {
    EpochGuard guard(epoch_, *participant_);
    EXPECT_FALSE(index_.unlink(a1, [] { return true; }));   // no longer linked
    EXPECT_FALSE(index_.unlink(a2, [] { return false; }));  // condition refuses
    EXPECT_TRUE(index_.unlink(a2, [] { return true; }));
  }
  EXPECT_EQ(find("a"), nullptr);
  EXPECT_EQ(index_.count_slow(), 0u);
}

TEST_F(CuckooIndexTest, KeepLeavesTheSlotAndRelinkSwapsACopy) {
  Item* a = make("a", "1");
  put(a);
  EpochGuard guard(epoch_, *participant_);
  const auto result = index_.update(key("a"), [&](Item* current) {
    EXPECT_EQ(current, a);
    return Decision::keep();
  });
  EXPECT_FALSE(result.changed);
  Item* copy = make("a", "1");
  a->set_exptime(99);
  EXPECT_TRUE(index_.relink(a, copy));
  EXPECT_EQ(index_.find(key("a")), copy);
  EXPECT_EQ(copy->exptime(), 99u);  // the copy took the linked item's deadline
  EXPECT_FALSE(index_.relink(a, make("a", "1")));
}

TEST_F(CuckooIndexTest, GrowsFromSmallAndKeepsEveryKey) {
  const size_t initial = index_.bucket_count();
  const int n = static_cast<int>(initial * CuckooIndex::kSlotsPerBucket * 3);
  for (int i = 0; i < n; ++i) put(make(testing::numbered("key", i)));
  EXPECT_GT(index_.bucket_count(), initial);
  EXPECT_EQ(index_.count_slow(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_NE(find(testing::numbered("key", i)), nullptr) << i;
  // Retired tables are freed once no reader can hold them.
  epoch_.reclaim();
  EXPECT_EQ(epoch_.pending(), 0u);
}

TEST_F(CuckooIndexTest, GrowingOnlyWhileTheTableDoubles) {
  EXPECT_FALSE(index_.growing());
  const size_t initial = index_.bucket_count();
  const int n = static_cast<int>(initial * CuckooIndex::kSlotsPerBucket * 2);
  for (int i = 0; i < n; ++i) put(make(testing::numbered("key", i)));
  ASSERT_GT(index_.bucket_count(), initial);
  EXPECT_TRUE(rehashed_while_growing_);
  EXPECT_FALSE(index_.growing());
}

TEST_F(CuckooIndexTest, LoadFactorBeforeGrowthIsHigh) {
  // With 8-slot buckets and BFS paths, the table fills well before it has to double.
  const size_t slots = index_.bucket_count() * CuckooIndex::kSlotsPerBucket;
  size_t inserted = 0;
  while (index_.bucket_count() * CuckooIndex::kSlotsPerBucket == slots) {
    put(make(testing::numbered("fill", inserted++)));
  }
  const double load = static_cast<double>(inserted - 1) / static_cast<double>(slots);
  std::printf("[ metric ] load factor at first growth: %.3f\n", load);
  EXPECT_GT(load, 0.90);
}

// Readers look up a fixed set of present keys while a writer inserts and erases others,
// forcing cuckoo moves and several doublings. A present key must never be missed.
TEST_F(CuckooIndexTest, ReadersNeverMissAPresentKeyDuringMovesAndGrowth) {
  constexpr int kPresent = 2000;
  const int churn = testing::kSanitized ? 20'000 : 200'000;
  for (int i = 0; i < kPresent; ++i) put(make(testing::numbered("present", i)));
  std::vector<Item*> churn_items;
  churn_items.reserve(churn);
  for (int i = 0; i < churn; ++i) churn_items.push_back(make(testing::numbered("churn", i)));

  using Clock = std::chrono::steady_clock;
  struct Span {
    Clock::time_point start, end;
  };
  std::atomic<bool> done{false};
  std::atomic<uint64_t> misses{0}, lookups{0};
  std::mutex slow_mutex;
  std::vector<Span> slow_lookups;  // lookups over 20 us, to match against growth windows
  auto reader = [&] {
    EpochParticipant* me = epoch_.register_participant();
    std::vector<HashedKey> keys;
    std::vector<std::string> names;
    for (int i = 0; i < kPresent; ++i) names.push_back(testing::numbered("present", i));
    for (const auto& name : names) keys.push_back(key(name));
    std::vector<Span> slow;
    uint64_t n = 0;
    for (size_t i = 0; !done.load(std::memory_order_relaxed); i = (i + 1) % keys.size()) {
      const auto start = Clock::now();
      bool hit;
      {
        EpochGuard guard(epoch_, *me);
        hit = index_.find(keys[i]) != nullptr;
      }
      const auto end = Clock::now();
      if (end - start > std::chrono::microseconds(20)) slow.push_back({start, end});
      ++n;
      if (!hit) misses.fetch_add(1, std::memory_order_relaxed);
    }
    lookups.fetch_add(n);
    std::lock_guard lock(slow_mutex);
    slow_lookups.insert(slow_lookups.end(), slow.begin(), slow.end());
    epoch_.unregister_participant(me);
  };
  std::thread r1(reader), r2(reader);
  const size_t before = index_.bucket_count();
  std::vector<Span> growths;
  for (int i = 0; i < churn; ++i) {
    const size_t buckets = index_.bucket_count();
    const auto start = Clock::now();
    put(churn_items[static_cast<size_t>(i)]);
    if (index_.bucket_count() != buckets) growths.push_back({start, Clock::now()});
    if (i % 3 == 0 && i > 0) {  // erase some, so that buckets churn and moves keep happening
      EpochGuard guard(epoch_, *participant_);
      Item* victim = churn_items[static_cast<size_t>(i - 1)];
      index_.unlink(victim, [] { return true; });
    }
    if (i % 1024 == 0) epoch_.reclaim();
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(misses.load(), 0u);
  EXPECT_GT(index_.bucket_count(), before);
  // On a shared 2-core machine a slow lookup is usually a preemption; comparing lookups that
  // overlapped a growth with those that did not separates the two.
  auto us = [](Clock::duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) /
           1e3;
  };
  double worst_during = 0, worst_outside = 0, worst_growth = 0;
  size_t slow_during = 0;
  for (const Span& g : growths) worst_growth = std::max(worst_growth, us(g.end - g.start));
  for (const Span& l : slow_lookups) {
    const bool overlaps = std::any_of(growths.begin(), growths.end(), [&](const Span& g) {
      return l.start < g.end && g.start < l.end;
    });
    double& worst = overlaps ? worst_during : worst_outside;
    worst = std::max(worst, us(l.end - l.start));
    slow_during += overlaps;
  }
  std::printf(
      "[ metric ] %zu -> %zu buckets in %zu doublings (longest %.1f ms, writers wait); %llu "
      "lookups; lookups > 20 us: %zu during a doubling, worst %.1f us; worst outside %.1f us\n",
      before, index_.bucket_count(), growths.size(), worst_growth / 1e3,
      static_cast<unsigned long long>(lookups.load()), slow_during, worst_during, worst_outside);
  epoch_.reclaim();
}

}  // namespace
}  // namespace cuckood::cache
