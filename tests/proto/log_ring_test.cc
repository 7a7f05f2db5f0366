// LogRing: records in order, refusal when full, wrap-around, and one writer thread against one
// reader thread (run under TSan by scripts/sanitize.sh).
#include "proto/log_ring.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace cuckood::proto {
namespace {

TEST(LogRing, RecordsComeOutInOrderWithTheirGids) {
  LogRing ring(256);
  uint64_t gid = 0;
  EXPECT_FALSE(ring.front_gid(gid));
  EXPECT_TRUE(ring.push(7, {"ab", "c"}));
  EXPECT_TRUE(ring.push(9, {"", "de\n"}));
  std::string out;
  ASSERT_TRUE(ring.front_gid(gid));
  EXPECT_EQ(gid, 7u);
  EXPECT_EQ(ring.pop(out), 3u);
  ASSERT_TRUE(ring.front_gid(gid));
  EXPECT_EQ(gid, 9u);
  ring.pop(out);
  EXPECT_EQ(out, "abcde\n");
  EXPECT_FALSE(ring.front_gid(gid));
}

TEST(LogRing, RefusesWhatDoesNotFitAndTakesItAfterARead) {
  LogRing ring(2 * LogRing::kRecordHeader + 10);
  EXPECT_TRUE(ring.push(1, {"12345"}));
  EXPECT_TRUE(ring.fits(5));
  EXPECT_TRUE(ring.push(2, {"12345"}));
  EXPECT_FALSE(ring.fits(1));
  EXPECT_FALSE(ring.push(3, {"x"}));
  std::string out;
  ring.pop(out, /*keep=*/false);
  EXPECT_EQ(out, "");
  EXPECT_TRUE(ring.push(3, {"x"}));
  ring.pop(out);
  ring.pop(out);
  EXPECT_EQ(out, "12345x");
}

TEST(LogRing, RecordsWrapAroundTheEnd) {
  LogRing ring(40);  // records of 12 + 9 bytes wrap on the second lap
  std::string out;
  for (int i = 0; i < 20; ++i) {
    const std::string text = "record" + std::to_string(100 + i);
    ASSERT_TRUE(ring.push(static_cast<uint64_t>(i), {text}));
    out.clear();
    ring.pop(out);
    EXPECT_EQ(out, text);
  }
}

TEST(LogRing, ClearForgetsEverything) {
  LogRing ring(128);
  ring.push(1, {"a"});
  ring.push(2, {"b"});
  ring.clear();
  uint64_t gid = 0;
  EXPECT_FALSE(ring.front_gid(gid));
  EXPECT_TRUE(ring.fits(128 - LogRing::kRecordHeader));
}

TEST(LogRing, OneWriterAndOneReaderThread) {
  LogRing ring(1024);
  constexpr uint64_t kRecords = 20000;
  std::thread writer([&ring] {
    for (uint64_t i = 1; i <= kRecords;) {
      const std::string text = std::to_string(i);
      if (ring.push(i, {text, ";"})) ++i;
    }
  });
  uint64_t next = 1;
  std::string out;
  while (next <= kRecords) {
    uint64_t gid = 0;
    if (!ring.front_gid(gid)) continue;
    ASSERT_EQ(gid, next);
    out.clear();
    ring.pop(out);
    ASSERT_EQ(out, std::to_string(next) + ";");
    ++next;
  }
  writer.join();
}

}  // namespace
}  // namespace cuckood::proto
