// SizeClasses (the statistics' size classes) and ReservedArray (the segment store's metadata).
#include "cache/size_classes.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "cache/reserved_array.h"

namespace cuckood::cache::testing {
namespace {

TEST(SizeClasses, ItemsGoToTheFirstClassTheyFit) {
  const std::vector<uint32_t> bounds = {96, 120, 152};
  const SizeClasses classes(bounds);
  EXPECT_EQ(classes.count(), 3u);
  EXPECT_EQ(classes.of(0), 0u);
  EXPECT_EQ(classes.of(96), 0u);
  EXPECT_EQ(classes.of(97), 1u);
  EXPECT_EQ(classes.of(152), 2u);
  EXPECT_EQ(classes.of(1 << 20), 2u);  // beyond the last bound: the last class
  EXPECT_EQ(classes.bound(1), 120u);
}

TEST(SizeClasses, NoBoundsIsOneClass) {
  const SizeClasses classes;
  EXPECT_EQ(classes.count(), 1u);
  EXPECT_EQ(classes.of(12345), 0u);
  EXPECT_EQ(SizeClasses(std::vector<uint32_t>{}).count(), 1u);
}

TEST(SizeClasses, AtMostMemcachedsClassCount) {
  std::vector<uint32_t> bounds;
  for (uint32_t i = 1; i <= 100; ++i) bounds.push_back(i * 8);
  EXPECT_EQ(SizeClasses(bounds).count(), SizeClasses::kMaxClasses);
}

TEST(ReservedArray, ConstructsOnDemandAndNeverMoves) {
  ReservedArray<std::atomic<uint32_t>> array(1000);
  EXPECT_EQ(array.size(), 0u);
  array.grow_to(10);
  EXPECT_EQ(array.size(), 10u);
  array[9].store(7);
  std::atomic<uint32_t>* before = &array[9];
  array.grow_to(500);
  EXPECT_EQ(&array[9], before);
  EXPECT_EQ(array[9].load(), 7u);
  EXPECT_EQ(array[499].load(), 0u);
  array.grow_to(5000);  // clamped to the capacity
  EXPECT_EQ(array.size(), 1000u);
  EXPECT_EQ(array.capacity(), 1000u);
}

}  // namespace
}  // namespace cuckood::cache::testing
