#include "bench/load/key_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cuckood::load {
namespace {

// Exact Zipf probabilities computed independently of the sampler: k^-theta / sum_i i^-theta.
std::vector<double> zipf_pmf(uint64_t n, double theta) {
  std::vector<double> p(n + 1, 0.0);
  double norm = 0;
  for (uint64_t k = 1; k <= n; ++k) norm += std::pow(static_cast<double>(k), -theta);
  for (uint64_t k = 1; k <= n; ++k) p[k] = std::pow(static_cast<double>(k), -theta) / norm;
  return p;
}

// Pearson's chi-square statistic of `samples` draws against the exact distribution.
double chi_square(uint64_t n, double theta, uint64_t samples, uint64_t seed) {
  ZipfSampler zipf(n, theta);
  Rng rng(seed);
  std::vector<uint64_t> seen(n + 1, 0);
  for (uint64_t i = 0; i < samples; ++i) {
    const uint64_t k = zipf.sample(rng);
    EXPECT_GE(k, 1u);
    EXPECT_LE(k, n);
    if (k >= 1 && k <= n) ++seen[k];
  }
  const std::vector<double> p = zipf_pmf(n, theta);
  double chi2 = 0;
  for (uint64_t k = 1; k <= n; ++k) {
    const double expected = p[k] * static_cast<double>(samples);
    chi2 += (seen[k] - expected) * (seen[k] - expected) / expected;
  }
  return chi2;
}

// 99 degrees of freedom: P(chi2 > 148.2) = 0.001 for a correct sampler. The seed is fixed, so
// the test is deterministic; a biased sampler (e.g. Gray et al.'s approximation at small n)
// lands far above the bound.
constexpr double kChi2Bound99 = 148.2;

TEST(ZipfSampler, MatchesExactDistributionTheta099) {
  EXPECT_LT(chi_square(100, 0.99, 1'000'000, 1), kChi2Bound99);
}

TEST(ZipfSampler, MatchesExactDistributionThetaOne) {
  EXPECT_LT(chi_square(100, 1.0, 1'000'000, 2), kChi2Bound99);
}

TEST(ZipfSampler, MatchesExactDistributionOtherExponents) {
  EXPECT_LT(chi_square(100, 0.5, 1'000'000, 3), kChi2Bound99);
  EXPECT_LT(chi_square(100, 1.5, 1'000'000, 4), kChi2Bound99);
}

TEST(ZipfSampler, RankFrequencyFollowsPowerLawOnLargeKeySpace) {
  // One million keys: the top ranks' frequencies must follow k^-0.99 (rank-frequency plot
  // slope), each within 5 standard deviations of its exact expectation.
  const uint64_t n = 1'000'000;
  const uint64_t samples = 2'000'000;
  ZipfSampler zipf(n, 0.99);
  Rng rng(5);
  std::vector<uint64_t> top(11, 0);
  for (uint64_t i = 0; i < samples; ++i) {
    const uint64_t k = zipf.sample(rng);
    ASSERT_LE(k, n);
    if (k <= 10) ++top[k];
  }
  for (uint64_t k = 1; k <= 10; ++k) {
    const double p = zipf.probability(k);
    const double expected = p * samples;
    const double sigma = std::sqrt(samples * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(top[k]), expected, 5 * sigma) << "rank " << k;
  }
  // Slope of log(frequency) against log(rank) between ranks 1 and 10 is -theta.
  const double slope = std::log(static_cast<double>(top[10]) / top[1]) / std::log(10.0);
  EXPECT_NEAR(slope, -0.99, 0.05);
}

TEST(ZipfSampler, SingleElement) {
  ZipfSampler zipf(1, 0.99);
  Rng rng(6);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(zipf.sample(rng), 1u);
}

TEST(KeySampler, StaysInRangeForEveryDistribution) {
  for (Distribution d : {Distribution::kUniform, Distribution::kZipf, Distribution::kHot}) {
    Options o;
    o.keys = 1000;
    o.hot_keys = 4;
    o.distribution = d;
    KeySampler sampler(o);
    Rng rng(7);
    const uint64_t limit = d == Distribution::kHot ? 4 : 1000;
    std::vector<bool> seen(limit, false);
    for (int i = 0; i < 100'000; ++i) {
      const uint64_t key = sampler.next(rng);
      ASSERT_LT(key, limit) << to_string(d);
      seen[key] = true;
    }
    for (uint64_t k = 0; k < limit; ++k) EXPECT_TRUE(seen[k]) << to_string(d) << " key " << k;
  }
}

TEST(KeySampler, ZipfKeyZeroIsTheMostPopular) {
  Options o;
  o.keys = 1000;
  o.distribution = Distribution::kZipf;
  KeySampler sampler(o);
  Rng rng(8);
  std::vector<uint64_t> counts(o.keys, 0);
  for (int i = 0; i < 200'000; ++i) ++counts[sampler.next(rng)];
  for (uint64_t k = 1; k < o.keys; ++k) EXPECT_GT(counts[0], counts[k]);
}

}  // namespace
}  // namespace cuckood::load
