// CuckooIndex's batch prefetches (prefetch_buckets, prefetch_items): they find the candidates
// find() would compare, in either table while a doubling migrates, and change nothing — no
// slot, no migration, no read of an item.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "cache/cuckoo_index.h"
#include "cache/key_hasher.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

using Decision = CuckooIndex::Decision;

class CuckooIndexPrefetchTest : public ::testing::Test {
 protected:
  CuckooIndexPrefetchTest()
      : index_(
            [this](std::string_view k) {
              rehashes_.fetch_add(1, std::memory_order_relaxed);
              return hasher_(k);
            },
            epoch_) {}

  HashedKey key(const std::string& k) const { return hasher_.hashed(k); }
  void put(const std::string& k) {
    Item* item = items_.make(k, "v");
    EpochGuard guard(epoch_, *participant_);
    index_.update(key(k), [&](Item*) { return Decision::put(item); });
  }
  // prefetch_buckets then prefetch_items, as a batch does; the items prefetched.
  size_t prefetch(const std::string& k) {
    EpochGuard guard(epoch_, *participant_);
    index_.prefetch_buckets(key(k));
    return index_.prefetch_items(key(k));
  }

  KeyHasher hasher_{7};
  EpochDomain epoch_;
  CuckooIndex index_;
  EpochParticipant* participant_ = epoch_.register_participant();
  testing::ItemArena items_;
  std::atomic<size_t> rehashes_{0};
};

TEST_F(CuckooIndexPrefetchTest, FindsThePresentKeysItemAndNothingInAnEmptyTable) {
  EXPECT_EQ(prefetch("absent"), 0u);
  put("present");
  EXPECT_GE(prefetch("present"), 1u);
  // A 16-bit tag rarely matches a wrong key: of many absent keys almost none has a candidate.
  size_t candidates = 0;
  for (int i = 0; i < 1000; ++i) candidates += prefetch(testing::numbered("absent", i));
  EXPECT_LT(candidates, 5u);
}

TEST_F(CuckooIndexPrefetchTest, ChangesNothing) {
  const int n = static_cast<int>(index_.bucket_count() * CuckooIndex::kSlotsPerBucket / 2);
  for (int i = 0; i < n; ++i) put(testing::numbered("key", i));
  const size_t buckets = index_.bucket_count();
  for (int i = 0; i < 2 * n; ++i) prefetch(testing::numbered("key", i));
  EXPECT_EQ(index_.bucket_count(), buckets);
  EXPECT_EQ(index_.count_slow(), static_cast<size_t>(n));
  EXPECT_EQ(rehashes_.load(), 0u);
  EpochGuard guard(epoch_, *participant_);
  for (int i = 0; i < n; ++i) ASSERT_NE(index_.find(key(testing::numbered("key", i))), nullptr);
}

TEST_F(CuckooIndexPrefetchTest, FindsKeysInEitherTableWhileMigrating) {
  const size_t initial = index_.bucket_count();
  int i = 0;
  while (index_.bucket_count() == initial) put(testing::numbered("key", i++));
  ASSERT_TRUE(index_.growing());  // most stripes are still in the old table
  for (int k = 0; k < i; ++k) ASSERT_GE(prefetch(testing::numbered("key", k)), 1u) << k;
  EXPECT_TRUE(index_.growing());  // a prefetch does not help migrate
  EXPECT_EQ(rehashes_.load(), 0u);
}

// Prefetches race writers that fill and double the table: the tables they read stay alive for
// the epoch (a sanitizer build checks), and a present key is always found afterwards.
TEST_F(CuckooIndexPrefetchTest, RacesWritersThatGrowTheTable) {
  const int n = testing::kSanitized ? 20'000 : 100'000;
  std::atomic<int> written{0};
  std::thread writer([&] {
    EpochParticipant* p = epoch_.register_participant();
    for (int i = 0; i < n; ++i) {
      Item* item = items_.make(testing::numbered("key", i), "v");
      {
        EpochGuard guard(epoch_, *p);
        index_.update(key(testing::numbered("key", i)), [&](Item*) { return Decision::put(item); });
      }
      written.store(i + 1, std::memory_order_release);
    }
    epoch_.unregister_participant(p);
  });
  size_t rounds = 0, missed = 0;
  while (written.load(std::memory_order_acquire) < n) {
    const int present = written.load(std::memory_order_acquire);
    if (present == 0) continue;
    const int k = static_cast<int>(rounds++ % static_cast<size_t>(present));
    const std::string name = testing::numbered("key", k);
    {
      EpochGuard guard(epoch_, *participant_);
      index_.prefetch_buckets(key(name));
      index_.prefetch_items(key(name));
      if (index_.find(key(name)) == nullptr) ++missed;
    }
    epoch_.reclaim();  // frees the tables the doublings retired, once no guard holds them
  }
  writer.join();
  EXPECT_GT(index_.bucket_count(), CuckooIndex::kStripes);
  EXPECT_GT(rounds, 0u);
  EXPECT_EQ(missed, 0u);
}

}  // namespace
}  // namespace cuckood::cache
