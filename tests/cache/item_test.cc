// Item's header: the extended and released bits share the value size's word and must not change
// what the item shows of itself; an item without extras shows flags 0 and no deadline.
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
  EXPECT_EQ(item->footprint(), Item::footprint(1, 0, true));
}

TEST(ItemTest, OnlyFlagsOrADeadlineNeedExtras) {
  EXPECT_FALSE(Item::needs_extras(0, 0));
  EXPECT_TRUE(Item::needs_extras(1, 0));
  EXPECT_TRUE(Item::needs_extras(0, 1));
  EXPECT_EQ(Item::footprint(3, 5, false), 24u);  // 16 + 3 + 5
  EXPECT_EQ(Item::footprint(3, 5, true), 32u);   // and the flags and deadline words
  EXPECT_EQ(Item::footprint(3, 6, false), 32u);  // rounded up to the alignment
}

TEST(ItemTest, AnItemWithoutExtrasShowsNoFlagsAndNoDeadline) {
  testing::ItemArena arena;
  Item* item = arena.make("key", "a value", 0, 0, 77, false);
  EXPECT_FALSE(item->extended());
  EXPECT_EQ(item->key(), "key");
  EXPECT_EQ(item->value(), "a value");
  EXPECT_EQ(item->flags(), 0u);
  EXPECT_EQ(item->exptime(), 0u);
  EXPECT_EQ(item->cas(), 77u);
  EXPECT_EQ(item->footprint(), Item::footprint(3, 7, false));
  EXPECT_TRUE(item->can_set_exptime(0));
  EXPECT_FALSE(item->can_set_exptime(5));
  item->mark_released();
  EXPECT_TRUE(item->released());
  EXPECT_FALSE(item->extended());
  EXPECT_EQ(item->value(), "a value");
  EXPECT_EQ(item->footprint(), Item::footprint(3, 7, false));
}

TEST(ItemTest, AnExtendedItemTakesADeadlineInPlace) {
  testing::ItemArena arena;
  Item* item = arena.make("key", "v", 0, 0, 1, true);
  EXPECT_TRUE(item->extended());
  EXPECT_EQ(item->exptime(), 0u);
  EXPECT_TRUE(item->can_set_exptime(5));
  item->set_exptime(5);
  EXPECT_EQ(item->exptime(), 5u);
  EXPECT_EQ(item->flags(), 0u);
  EXPECT_EQ(item->key(), "key");
  EXPECT_EQ(item->value(), "v");
}

TEST(ItemTest, ACopyTakesTheReadStateAndKeepsItsOwnMarks) {
  testing::ItemArena arena;
  Item* unread = arena.make("key", "v");
  Item* read = arena.make("key", "v");
  read->mark_read();
  Item* copy = arena.make("key", "v");
  copy->add_marks(1);
  copy->copy_reads_from(*unread);
  EXPECT_FALSE(copy->fetched());
  EXPECT_FALSE(copy->take_reference());
  copy->copy_reads_from(*read);
  EXPECT_TRUE(copy->fetched());
  EXPECT_TRUE(copy->take_reference());  // the CLOCK bit, once
  EXPECT_FALSE(copy->take_reference());
  EXPECT_EQ(copy->marks(), 1u);
  EXPECT_TRUE(read->take_reference());  // the source keeps its own
}

}  // namespace
}  // namespace cuckood::cache
