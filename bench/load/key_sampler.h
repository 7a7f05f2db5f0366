// Which key the next request uses: uniform over the key space, Zipf(theta) by rank, or uniform
// over a small hot set. Keys are numbered 0..keys-1; for Zipf, key 0 is the most popular.
//
// The Zipf sampler is Hörmann & Derflinger's rejection-inversion ("Rejection-inversion to
// generate variates from monotone discrete distributions", 1996), as in Apache Commons RNG: it
// draws exactly from P(k) ∝ k^-theta on 1..n for any theta > 0, in O(1) time and memory. The
// popular shortcut of Gray et al. (used by YCSB) is only approximate, and a CDF table would cost
// 8 bytes per key.
#pragma once

#include <cstdint>

#include "bench/load/options.h"
#include "bench/load/rng.h"

namespace cuckood::load {

class ZipfSampler {
 public:
  // n >= 1 elements, exponent theta > 0.
  ZipfSampler(uint64_t n, double theta) noexcept;

  // A rank in [1, n]; rank 1 is the most frequent.
  uint64_t sample(Rng& rng) const noexcept;

  // P(rank == k), for tests and documentation: k^-theta / H(n, theta). O(n) per call.
  double probability(uint64_t k) const noexcept;

 private:
  double h(double x) const noexcept;
  double h_integral(double x) const noexcept;
  double h_integral_inverse(double x) const noexcept;

  uint64_t n_;
  double theta_;
  double h_integral_x1_;
  double h_integral_n_;
  double s_;
};

class KeySampler {
 public:
  explicit KeySampler(const Options& o) noexcept;

  // A key number in [0, keys). Thread-safe as long as each thread passes its own Rng.
  uint64_t next(Rng& rng) const noexcept {
    switch (distribution_) {
      case Distribution::kUniform:
        return rng.below(keys_);
      case Distribution::kHot:
        return rng.below(hot_keys_);
      case Distribution::kZipf:
        return zipf_.sample(rng) - 1;
    }
    return 0;
  }

 private:
  Distribution distribution_;
  uint64_t keys_;
  uint64_t hot_keys_;
  ZipfSampler zipf_;
};

}  // namespace cuckood::load
