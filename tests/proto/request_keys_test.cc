// The codecs' pre-scan (proto/request_keys.h): which keys a buffer of requests yields, where
// the scan stops, and that prefetching them (proto::prefetch) changes no reply or statistic.
#include "proto/request_keys.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cache/baseline/libcuckoo_cache.h"
#include "proto/binary_protocol.h"
#include "proto/commands.h"
#include "proto/text_protocol.h"
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

Scanned collect(const KeyBatch& batch, size_t bytes) {
  Scanned s;
  s.bytes = bytes;
  for (std::string_view k : batch.keys()) s.keys.emplace_back(k);
  return s;
}
Scanned scan_text(std::string_view input, size_t max_requests = SIZE_MAX) {
  KeyBatch batch;
  ScannedLines lines;
  const size_t bytes = scan_text_keys(input, max_requests, batch, lines);
  return collect(batch, bytes);
}
Scanned scan_binary(std::string_view input, size_t max_requests = SIZE_MAX) {
  KeyBatch batch;
  const size_t bytes = scan_binary_keys(input, max_requests, batch);
  return collect(batch, bytes);
}

// A scanned line as the codec would have found and split it itself.
void expect_split_as_the_codec_does(std::string_view input, const ScannedLine& scanned) {
  const std::string_view rest = input.substr(scanned.offset);
  const size_t newline = rest.find('\n');
  ASSERT_NE(newline, std::string_view::npos);
  EXPECT_EQ(scanned.size, newline + 1);
  EXPECT_EQ(scanned.line, text::command_line(rest, newline));
  EXPECT_EQ(scanned.line.data(), rest.data());  // a view into the input, not a copy
  text::Tokens tokens;
  text::tokenize(scanned.line, tokens);
  ASSERT_EQ(scanned.tokens.count(), tokens.count());
  for (size_t i = 0; i < tokens.count(); ++i) EXPECT_EQ(scanned.tokens[i], tokens[i]);
  EXPECT_EQ(scanned.tokens.rest, tokens.rest);
  EXPECT_EQ(scanned.command, tokens.count() > 0 ? text::find_command(tokens[0]) : nullptr);
}

std::vector<size_t> offsets(const ScannedLines& lines) {
  std::vector<size_t> out;
  for (const ScannedLine& l : lines.span()) out.push_back(l.offset);
  return out;
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

TEST(ScanTextKeys, HandsOverEachRequestLineSplitAsTheCodecSplitsIt) {
  std::string many_keys = "get";
  for (int i = 0; i < 25; ++i) many_keys += " k" + std::to_string(i);  // past kMaxTokens
  const std::string input = "get a\r\nset s 0 0 11\r\nget notakey\r\nmn\nxyz  1\r\n\r\n" +
                            many_keys + "\r\nms m 2 T0 \r\nhi\r\n";
  KeyBatch batch;
  ScannedLines lines;
  EXPECT_EQ(scan_text_keys(input, SIZE_MAX, batch, lines), input.size());
  // Every request's line, the set's data block stepped over.
  EXPECT_EQ(offsets(lines), (std::vector<size_t>{0, 7, 34, 37, 45, 47, 47 + many_keys.size() + 2}));
  for (const ScannedLine& l : lines.span()) expect_split_as_the_codec_does(input, l);
  EXPECT_EQ(batch.keys().size(), 28u);  // a, s, k0..k24, m
  EXPECT_EQ(lines[1].command->name, "set");
  EXPECT_EQ(lines[4].command, nullptr);  // unknown: the codec answers it
  EXPECT_EQ(lines[4].line, "\r");        // a lone '\r' stays, as memcached keeps it
}

TEST(ScanTextKeys, HandsOverNoLineItStoppedAtOrThatIsTooLong) {
  const std::string long_get = "get " + std::string(kMaxLineWithoutNewline, 'k') + " key\r\n";
  const std::string input = "get a\r\n" + long_get + "get b\r\nset k 0 0 x\r\nget c\r\n";
  KeyBatch batch;
  ScannedLines lines;
  scan_text_keys(input, SIZE_MAX, batch, lines);
  EXPECT_EQ(collect(batch, 0).keys, (Keys{"a", "key", "b"}));  // the long line's keys count
  // The long line is the codec's to answer in parts; the set without a length ends the scan.
  EXPECT_EQ(offsets(lines), (std::vector<size_t>{0, 7 + long_get.size()}));
}

TEST(ScanTextKeys, HandsOverAtMostOneLinePerRequestAllowed) {
  KeyBatch batch;
  ScannedLines lines;
  std::string input;
  for (size_t i = 0; i < ScannedLines::kCapacity + 3; ++i) input += "mn\r\n";
  EXPECT_EQ(scan_text_keys(input, SIZE_MAX, batch, lines), 4 * ScannedLines::kCapacity);
  EXPECT_TRUE(lines.full());
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

// The codec runs a line the scan split exactly as one it finds and splits itself: the same
// input, at every split size, answers alike on the shipping cache (where every read is scanned)
// and on the oracle (whose prefetch never pays, so nothing is scanned). The input has the lines
// where the codec consumes other than the scan stepped: a storage line refused before its data
// (whose data then runs as a line), a refused value swallowed, a lone "\r", a line too long
// for the scan to hand over, a storage line without a length.
TEST(Prefetch, ScannedLinesAnswerAsUnscannedOnes) {
  const std::string input = "set j 0 0 2\r\n22\r\nset k 0 0 5 a b\r\nhello\r\nget j k\r\n" +
                            ("set big 0 0 1100000\r\n" + std::string(1100000, 'v') + "\r\n") +
                            "get j\r\n\r\nmn\r\nget " + std::string(kMaxLineWithoutNewline, 'x') +
                            " j\r\ndelete j noreply\r\nget j\r\nset q 0 0 x\r\nget j\r\n";
  for (size_t split : {size_t{0}, size_t{1000}, size_t{10}, size_t{1}}) {
    testing::Env scanned;
    testing::BasicEnv<cache::LibcuckooCache> unscanned;
    ASSERT_TRUE(scanned.worker().cache.prefetch_pays());
    ASSERT_FALSE(unscanned.worker().cache.prefetch_pays());
    const std::string answer = scanned.feed(input, split);
    EXPECT_EQ(answer, unscanned.feed(input, split)) << "split " << split;
    EXPECT_TRUE(answer.starts_with("STORED\r\nERROR\r\nERROR\r\nVALUE j 0 2\r\n22\r\nEND\r\n"));
    EXPECT_NE(answer.find("SERVER_ERROR object too large for cache\r\nVALUE j"), std::string::npos);
    EXPECT_TRUE(
        answer.ends_with("MN\r\nCLIENT_ERROR bad command line format\r\nEND\r\n"
                         "CLIENT_ERROR bad command line format\r\nEND\r\n"));
  }
}

}  // namespace
}  // namespace cuckood::proto
