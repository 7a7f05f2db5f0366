// SweepLookahead: a sweep gets every item's hashed key in order, whatever the cursor ahead of
// it passed, and items released after the cursor passed them are dropped, not handed out.
#include "cache/sweep_lookahead.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cache/epoch.h"
#include "cache/key_hasher.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

class SweepLookaheadTest : public ::testing::Test {
 protected:
  // Lays out `n` items back to back, as a segment holds them, every other one with extras.
  void fill(int n) {
    for (int i = 0; i < n; ++i) {
      const std::string key = testing::numbered("key", i);
      const std::string value(static_cast<size_t>(i % 5) * 7, 'v');
      const bool extended = i % 2 == 1;
      Item* item = Item::create(segment_.data() + used_ / sizeof(uint64_t), key, value.size(),
                                extended ? 3 : 0, 0, 1, extended);
      used_ += static_cast<uint32_t>(item->footprint());
      items_.push_back(item);
    }
  }
  const char* base() const { return reinterpret_cast<const char*>(segment_.data()); }

  KeyHasher hasher_{7};
  EpochDomain epoch_;
  CuckooIndex index_{[this](std::string_view k) { return hasher_(k); }};
  EpochParticipant* participant_ = epoch_.register_participant();
  std::vector<uint64_t> segment_ = std::vector<uint64_t>(8192);
  uint32_t used_ = 0;
  std::vector<Item*> items_;
};

TEST_F(SweepLookaheadTest, HandsEachItemItsHashedKeyInOrder) {
  fill(40);
  SweepLookahead lookahead(index_, base(), used_);
  EpochGuard guard(epoch_, *participant_);
  for (const Item* item : items_) {
    const HashedKey key = lookahead.key_for(item);
    EXPECT_EQ(key.key, item->key());
    EXPECT_EQ(key.hash, hasher_(item->key()));
  }
}

TEST_F(SweepLookaheadTest, SkipsItemsReleasedBeforeOrAfterTheCursorPassedThem) {
  fill(40);
  items_[0]->mark_released();  // released before the cursor starts
  items_[3]->mark_released();
  SweepLookahead lookahead(index_, base(), used_);
  EpochGuard guard(epoch_, *participant_);
  EXPECT_EQ(lookahead.key_for(items_[1]).key, items_[1]->key());  // the cursor is now ahead
  for (int i : {2, 4, 6, 9, 10}) items_[static_cast<size_t>(i)]->mark_released();
  for (size_t i = 2; i < items_.size(); ++i) {
    if (items_[i]->released()) continue;  // the sweep passes released items by
    const HashedKey key = lookahead.key_for(items_[i]);
    EXPECT_EQ(key.key, items_[i]->key()) << i;
    EXPECT_EQ(key.hash, hasher_(items_[i]->key())) << i;
  }
}

TEST_F(SweepLookaheadTest, ASweepThatSkipsAheadStillGetsTheRightKey) {
  fill(40);
  SweepLookahead lookahead(index_, base(), used_);
  EpochGuard guard(epoch_, *participant_);
  // Items the sweep never asked for (judged without the index) are dropped on the way.
  for (size_t i : {size_t{0}, size_t{5}, size_t{17}, size_t{18}, size_t{39}}) {
    EXPECT_EQ(lookahead.key_for(items_[i]).key, items_[i]->key()) << i;
  }
}

}  // namespace
}  // namespace cuckood::cache
