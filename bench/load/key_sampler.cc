#include "bench/load/key_sampler.h"

#include <algorithm>
#include <cmath>

namespace cuckood::load {
namespace {

// log1p(x)/x and expm1(x)/x, continuous at 0 (Taylor series near it) so that theta == 1, where
// the integral of x^-theta becomes a logarithm, needs no special case.
double helper1(double x) noexcept {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

double helper2(double x) noexcept {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x
                            : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double theta) noexcept : n_(n), theta_(theta) {
  h_integral_x1_ = h_integral(1.5) - 1;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  s_ = 2 - h_integral_inverse(h_integral(2.5) - h(2));
}

// h(x) = x^-theta, the unnormalised density.
double ZipfSampler::h(double x) const noexcept {
  return std::exp(-theta_ * std::log(x));
}

// H(x) = (x^(1-theta) - 1) / (1 - theta), an antiderivative of h.
double ZipfSampler::h_integral(double x) const noexcept {
  const double log_x = std::log(x);
  return helper2((1 - theta_) * log_x) * log_x;
}

double ZipfSampler::h_integral_inverse(double x) const noexcept {
  double t = x * (1 - theta_);
  if (t < -1) t = -1;  // rounding can push t just below the domain of log1p
  return std::exp(helper1(t) * x);
}

uint64_t ZipfSampler::sample(Rng& rng) const noexcept {
  const double n = static_cast<double>(n_);
  while (true) {
    const double u = h_integral_n_ + rng.next_double() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    k = std::clamp(k, 1.0, n);
    // Accept when x falls under the histogram bar of k; the first test is a cheap squeeze that
    // accepts most samples without evaluating H again.
    if (k - x <= s_ || u >= h_integral(k + 0.5) - h(k)) return static_cast<uint64_t>(k);
  }
}

double ZipfSampler::probability(uint64_t k) const noexcept {
  double norm = 0;
  for (uint64_t i = 1; i <= n_; ++i) norm += h(static_cast<double>(i));
  return h(static_cast<double>(k)) / norm;
}

KeySampler::KeySampler(const Options& o) noexcept
    : distribution_(o.distribution), keys_(o.keys), hot_keys_(o.hot_keys), zipf_(o.keys, o.theta) {}

}  // namespace cuckood::load
