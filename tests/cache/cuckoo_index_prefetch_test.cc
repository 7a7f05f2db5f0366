// CuckooIndex's batch prefetches (prefetch_buckets, prefetch_items): they find the candidates
// find() would compare, in either table while a doubling migrates, and change nothing — no
// slot, no migration, no read of an item.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
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

}  // namespace
}  // namespace cuckood::cache
