// FixedVector: an inline sequence that never initialises its unused slots.
#include "proto/fixed_vector.h"

#include <gtest/gtest.h>

#include <string_view>

namespace cuckood::proto {
namespace {

TEST(FixedVector, StartsEmptyAndFillsToItsCapacity) {
  FixedVector<int, 3> v;
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(v.full());
  v.push_back(7);
  v.push_back(8);
  EXPECT_EQ(v.size(), 2u);
  EXPECT_FALSE(v.full());
  v.push_back(9);
  EXPECT_TRUE(v.full());
  EXPECT_EQ(v[0], 7);
  EXPECT_EQ(v[2], 9);
  EXPECT_EQ(v.data()[1], 8);
}

TEST(FixedVector, SpanCoversOnlyWhatWasPushed) {
  FixedVector<std::string_view, 8> v;
  v.push_back("a");
  v.push_back("bc");
  const auto span = v.span();
  ASSERT_EQ(span.size(), 2u);
  EXPECT_EQ(span[0], "a");
  EXPECT_EQ(span[1], "bc");
}

TEST(FixedVector, ClearEmptiesAndSlotsAreReused) {
  FixedVector<int, 2> v;
  v.push_back(1);
  v.push_back(2);
  v.clear();
  EXPECT_TRUE(v.empty());
  v.push_back(3);
  EXPECT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], 3);
  v[0] = 4;
  EXPECT_EQ(v.span()[0], 4);
}

TEST(FixedVector, EmplaceBackFillsInPlaceAndPopBackDropsTheLast) {
  struct Pair {
    int first = 1;
    int second = 2;
  };
  FixedVector<Pair, 2> v;
  Pair& added = v.emplace_back();
  EXPECT_EQ(added.first, 1);  // default-initialised
  added.second = 5;
  EXPECT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].second, 5);
  v.emplace_back().first = 7;
  EXPECT_TRUE(v.full());
  EXPECT_EQ(v[1].first, 7);
  v.pop_back();
  EXPECT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].second, 5);
}

TEST(FixedVector, CopiesHoldTheSameValues) {
  FixedVector<int, 4> v;
  v.push_back(5);
  v.push_back(6);
  FixedVector<int, 4> copy(v);
  v[0] = 0;
  ASSERT_EQ(copy.size(), 2u);
  EXPECT_EQ(copy[0], 5);
  EXPECT_EQ(copy[1], 6);
  FixedVector<int, 4> assigned;
  assigned = copy;
  EXPECT_EQ(assigned.size(), 2u);
  EXPECT_EQ(assigned[1], 6);
}

}  // namespace
}  // namespace cuckood::proto
