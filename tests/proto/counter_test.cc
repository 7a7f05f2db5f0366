// parse_counter and apply_delta: memcached's incr/decr rules (do_add_delta, safe_strtoull).
#include "proto/counter.h"

#include <gtest/gtest.h>

namespace cuckood::proto {
namespace {

TEST(ParseCounter, PlainDecimal) {
  EXPECT_EQ(parse_counter("0"), 0u);
  EXPECT_EQ(parse_counter("42"), 42u);
  EXPECT_EQ(parse_counter("007"), 7u);
  EXPECT_EQ(parse_counter("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_counter("000000000000000000000001"), 1u);  // strtoull takes any zeros
}

TEST(ParseCounter, TrailingWhiteSpaceEndsTheNumber) {
  EXPECT_EQ(parse_counter("12  "), 12u);  // memcached pads shrunk counters with spaces
  EXPECT_EQ(parse_counter("12\r\n"), 12u);
  EXPECT_EQ(parse_counter("12 abc"), 12u);  // strtoull stops at the space; memcached accepts
}

TEST(ParseCounter, LeadingWhiteSpaceAndPlusAsStrtoull) {
  EXPECT_EQ(parse_counter("  12"), 12u);
  EXPECT_EQ(parse_counter("+12"), 12u);
}

TEST(ParseCounter, NonNumeric) {
  EXPECT_EQ(parse_counter(""), std::nullopt);
  EXPECT_EQ(parse_counter("   "), std::nullopt);
  EXPECT_EQ(parse_counter("+"), std::nullopt);
  EXPECT_EQ(parse_counter("abc"), std::nullopt);
  EXPECT_EQ(parse_counter("x12"), std::nullopt);
  EXPECT_EQ(parse_counter("12abc"), std::nullopt);
  EXPECT_EQ(parse_counter("1.5"), std::nullopt);
  EXPECT_EQ(parse_counter("-1"), std::nullopt);
  EXPECT_EQ(parse_counter("-0"), std::nullopt);
  EXPECT_EQ(parse_counter("0x10"), std::nullopt);
}

TEST(ParseCounter, OverflowIsNonNumeric) {
  EXPECT_EQ(parse_counter("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_counter("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_counter("184467440737095516150"), std::nullopt);
}

TEST(ApplyDelta, IncrementWrapsAround2To64) {
  EXPECT_EQ(apply_delta(5, 3, true), 8u);
  EXPECT_EQ(apply_delta(UINT64_MAX, 1, true), 0u);
  EXPECT_EQ(apply_delta(UINT64_MAX, 2, true), 1u);
  EXPECT_EQ(apply_delta(UINT64_MAX - 1, UINT64_MAX, true), UINT64_MAX - 2);
}

TEST(ApplyDelta, DecrementStopsAtZero) {
  EXPECT_EQ(apply_delta(5, 3, false), 2u);
  EXPECT_EQ(apply_delta(5, 5, false), 0u);
  EXPECT_EQ(apply_delta(5, 6, false), 0u);
  EXPECT_EQ(apply_delta(0, UINT64_MAX, false), 0u);
}

}  // namespace
}  // namespace cuckood::proto
