// The bigmem workload's record generator and verifier (bench/load/bigmem_records.h) and its
// window summary (bench/load/bigmem_report.h).
#include "bench/load/bigmem_records.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "bench/load/bigmem_report.h"

namespace cuckood::load::bigmem {
namespace {

std::string name_of(uint64_t key) {
  char out[kKeySize];
  key_name(key, out);
  return std::string(out, kKeySize);
}

std::string value_of(uint64_t key, uint32_t occurrence) {
  char out[kValueSize];
  record_value(key, occurrence, out);
  return std::string(out, kValueSize);
}

TEST(BigmemRecords, KeysAreDistinctSixteenHexCharacters) {
  std::set<std::string> names;
  for (uint64_t key = 0; key < 10000; ++key) {
    const std::string name = name_of(key);
    ASSERT_EQ(name.find_first_not_of("0123456789abcdef"), std::string::npos) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 10000u);
}

TEST(BigmemRecords, ValuesDependOnKeyAndOccurrenceOnly) {
  EXPECT_EQ(value_of(5, 3), value_of(5, 3));
  EXPECT_NE(value_of(5, 3), value_of(5, 4));
  EXPECT_NE(value_of(5, 3), value_of(6, 3));
  EXPECT_EQ(expected_value(5, 0), "");
  EXPECT_EQ(expected_value(5, 3), value_of(5, 0) + value_of(5, 1) + value_of(5, 2));
}

// Every record is issued once, each lane keeps to its own keys, occurrences count up per key,
// and the stream is the same for the same seed.
TEST(BigmemRecords, LanesSplitRecordsAndKeys) {
  constexpr uint64_t kRecords = 10007;
  constexpr uint64_t kKeys = 1001;
  constexpr uint32_t kLanes = 4;
  Occurrences seen(kKeys);
  std::vector<std::vector<uint64_t>> keys_of_lane(kLanes);
  uint64_t issued = 0;
  for (uint32_t lane = 0; lane < kLanes; ++lane) {
    LaneStream stream(kRecords, kKeys, kLanes, lane, 42);
    std::vector<uint32_t> last(kKeys, 0);
    while (!stream.done()) {
      const Record r = stream.next(seen);
      ASSERT_LT(r.key, kKeys);
      ASSERT_EQ(r.key % kLanes, lane);
      ASSERT_EQ(r.occurrence, last[r.key]++);
      keys_of_lane[lane].push_back(r.key);
      ++issued;
    }
  }
  EXPECT_EQ(issued, kRecords);
  uint64_t total = 0;
  for (uint64_t key = 0; key < kKeys; ++key) total += seen.count(key);
  EXPECT_EQ(total, kRecords);
  // ~10 records per key: nearly every key is written (the chance a key gets none is e^-10).
  EXPECT_GT(seen.written(), kKeys - 5);

  Occurrences again(kKeys);
  LaneStream replay(kRecords, kKeys, kLanes, 2, 42);
  for (uint64_t expected : keys_of_lane[2]) EXPECT_EQ(replay.next(again).key, expected);
  Occurrences other(kKeys);
  LaneStream reseeded(kRecords, kKeys, kLanes, 2, 43);
  size_t same = 0;
  for (uint64_t expected : keys_of_lane[2]) same += reseeded.next(other).key == expected;
  EXPECT_LT(same, keys_of_lane[2].size() / 10);
}

TEST(BigmemRecords, KeysAreDrawnUniformly) {
  constexpr uint64_t kKeys = 16;
  constexpr uint64_t kRecords = 160000;
  Occurrences seen(kKeys);
  for (uint32_t lane = 0; lane < 2; ++lane) {
    LaneStream stream(kRecords, kKeys, 2, lane, 1);
    while (!stream.done()) stream.next(seen);
  }
  for (uint64_t key = 0; key < kKeys; ++key) {
    EXPECT_GT(seen.count(key), 9500u) << key;  // 10000 expected, sd 97
    EXPECT_LT(seen.count(key), 10500u) << key;
  }
}

TEST(BigmemRecords, SampleIsRepeatableAndInRange) {
  const std::vector<uint64_t> a = sample_keys(1000, 500, 9);
  EXPECT_EQ(a, sample_keys(1000, 500, 9));
  EXPECT_NE(a, sample_keys(1000, 500, 10));
  for (uint64_t key : a) EXPECT_LT(key, 1000u);
  EXPECT_GT(std::set<uint64_t>(a.begin(), a.end()).size(), 350u);
}

TEST(BigmemRecords, CheckNamesEveryWayAValueCanBeWrong) {
  const std::string good = expected_value(7, 3);
  EXPECT_EQ(check_value(7, 3, true, good), Check::kMatch);
  EXPECT_EQ(check_value(7, 0, false, ""), Check::kMatch);
  EXPECT_EQ(check_value(7, 3, false, ""), Check::kMissing);
  EXPECT_EQ(check_value(7, 0, true, value_of(7, 0)), Check::kUnexpected);
  EXPECT_EQ(check_value(7, 3, true, good.substr(0, 32)), Check::kWrong);     // a record lost
  EXPECT_EQ(check_value(7, 3, true, good + value_of(7, 2)), Check::kWrong);  // one doubled
  const std::string swapped = value_of(7, 0) + value_of(7, 2) + value_of(7, 1);
  EXPECT_EQ(check_value(7, 3, true, swapped), Check::kWrong);
  std::string flipped = good;
  flipped[20] ^= 1;
  EXPECT_EQ(check_value(7, 3, true, flipped), Check::kWrong);
  EXPECT_EQ(check_value(7, 3, true, expected_value(8, 3)), Check::kWrong);
}

TEST(BigmemReport, SlowestWindowAgainstTheMedianLeavesOutTheLastPartialOne) {
  const WindowSummary s = summarize({100, 50, 200, 100, 3}, 0.5);
  EXPECT_DOUBLE_EQ(s.median, 200.0);  // whole windows 100 50 200 100: median 100 per 0.5 s
  EXPECT_DOUBLE_EQ(s.slowest, 100.0);
  EXPECT_DOUBLE_EQ(s.ratio, 0.5);
  const WindowSummary one = summarize({40}, 0.5);
  EXPECT_DOUBLE_EQ(one.median, 80.0);
  EXPECT_DOUBLE_EQ(one.ratio, 1.0);
  EXPECT_DOUBLE_EQ(summarize({}, 0.5).ratio, 0.0);
}

}  // namespace
}  // namespace cuckood::load::bigmem
