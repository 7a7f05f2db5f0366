// Appends to one key from several threads on CuckooCache while readers read it, a toucher
// gives it a deadline and takes it back (an item without one has no room for it, so a touch
// swaps in a copy that has: one more writer racing the appends) and the segment store compacts
// the dead copies the appends leave (every append replaces the whole value; items stored once
// in between keep any segment from dying whole):
// every record appears exactly once and in its appender's order, and no reader ever sees a
// torn value (a partial record, a record missing before a later one of the same appender) or
// one cas paired with two different values.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cache/cuckoo_cache.h"
#include "tests/cache/cache_fixture.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

using proto::StoreMode;
using proto::StoreStatus;

constexpr int kAppenders = 3;
constexpr int kReaders = 2;
constexpr int kRecordsPerAppender = testing::kSanitized ? 300 : 1500;
constexpr size_t kRecordSize = 8;  // appender letter, six digits, ';'

std::string record(int appender, int n) {
  char text[kRecordSize + 1];
  std::snprintf(text, sizeof text, "%c%06d;", 'A' + appender, n);
  return {text, kRecordSize};
}

// Checks that `value` is whole records, each appender's numbered 0, 1, 2, ... without a gap;
// `counts` receives how many records of each appender it holds. Returns an error or "".
std::string check_records(std::string_view value, std::array<int, kAppenders>& counts) {
  counts.fill(0);
  if (value.size() % kRecordSize != 0) return "length " + std::to_string(value.size());
  for (size_t at = 0; at < value.size(); at += kRecordSize) {
    const std::string_view r = value.substr(at, kRecordSize);
    const int appender = r[0] - 'A';
    int n = -1;
    const auto parsed = std::from_chars(r.data() + 1, r.data() + 7, n);
    if (appender < 0 || appender >= kAppenders || parsed.ptr != r.data() + 7 || r[7] != ';') {
      return "bad record '" + std::string(r) + "' at " + std::to_string(at);
    }
    if (n != counts[appender]) return "out of order '" + std::string(r) + "'";
    ++counts[appender];
  }
  return "";
}

TEST(ConcurrentAppendTest, ReadersSeeWholeRecordsWhileAppendersRaceAndCompactionMovesThem) {
  CacheConfig config;
  config.memory_limit = size_t{128} << 20;  // never full: dead copies go only by compaction
  // Small segments (a segment is as large as the largest item): the dead copies fill many of
  // them whatever the threads' interleaving, so compaction surely runs.
  config.max_item_size = size_t{64} << 10;
  config.hash_seed = 5;
  CuckooCache cache(config);
  {
    testing::CommandThread first(cache);
    ASSERT_EQ(first.store(StoreMode::kSet, "log", "").status, StoreStatus::kStored);
  }
  std::atomic<int> appending{kAppenders};
  std::atomic<long> reads{0};
  std::atomic<int> readers_ready{0};
  std::vector<std::string> errors(kAppenders + kReaders + 1);
  std::vector<std::thread> threads;
  std::atomic<long> touches{0};
  threads.emplace_back([&] {
    testing::CommandThread worker(cache);
    while (readers_ready.load() < kReaders) std::this_thread::yield();
    for (long i = 0; appending.load() > 0; ++i) {
      worker.quiescent();
      if (!worker.touch("log", i % 2 == 0 ? 3600 : 0)) {
        errors.back() = "touch missed";
        break;
      }
      touches.fetch_add(1, std::memory_order_relaxed);
    }
  });
  for (int t = 0; t < kAppenders; ++t) {
    threads.emplace_back([&, t] {
      testing::CommandThread worker(cache);
      while (readers_ready.load() < kReaders) std::this_thread::yield();
      for (int i = 0; i < kRecordsPerAppender; ++i) {
        if (i % 32 == 0) worker.quiescent();
        // Items that stay: no segment dies whole, so only compaction takes the dead copies.
        if (i % 4 == 0) {
          const std::string key = testing::numbered(std::string(1, 'a' + t), i);
          if (worker.store(StoreMode::kSet, key, std::string(100, 'x')).status !=
              StoreStatus::kStored) {
            errors[t] = "set " + key + " not stored";
            break;
          }
        }
        const StoreStatus status = worker.store(StoreMode::kAppend, "log", record(t, i)).status;
        if (status != StoreStatus::kStored) {
          errors[t] = "append " + std::to_string(i) + " not stored";
          break;
        }
      }
      --appending;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      testing::CommandThread worker(cache);
      std::string& error = errors[kAppenders + r];
      uint64_t last_cas = 0;
      size_t last_size = 0;
      std::array<int, kAppenders> counts{};
      ++readers_ready;
      while (appending.load() > 0 && error.empty()) {
        worker.quiescent();
        const std::optional<testing::Got> got = worker.get("log");
        reads.fetch_add(1, std::memory_order_relaxed);
        if (!got) {
          error = "miss";
          break;
        }
        error = check_records(got->value, counts);
        if (error.empty() && got->cas == last_cas && got->value.size() != last_size) {
          error = "cas " + std::to_string(got->cas) + " with two values";
        }
        last_cas = got->cas;
        last_size = got->value.size();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& error : errors) EXPECT_EQ(error, "");
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(touches.load(), 0);

  testing::CommandThread checker(cache);
  const std::optional<testing::Got> final_value = checker.get("log");
  ASSERT_TRUE(final_value.has_value());
  std::array<int, kAppenders> counts{};
  EXPECT_EQ(check_records(final_value->value, counts), "");
  for (int t = 0; t < kAppenders; ++t) EXPECT_EQ(counts[t], kRecordsPerAppender) << t;
  EXPECT_EQ(cache.stats().evictions, 0u);
  EXPECT_GT(cache.segment_store().counters().compacted.load(), 0u);
}

}  // namespace
}  // namespace cuckood::cache
