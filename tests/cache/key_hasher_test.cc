// KeyHasher: deterministic for a seed, different across seeds, random seed by default.
#include "cache/key_hasher.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace cuckood::cache {
namespace {

TEST(KeyHasher, SameSeedSameHash) {
  const KeyHasher a(42), b(42);
  EXPECT_EQ(a("foo"), b("foo"));
  EXPECT_EQ(a(""), b(""));
}

TEST(KeyHasher, SeedChangesTheHash) {
  const KeyHasher a(1), b(2);
  EXPECT_NE(a("foo"), b("foo"));
}

TEST(KeyHasher, DefaultSeedsDiffer) {
  // Two random 64-bit seeds collide with negligible probability.
  const KeyHasher a, b;
  EXPECT_NE(a("foo"), b("foo"));
}

TEST(KeyHasher, HashedCarriesKeyAndHash) {
  const KeyHasher hasher(7);
  const std::string key = "some-key";
  const HashedKey hashed = hasher.hashed(key);
  EXPECT_EQ(hashed.key, key);
  EXPECT_EQ(hashed.key.data(), key.data());  // a view, not a copy
  EXPECT_EQ(hashed.hash, hasher(key));
}

TEST(KeyHasher, NoCollisionsAmongManyKeys) {
  const KeyHasher hasher(42);
  std::unordered_set<uint64_t> seen;
  for (int i = 0; i < 100000; ++i) seen.insert(hasher("key:" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 100000u);
}

}  // namespace
}  // namespace cuckood::cache
