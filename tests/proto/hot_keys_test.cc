// proto/hot_keys: sampling, the Space-Saving summary, intervals, merging; `stats hotkeys`.
#include "proto/hot_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

constexpr cache::Time kStart = 1000;

// Reads `key` `times` times at `now`.
void read(HotKeys& h, const std::string& key, int times, cache::Time now) {
  for (int i = 0; i < times; ++i) h.sample(key, now);
}

std::unordered_map<std::string, uint64_t> merged(const HotKeys& h, cache::Time now) {
  std::unordered_map<std::string, uint64_t> into;
  h.merge_into(into, now);
  return into;
}

TEST(HotKeysTest, NothingUntilAnIntervalCompletes) {
  HotKeys h;
  read(h, "hot", 1000, kStart);
  EXPECT_TRUE(merged(h, kStart).empty());
  read(h, "hot", 100, kStart + HotKeys::kInterval);  // the next interval's first samples
  const auto m = merged(h, kStart + HotKeys::kInterval);
  ASSERT_EQ(m.count("hot"), 1u);
  // About one read in kSampleEvery is sampled and counted kSampleEvery times.
  EXPECT_GT(m.at("hot"), 700u);
  EXPECT_LT(m.at("hot"), 1300u);
}

TEST(HotKeysTest, SkewedReadsRankTheHotKeysFirst) {
  HotKeys h;
  for (int round = 0; round < 200; ++round) {
    read(h, "a", 20, kStart);
    read(h, "b", 10, kStart);
    for (int k = 0; k < 50; ++k) read(h, "cold" + std::to_string(round * 50 + k), 1, kStart);
  }
  h.sample("a", kStart + HotKeys::kInterval);
  for (int i = 0; i < 2 * static_cast<int>(HotKeys::kSampleEvery); ++i) {
    h.sample("a", kStart + HotKeys::kInterval);
  }
  const std::vector<HotKey> top = hottest(merged(h, kStart + HotKeys::kInterval), 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key, "a");
  EXPECT_EQ(top[1].key, "b");
  EXPECT_GT(top[0].reads, top[1].reads);
  EXPECT_LE(merged(h, kStart + HotKeys::kInterval).size(), HotKeys::kCapacity);
}

TEST(HotKeysTest, AnOldIntervalCountsNothing) {
  HotKeys h;
  read(h, "k", 500, kStart);
  read(h, "k", 100, kStart + HotKeys::kInterval);
  EXPECT_FALSE(merged(h, kStart + 2 * HotKeys::kInterval).empty());
  EXPECT_TRUE(merged(h, kStart + 2 * HotKeys::kInterval + 1).empty());
}

TEST(HotKeysTest, HottestSortsByReadsThenKeyAndCuts) {
  const std::vector<HotKey> top = hottest({{"b", 5}, {"a", 5}, {"c", 9}, {"d", 1}}, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].key, "c");
  EXPECT_EQ(top[1].key, "a");
  EXPECT_EQ(top[2].key, "b");
  EXPECT_TRUE(hottest({}, 5).empty());
}

TEST(HotKeysTest, StatsHotkeysAfterSkewedGets) {
  Env env;
  env.feed("set hot 0 0 1\r\nh\r\nset warm 0 0 1\r\nw\r\nset cold 0 0 1\r\nc\r\n");
  std::string gets;
  for (int i = 0; i < 60; ++i) {
    gets += "get hot\r\nget hot\r\nget hot\r\nget warm\r\nget warm\r\nget cold\r\n";
  }
  for (int i = 0; i < 10; ++i) env.feed(gets);
  env.advance(HotKeys::kInterval);
  env.feed(gets);  // hands the first interval over
  const std::string out = env.feed("stats hotkeys 2\r\n");
  EXPECT_TRUE(out.starts_with("STAT hotkeys_interval 10\r\nSTAT hotkeys_sample_every 16\r\n"))
      << out;
  const size_t hot = out.find("STAT key:hot ");
  const size_t warm = out.find("STAT key:warm ");
  ASSERT_NE(hot, std::string::npos) << out;
  ASSERT_NE(warm, std::string::npos) << out;
  EXPECT_LT(hot, warm);
  EXPECT_EQ(out.find("STAT key:cold "), std::string::npos) << "only two asked for";
  EXPECT_TRUE(out.ends_with("END\r\n"));
  EXPECT_EQ(env.feed("stats hotkeys x\r\n"), "ERROR\r\n");
}

}  // namespace
}  // namespace cuckood::proto::testing
