// The codecs' pre-scan (proto/request_keys.h): which keys a buffer of requests yields, where
// the scan stops, and that prefetching them (proto::prefetch) changes no reply or statistic.
#include "proto/request_keys.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "proto/binary_protocol.h"
#include "proto/commands.h"
#include "tests/proto/binary_packets.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto {
namespace {

using binary::Opcode;

using Keys = std::vector<std::string>;

// What a scan found: the keys and how many bytes it covered.
struct Scanned {
  Keys keys;
  size_t bytes = 0;
  bool operator==(const Scanned&) const = default;
  friend std::ostream& operator<<(std::ostream& out, const Scanned& s) {
    out << s.bytes << " bytes, keys";
    for (const std::string& k : s.keys) out << " " << k;
    return out;
  }
};

Scanned scan(size_t (*scanner)(std::string_view, size_t, KeyBatch&), std::string_view input,
             size_t max_requests) {
  KeyBatch batch;
  Scanned s;
  s.bytes = scanner(input, max_requests, batch);
  for (std::string_view k : batch.keys()) s.keys.emplace_back(k);
  return s;
}
Scanned scan_text(std::string_view input, size_t max_requests = SIZE_MAX) {
  return scan(scan_text_keys, input, max_requests);
}
Scanned scan_binary(std::string_view input, size_t max_requests = SIZE_MAX) {
  return scan(scan_binary_keys, input, max_requests);
}

TEST(ScanTextKeys, PipelinedAndMultiKeyRetrievals) {
  const std::string input =
      "get a\r\ngets b c\r\nbget d\r\ngat 10 e f\r\ngats 0 g\nget  h   i \r\n";
  const Scanned s = scan_text(input);
  EXPECT_EQ(s.keys, (Keys{"a", "b", "c", "d", "e", "f", "g", "h", "i"}));
  EXPECT_EQ(s.bytes, input.size());
}

TEST(ScanTextKeys, StepsOverDataBlocksAndTakesEveryKeyedCommand) {
  // The value of the set looks like a get line; the scan must not read it as one.
  const std::string input =
      "set s 0 0 11\r\nget notakey\r\nget a\r\ndelete d\r\nincr n 1\r\ndecr m 1\r\n"
      "touch t 10\r\ncas c 1 2 3 4 noreply\r\nxyz\r\nappend p 0 0 0\r\n\r\n"
      "ms m 2 T0\r\nhi\r\nmn\r\nmd x q\r\nma y\r\nstats items\r\nversion\r\nmg b v\r\n";
  const Scanned s = scan_text(input);
  EXPECT_EQ(s.keys, (Keys{"s", "a", "d", "n", "m", "t", "c", "p", "m", "x", "y", "b"}));
  EXPECT_EQ(s.bytes, input.size());
}

TEST(ScanTextKeys, MetaKeysUnlessBase64) {
  const Scanned s =
      scan_text("mg k1 v f t\r\nmg a2V5 b v\r\nms a2V5 1 b\r\nx\r\nmd a2V5 q b\r\nmg k2\r\n");
  EXPECT_EQ(s.keys, (Keys{"k1", "k2"}));
}

TEST(ScanTextKeys, LeavesAPartialRequestAtTheEndAlone) {
  EXPECT_EQ(scan_text("get a\r\nget b"), (Scanned{{"a"}, 7}));
  // A storage line whose data block has not fully arrived ends the scan before it.
  EXPECT_EQ(scan_text("get a\r\nset k 0 0 5\r\nabc"), (Scanned{{"a"}, 7}));
  EXPECT_EQ(scan_text("set k 0 0 5\r\nabcde\r"), Scanned{});
  EXPECT_EQ(scan_text(""), Scanned{});
}

TEST(ScanTextKeys, StopsAtAStorageLineWithoutALength) {
  EXPECT_EQ(scan_text("get a\r\nset k 0 0 x\r\nget b\r\n"), (Scanned{{"a"}, 7}));
  EXPECT_EQ(scan_text("set k 0\r\nget b\r\n"), Scanned{});
  EXPECT_EQ(scan_text("set k 0 0 -1\r\nget b\r\n"), Scanned{});
}

TEST(ScanTextKeys, LeavesOutKeysMemcachedRefuses) {
  const std::string too_long(251, 'x');
  EXPECT_EQ(scan_text("get " + too_long + " ok\r\n").keys, Keys{"ok"});
}

TEST(ScanTextKeys, StopsWhenTheBatchIsFull) {
  std::string line = "get";
  for (size_t i = 0; i < KeyBatch::kCapacity + 5; ++i) line += " k" + std::to_string(i);
  line += "\r\n";
  const Scanned s = scan_text(line + "get next\r\n");
  ASSERT_EQ(s.keys.size(), KeyBatch::kCapacity);
  EXPECT_EQ(s.keys.back(), "k" + std::to_string(KeyBatch::kCapacity - 1));
  EXPECT_EQ(s.bytes, line.size());  // the cut line counts as scanned; the next is not
}

TEST(ScanTextKeys, StopsAfterTheRequestsItIsAllowed) {
  EXPECT_EQ(scan_text("mn\r\nget a b\r\nget c\r\n", 2), (Scanned{{"a", "b"}, 13}));
  EXPECT_EQ(scan_text("get a\r\nget b\r\n", 0), Scanned{});
}

TEST(ScanBinaryKeys, EveryKeyedRequestInEveryForm) {
  using enum Opcode;
  std::string input;
  for (Opcode op : {kGet, kGetQ, kGetK, kGetKQ, kDelete, kDeleteQ}) {
    input += testing::request({op, "g", "", ""});
  }
  for (Opcode op : {kGat, kGatQ, kGatK, kGatKQ, kTouch}) {
    input += testing::request({op, "t", testing::be32(10), ""});
  }
  for (Opcode op : {kSet, kSetQ, kAdd, kAddQ, kReplace, kReplaceQ}) {
    input += testing::request({op, "s", testing::store_extras(0, 0), "value"});
  }
  for (Opcode op : {kAppend, kAppendQ, kPrepend, kPrependQ}) {
    input += testing::request({op, "p", "", "v"});
  }
  for (Opcode op : {kIncrement, kIncrementQ, kDecrement, kDecrementQ}) {
    input += testing::request({op, "n", testing::arith_extras(1, 0, 0), ""});
  }
  // No key the cache looks up: skipped.
  input += testing::request({kNoOp, "", "", ""});
  input += testing::request({kStat, "items", "", ""});
  input += testing::request({kVersion, "", "", ""});
  const Scanned s = scan_binary(input);
  Keys expected;
  for (const auto& [key, times] : {std::pair{"g", 6}, {"t", 5}, {"s", 6}, {"p", 4}, {"n", 4}}) {
    expected.insert(expected.end(), times, key);
  }
  EXPECT_EQ(s.keys, expected);
  EXPECT_EQ(s.bytes, input.size());
}

TEST(ScanBinaryKeys, KeysAreCacheKeysOnly) {
  using enum Opcode;
  for (Opcode op : {kGet, kGatKQ, kTouch, kSetQ, kAppend, kDeleteQ, kIncrement, kDecrementQ}) {
    EXPECT_TRUE(binary::looks_up_key(op)) << static_cast<int>(op);
  }
  // SASL's key is a mechanism, stat's a group; the rest name no key; 0x30 is no opcode.
  for (Opcode op : {kSaslAuth, kSaslStep, kSaslListMechs, kStat, kNoOp, kVersion, kFlush, kQuit,
                    kVerbosity, static_cast<Opcode>(0x30)}) {
    EXPECT_FALSE(binary::looks_up_key(op)) << static_cast<int>(op);
  }
}

TEST(ScanBinaryKeys, StopsAtAPartialPacket) {
  const std::string noop = testing::request({Opcode::kNoOp, "", "", ""});
  const std::string get = testing::request({Opcode::kGetKQ, "a", "", ""});
  const std::string last = testing::request({Opcode::kSet, "b", testing::store_extras(0, 0), "v"});
  const std::string input = noop + get + last.substr(0, last.size() - 1);
  const Scanned s = scan_binary(input);
  EXPECT_EQ(s.keys, Keys{"a"});
  EXPECT_EQ(s.bytes, noop.size() + get.size());
  EXPECT_EQ(scan_binary(get.substr(0, 23)).bytes, 0u);
}

TEST(ScanBinaryKeys, StopsAfterTheRequestsItIsAllowed) {
  const std::string get = testing::request({Opcode::kGetQ, "a", "", ""});
  const Scanned s = scan_binary(get + get + get, 2);
  EXPECT_EQ(s, (Scanned{{"a", "a"}, 2 * get.size()}));
}

TEST(ScanBinaryKeys, StopsAtABadMagicAndSkipsMalformedKeys) {
  std::string bad = testing::request({Opcode::kGet, "x", "", ""});
  bad[0] = 'g';
  EXPECT_EQ(scan_binary(bad).bytes, 0u);
  binary::RequestHeader h;
  h.opcode = Opcode::kGet;
  h.key_length = 10;  // longer than the body
  h.body_length = 2;
  const std::string malformed = testing::raw_header(h) + "ab";
  const Scanned s = scan_binary(malformed);
  EXPECT_TRUE(s.keys.empty());
  EXPECT_EQ(s.bytes, malformed.size());
}

TEST(Prefetch, CountsNothingAndChangesNoReply) {
  testing::Env env;
  EXPECT_EQ(env.feed("set a 0 0 1\r\nx\r\nset b 0 0 1\r\ny\r\n"), "STORED\r\nSTORED\r\n");
  CommandStats& stats = env.worker().stats;
  const uint64_t gets = stats.cmd_get.load(), misses = stats.get_misses.load();
  const cache::CacheStats before = env.worker().cache.stats();
  std::vector<std::string_view> keys = {"a", "b", "absent", "a"};
  prefetch(env.worker(), keys);
  prefetch(env.worker(), std::span<const std::string_view>{});
  EXPECT_EQ(stats.cmd_get.load(), gets);
  EXPECT_EQ(stats.get_misses.load(), misses);
  EXPECT_EQ(env.worker().cache.stats().found_expired, before.found_expired);
  EXPECT_EQ(env.worker().cache.stats().curr_items, before.curr_items);
  EXPECT_EQ(env.feed("mg a h\r\n"), "HD h0\r\n");  // not fetched by the prefetch
  EXPECT_EQ(env.feed("get a b absent\r\n"), "VALUE a 0 1\r\nx\r\nVALUE b 0 1\r\ny\r\nEND\r\n");
}

// Mixed pipelines answer exactly as one request at a time would, however they are split.
TEST(Prefetch, MixedTextPipelinesAnswerInOrder) {
  const std::string input =
      "get k\r\nset k 0 0 1 noreply\r\n1\r\nget k j\r\nmg k v\r\nset j 0 0 2\r\n22\r\n"
      "gets j\r\ndelete k noreply\r\nget k j\r\n";
  std::string expected;
  {
    testing::Env one_by_one;
    size_t pos = 0;
    while (pos < input.size()) {
      size_t end = input.find('\n', pos) + 1;
      if (input.compare(pos, 4, "set ") == 0) end = input.find('\n', end) + 1;
      expected += one_by_one.feed(input.substr(pos, end - pos));
      pos = end;
    }
  }
  ASSERT_NE(expected.find("VALUE k 0 1\r\n1\r\n"), std::string::npos) << expected;
  for (size_t split : testing::kSplitSizes) {
    testing::Env env;
    EXPECT_EQ(env.feed(input, split), expected) << "split " << split;
  }
}

}  // namespace
}  // namespace cuckood::proto
