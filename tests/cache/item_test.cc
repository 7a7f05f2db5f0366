// Item's header: the released bit shares the value size's word and must not change what the
// item shows of itself.
#include "cache/item.h"

#include <gtest/gtest.h>

#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

TEST(ItemTest, ReleasedBitLeavesKeyValueAndFootprintAlone) {
  testing::ItemArena arena;
  Item* item = arena.make("key", "a value", 7, 99, 1234);
  const size_t footprint = item->footprint();
  EXPECT_FALSE(item->released());
  item->mark_released();
  EXPECT_TRUE(item->released());
  EXPECT_EQ(item->key(), "key");
  EXPECT_EQ(item->value(), "a value");
  EXPECT_EQ(item->footprint(), footprint);
  EXPECT_EQ(item->flags(), 7u);
  EXPECT_EQ(item->exptime(), 99u);
  EXPECT_EQ(item->cas(), 1234u);
  item->mark_released();  // idempotent
  EXPECT_TRUE(item->released());
  EXPECT_EQ(item->value(), "a value");
}

TEST(ItemTest, ReleasedBitOnAnEmptyValue) {
  testing::ItemArena arena;
  Item* item = arena.make("k", "");
  item->mark_released();
  EXPECT_TRUE(item->released());
  EXPECT_EQ(item->value(), "");
  EXPECT_EQ(item->footprint(), Item::footprint(1, 0));
}

}  // namespace
}  // namespace cuckood::cache
