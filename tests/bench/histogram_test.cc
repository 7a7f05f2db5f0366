#include "bench/load/histogram.h"

#include <gtest/gtest.h>

#include "bench/load/rng.h"

namespace cuckood::load {
namespace {

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 50u);
  EXPECT_EQ(h.percentile(90), 90u);
  EXPECT_EQ(h.percentile(99), 99u);
  EXPECT_EQ(h.percentile(100), 100u);
  EXPECT_EQ(h.percentile(0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(Histogram, PercentilesOfUniformInputWithinPrecision) {
  Histogram h;
  for (uint64_t v = 1; v <= 1'000'000; ++v) h.record(v * 1000);  // 1 us .. 1 s in ns
  EXPECT_EQ(h.count(), 1'000'000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.max(), 1'000'000'000u);
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const double exact = p / 100 * 1e9;
    const double got = static_cast<double>(h.percentile(p));
    EXPECT_GE(got, exact * (1 - 1e-6)) << "p" << p;  // never below the true value
    EXPECT_LE(got, exact * (1 + 1.0 / 128)) << "p" << p;
  }
  EXPECT_EQ(h.percentile(100), h.max());
}

TEST(Histogram, TailOfSkewedInput) {
  // 990 fast requests and 10 slow ones: p99 is still fast, p99.9 and max are slow.
  Histogram h;
  for (int i = 0; i < 990; ++i) h.record(50'000);
  for (int i = 0; i < 10; ++i) h.record(10'000'000);
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 50'000, 50'000 / 128.0);
  EXPECT_NEAR(static_cast<double>(h.percentile(99.9)), 10'000'000, 10'000'000 / 128.0);
  EXPECT_EQ(h.max(), 10'000'000u);
}

TEST(Histogram, PercentileNeverExceedsMax) {
  Histogram h;
  h.record(1'000'003);
  EXPECT_EQ(h.percentile(50), 1'000'003u);
}

TEST(Histogram, BucketsContainTheirValuesWithBoundedWidth) {
  Rng rng(1);
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t v = rng.next() >> rng.below(64);
    const size_t idx = Histogram::index_of(v);
    ASSERT_LT(idx, Histogram::kBuckets);
    EXPECT_LE(Histogram::lowest_in_bucket(idx), v);
    EXPECT_GE(Histogram::highest_in_bucket(idx), v);
    const uint64_t width = Histogram::highest_in_bucket(idx) - Histogram::lowest_in_bucket(idx);
    EXPECT_LE(width, v / Histogram::kSubBuckets);
  }
  EXPECT_EQ(Histogram::index_of(UINT64_MAX), Histogram::kBuckets - 1);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  Rng rng(2);
  for (int i = 0; i < 10'000; ++i) {
    const uint64_t v = rng.below(5'000'000);
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(p), all.percentile(p));
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.percentile(50), 0u);
}

}  // namespace
}  // namespace cuckood::load
