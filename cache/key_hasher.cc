#include "cache/key_hasher.h"

#include <sys/random.h>
#include <xxhash.h>

#include <chrono>

namespace cuckood::cache {

namespace {
uint64_t random_seed() noexcept {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
    // getrandom cannot fail for 8 bytes after boot; the clock is a last resort, not a secret.
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return seed;
}
}  // namespace

KeyHasher::KeyHasher() : seed_(random_seed()) {}

uint64_t KeyHasher::operator()(std::string_view key) const noexcept {
  return XXH3_64bits_withSeed(key.data(), key.size(), seed_);
}

}  // namespace cuckood::cache
