// PrefetchedKeys: a read's keys hashed once, then handed to its look-ups in order.
#include "proto/prefetched_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "tests/proto/worker_fixture.h"

namespace cuckood::proto {
namespace {

class PrefetchedKeysTest : public ::testing::Test {
 protected:
  cache::Cache& cache() { return fixture_.cache(); }
  cache::WorkerContext& ctx() { return fixture_.ctx(); }
  uint64_t fresh_hash(std::string_view key) { return cache().hash(std::string(key)).hash; }

  testing::WorkerFixture<> fixture_;
  PrefetchedKeys keys_;
};

// The batch's hash is found by where the key lies in the input: rewriting those bytes after the
// batch started shows whether a look-up took it from the batch or hashed the bytes anew.
TEST_F(PrefetchedKeysTest, ALookUpTakesTheBatchesHashOfTheSameBytes) {
  std::string input = "aaaa bbbb cccc";
  const std::string_view a(input.data(), 4), b(input.data() + 5, 4), c(input.data() + 10, 4);
  const std::vector<std::string_view> batch = {a, b, c};
  keys_.start(cache(), ctx(), batch);
  EXPECT_EQ(keys_.size(), 3u);
  const uint64_t hash_of_b = fresh_hash("bbbb");
  input.replace(5, 4, "zzzz");
  EXPECT_EQ(keys_.hash(cache(), a).hash, fresh_hash("aaaa"));
  const cache::HashedKey from_batch = keys_.hash(cache(), b);
  EXPECT_EQ(from_batch.hash, hash_of_b);
  EXPECT_EQ(from_batch.key.data(), b.data());
}

TEST_F(PrefetchedKeysTest, AnEqualKeyElsewhereIsHashedNow) {
  const std::string input = "key1 key2";
  const std::vector<std::string_view> batch = {std::string_view(input.data(), 4),
                                               std::string_view(input.data() + 5, 4)};
  keys_.start(cache(), ctx(), batch);
  std::string elsewhere = "key2";
  const cache::HashedKey h = keys_.hash(cache(), elsewhere);
  EXPECT_EQ(h.key.data(), elsewhere.data());
  EXPECT_EQ(h.hash, fresh_hash("key2"));
}

TEST_F(PrefetchedKeysTest, KeysPassedOverOrAlreadyTakenAreHashedNow) {
  std::string input = "k1 k2 k3";
  const std::string_view k1(input.data(), 2), k2(input.data() + 3, 2), k3(input.data() + 6, 2);
  const std::vector<std::string_view> batch = {k1, k2, k3};
  keys_.start(cache(), ctx(), batch);
  const uint64_t hash_of_k3 = fresh_hash("k3");
  input.replace(0, 2, "x1");
  input.replace(6, 2, "x3");
  // k2 first: k1 is passed over, and a look-up of it afterwards hashes its bytes now.
  EXPECT_EQ(keys_.hash(cache(), k2).hash, fresh_hash("k2"));
  EXPECT_EQ(keys_.hash(cache(), k1).hash, fresh_hash("x1"));
  EXPECT_EQ(keys_.hash(cache(), k3).hash, hash_of_k3);
  EXPECT_EQ(keys_.hash(cache(), k3).hash, fresh_hash("x3"));  // taken once
}

TEST_F(PrefetchedKeysTest, ClearForgetsTheBatch) {
  std::string input = "abc";
  const std::vector<std::string_view> batch = {std::string_view(input), std::string_view(input)};
  keys_.start(cache(), ctx(), batch);
  input = "xyz";  // same size: a stale batch would answer abc's hash
  keys_.clear();
  EXPECT_EQ(keys_.size(), 0u);
  EXPECT_EQ(keys_.hash(cache(), std::string_view(input)).hash, fresh_hash("xyz"));
}

TEST_F(PrefetchedKeysTest, KeepsAtMostItsCapacity) {
  std::vector<std::string> names;
  for (size_t i = 0; i < PrefetchedKeys::kCapacity + 5; ++i)
    names.push_back("k" + std::to_string(i));
  const std::vector<std::string_view> batch(names.begin(), names.end());
  keys_.start(cache(), ctx(), batch);
  EXPECT_EQ(keys_.size(), PrefetchedKeys::kCapacity);
  const std::string_view last = names.back();
  EXPECT_EQ(keys_.hash(cache(), last).hash, fresh_hash(last));
}

}  // namespace
}  // namespace cuckood::proto
