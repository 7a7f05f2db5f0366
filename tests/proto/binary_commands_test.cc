// Every binary opcode's success and failure answers, run through a Session at the binary split
// sizes. Expected bytes follow memcached 1.6.18's (captured with raw packets): flags extras on
// hits, the key for GetK/GatK, cas in response headers, messages on errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cache/baseline/libcuckoo_cache.h"
#include "proto/hot_keys.h"
#include "proto/settings.h"
#include "tests/proto/binary_packets.h"

namespace cuckood::proto::testing {
namespace {

using binary::Opcode;
using binary::Status;

std::string set(std::string_view key, std::string_view value, uint32_t flags = 0,
                uint32_t opaque = 0, uint64_t cas = 0, Opcode op = Opcode::kSet) {
  return request({op, key, store_extras(flags, 0), value, opaque, cas});
}
std::string key_only(Opcode op, std::string_view key, uint32_t opaque = 0, uint64_t cas = 0) {
  return request({op, key, "", "", opaque, cas});
}
std::string stored(Opcode op, uint64_t cas, uint32_t opaque = 0) {
  return response({op, Status::kSuccess, "", "", "", opaque, cas});
}
std::string hit(Opcode op, std::string_view value, uint32_t flags, uint64_t cas,
                std::string_view key = "", uint32_t opaque = 0) {
  return response({op, Status::kSuccess, be32(flags), key, value, opaque, cas});
}
std::string noop(uint32_t opaque = 0) {
  return request({Opcode::kNoOp, "", "", "", opaque});
}
std::string noop_reply(uint32_t opaque = 0) {
  return stored(Opcode::kNoOp, 0, opaque);
}

TEST(BinaryGet, SetThenGetReturnsFlagsValueAndCas) {
  expect_binary(set("k", "val", 0xdeadbeef, 1) + key_only(Opcode::kGet, "k", 2),
                stored(Opcode::kSet, 1, 1) + hit(Opcode::kGet, "val", 0xdeadbeef, 1, "", 2));
}

TEST(BinaryGet, GetKEchoesTheKey) {
  expect_binary(set("key", "v", 7) + key_only(Opcode::kGetK, "key", 9),
                stored(Opcode::kSet, 1) + hit(Opcode::kGetK, "v", 7, 1, "key", 9));
}

TEST(BinaryGet, MissSaysNotFound) {
  expect_binary(key_only(Opcode::kGet, "nope", 3),
                error_response(Opcode::kGet, Status::kKeyNotFound, 3));
}

TEST(BinaryGet, GetKMissEchoesTheKeyWithoutMessage) {
  expect_binary(key_only(Opcode::kGetK, "nope", 3),
                response({Opcode::kGetK, Status::kKeyNotFound, "", "nope", "", 3}));
}

TEST(BinaryGet, QuietGetsAnswerHitsOnly) {
  expect_binary(set("a", "1", 1) + key_only(Opcode::kGetQ, "a", 1) +
                    key_only(Opcode::kGetQ, "b", 2) + key_only(Opcode::kGetKQ, "a", 3) +
                    key_only(Opcode::kGetKQ, "b", 4) + noop(5),
                stored(Opcode::kSet, 1) + hit(Opcode::kGetQ, "1", 1, 1, "", 1) +
                    hit(Opcode::kGetKQ, "1", 1, 1, "a", 3) + noop_reply(5));
}

TEST(BinaryGet, EmptyValueAndBinaryKey) {
  const std::string key("a\0 b\r\n", 6);
  expect_binary(set(key, "") + key_only(Opcode::kGetK, key),
                stored(Opcode::kSet, 1) + hit(Opcode::kGetK, "", 0, 1, key));
}

TEST(BinaryGet, ExpiredItemIsAMiss) {
  Env env;
  EXPECT_EQ(env.feed(request({Opcode::kSet, "e", store_extras(0, 10), "v"})),
            stored(Opcode::kSet, 1));
  env.advance(9);
  EXPECT_EQ(env.feed(key_only(Opcode::kGet, "e")), hit(Opcode::kGet, "v", 0, 1));
  env.advance(2);
  EXPECT_EQ(env.feed(key_only(Opcode::kGet, "e")),
            error_response(Opcode::kGet, Status::kKeyNotFound));
}

TEST(BinaryStore, AddStoresOnlyWhenAbsent) {
  expect_binary(set("k", "1", 0, 1, 0, Opcode::kAdd) + set("k", "2", 0, 2, 0, Opcode::kAdd) +
                    key_only(Opcode::kGet, "k"),
                stored(Opcode::kAdd, 1, 1) + error_response(Opcode::kAdd, Status::kKeyExists, 2) +
                    hit(Opcode::kGet, "1", 0, 1));
}

TEST(BinaryStore, ReplaceStoresOnlyWhenPresent) {
  expect_binary(set("k", "1", 0, 1, 0, Opcode::kReplace) + set("k", "1") +
                    set("k", "2", 4, 2, 0, Opcode::kReplace) + key_only(Opcode::kGet, "k"),
                error_response(Opcode::kReplace, Status::kKeyNotFound, 1) +
                    stored(Opcode::kSet, 1) + stored(Opcode::kReplace, 2, 2) +
                    hit(Opcode::kGet, "2", 4, 2));
}

TEST(BinaryStore, CasOnSetIsHonoured) {
  expect_binary(set("k", "1") + set("k", "2", 0, 0, 99) + set("k", "3", 0, 0, 1) +
                    set("absent", "x", 0, 0, 5) + key_only(Opcode::kGet, "k"),
                stored(Opcode::kSet, 1) + error_response(Opcode::kSet, Status::kKeyExists) +
                    stored(Opcode::kSet, 2) + error_response(Opcode::kSet, Status::kKeyNotFound) +
                    hit(Opcode::kGet, "3", 0, 2));
}

TEST(BinaryStore, CasOnAddAndReplaceActsAsCompareAndSwap) {
  // memcached turns any Set/Add/Replace with a cas into a cas store.
  expect_binary(
      set("k", "1", 0, 0, 5, Opcode::kAdd) + set("k", "1") +
          set("k", "2", 0, 0, 7, Opcode::kReplace) + set("k", "2", 0, 0, 1, Opcode::kReplace),
      error_response(Opcode::kAdd, Status::kKeyNotFound) + stored(Opcode::kSet, 1) +
          error_response(Opcode::kReplace, Status::kKeyExists) + stored(Opcode::kReplace, 2));
}

TEST(BinaryStore, AppendPrependKeepFlagsAndHonourCas) {
  expect_binary(
      set("k", "mid", 5) + request({Opcode::kAppend, "k", "", ">"}) +
          request({Opcode::kPrepend, "k", "", "<"}) +
          request({Opcode::kAppend, "k", "", "x", 0, 12345}) + key_only(Opcode::kGet, "k"),
      stored(Opcode::kSet, 1) + stored(Opcode::kAppend, 2) + stored(Opcode::kPrepend, 3) +
          error_response(Opcode::kAppend, Status::kKeyExists) + hit(Opcode::kGet, "<mid>", 5, 3));
}

TEST(BinaryStore, AppendPrependToMissingAreNotStored) {
  expect_binary(request({Opcode::kAppend, "m", "", "x", 1}) +
                    request({Opcode::kPrepend, "m", "", "x", 2}) +
                    request({Opcode::kAppend, "m", "", "x", 3, 9}),
                error_response(Opcode::kAppend, Status::kNotStored, 1) +
                    error_response(Opcode::kPrepend, Status::kNotStored, 2) +
                    error_response(Opcode::kAppend, Status::kNotStored, 3));
}

TEST(BinaryStore, OutOfMemoryIsStatus0x82) {
  Settings settings;
  settings.memory_limit = 4096;
  // On the oracle, LibcuckooCache, which does not evict: a full cache refuses. CuckooCache
  // evicts instead, and runs out of memory only when it has nothing left to evict.
  BasicEnv<cache::LibcuckooCache> env(settings);
  const std::string value(1500, 'v');
  std::string answers;
  for (int i = 0; i < 4; ++i) {
    answers = env.feed(set("k" + std::to_string(i), value, 0, 0, 0, Opcode::kAdd));
  }
  // memcached words it per command: "Out of memory allocating item" for a store.
  EXPECT_EQ(answers, response({Opcode::kAdd, Status::kOutOfMemory, "", "",
                               "Out of memory allocating item", 0, 0}));
}

TEST(BinaryDelete, DeletesHonoursCasAndReportsMisses) {
  expect_binary(
      set("k", "v") + key_only(Opcode::kDelete, "k", 1, 42) + key_only(Opcode::kDelete, "k", 2, 1) +
          key_only(Opcode::kDelete, "k", 3) + key_only(Opcode::kGet, "k", 4),
      stored(Opcode::kSet, 1) + error_response(Opcode::kDelete, Status::kKeyExists, 1) +
          stored(Opcode::kDelete, 0, 2) + error_response(Opcode::kDelete, Status::kKeyNotFound, 3) +
          error_response(Opcode::kGet, Status::kKeyNotFound, 4));
}

std::string arith(Opcode op, std::string_view key, uint64_t delta, uint64_t initial,
                  uint32_t exptime, uint32_t opaque = 0, uint64_t cas = 0) {
  return request({op, key, arith_extras(delta, initial, exptime), "", opaque, cas});
}
std::string counter(Opcode op, uint64_t value, uint64_t cas, uint32_t opaque = 0) {
  return response({op, Status::kSuccess, "", "", be64(value), opaque, cas});
}

TEST(BinaryArith, CreatesWithInitialThenCounts) {
  expect_binary(arith(Opcode::kIncrement, "c", 1, 10, 0, 1) +
                    arith(Opcode::kIncrement, "c", 5, 10, 0, 2) +
                    arith(Opcode::kDecrement, "c", 100, 0, 0, 3) +
                    arith(Opcode::kDecrement, "d", 1, 7, 0, 4) + key_only(Opcode::kGet, "c"),
                counter(Opcode::kIncrement, 10, 1, 1) + counter(Opcode::kIncrement, 15, 2, 2) +
                    counter(Opcode::kDecrement, 0, 3, 3) + counter(Opcode::kDecrement, 7, 4, 4) +
                    hit(Opcode::kGet, "0 ", 0, 3));
}

TEST(BinaryArith, NoCreateExptimeMeansNotFound) {
  expect_binary(arith(Opcode::kIncrement, "c", 1, 10, binary::kArithNoCreate, 1) +
                    arith(Opcode::kDecrement, "c", 1, 10, binary::kArithNoCreate, 2),
                error_response(Opcode::kIncrement, Status::kKeyNotFound, 1) +
                    error_response(Opcode::kDecrement, Status::kKeyNotFound, 2));
}

TEST(BinaryArith, WrapsAt64Bits) {
  expect_binary(set("w", "18446744073709551615") + arith(Opcode::kIncrement, "w", 2, 0, 0),
                stored(Opcode::kSet, 1) + counter(Opcode::kIncrement, 1, 2));
}

TEST(BinaryArith, NonNumericAndCasMismatch) {
  expect_binary(
      set("s", "abc") + arith(Opcode::kIncrement, "s", 1, 0, 0, 1) + set("n", "5") +
          arith(Opcode::kDecrement, "n", 1, 0, 0, 2, 77) +
          arith(Opcode::kDecrement, "n", 1, 0, 0, 3, 2),
      stored(Opcode::kSet, 1) + error_response(Opcode::kIncrement, Status::kNonNumeric, 1) +
          stored(Opcode::kSet, 2) + error_response(Opcode::kDecrement, Status::kKeyExists, 2) +
          counter(Opcode::kDecrement, 4, 3, 3));
}

TEST(BinaryArith, CreatedCounterGetsTheExptime) {
  Env env;
  env.feed(arith(Opcode::kIncrement, "c", 1, 3, 10));
  env.advance(11);
  EXPECT_EQ(env.feed(key_only(Opcode::kGet, "c")),
            error_response(Opcode::kGet, Status::kKeyNotFound));
}

std::string with_exptime(Opcode op, std::string_view key, uint32_t exptime, uint32_t opaque = 0) {
  return request({op, key, be32(exptime), "", opaque});
}

TEST(BinaryTouch, AnswersFlagsAndCasWithoutValue) {
  expect_binary(set("k", "val", 5) + with_exptime(Opcode::kTouch, "k", 100, 1) +
                    with_exptime(Opcode::kTouch, "zz", 100, 2),
                stored(Opcode::kSet, 1) + hit(Opcode::kTouch, "", 5, 1, "", 1) +
                    error_response(Opcode::kTouch, Status::kKeyNotFound, 2));
}

TEST(BinaryTouch, MovesTheDeadline) {
  Env env;
  env.feed(request({Opcode::kSet, "k", store_extras(0, 10), "v"}));
  env.feed(with_exptime(Opcode::kTouch, "k", 100));
  env.advance(50);
  EXPECT_EQ(env.feed(key_only(Opcode::kGet, "k")), hit(Opcode::kGet, "v", 0, 1));
  env.feed(with_exptime(Opcode::kGat, "k", 5));
  env.advance(6);
  EXPECT_EQ(env.feed(key_only(Opcode::kGet, "k")),
            error_response(Opcode::kGet, Status::kKeyNotFound));
}

TEST(BinaryTouch, GatFamilyHitsAndMisses) {
  expect_binary(
      set("g", "val", 3) + with_exptime(Opcode::kGat, "g", 100, 1) +
          with_exptime(Opcode::kGatQ, "g", 100, 2) + with_exptime(Opcode::kGatK, "g", 100, 3) +
          with_exptime(Opcode::kGatKQ, "g", 100, 4) + with_exptime(Opcode::kGat, "m", 100, 5) +
          with_exptime(Opcode::kGatQ, "m", 100, 6) + with_exptime(Opcode::kGatK, "m", 100, 7) +
          with_exptime(Opcode::kGatKQ, "m", 100, 8) + noop(9),
      stored(Opcode::kSet, 1) + hit(Opcode::kGat, "val", 3, 1, "", 1) +
          hit(Opcode::kGatQ, "val", 3, 1, "", 2) + hit(Opcode::kGatK, "val", 3, 1, "g", 3) +
          hit(Opcode::kGatKQ, "val", 3, 1, "g", 4) +
          error_response(Opcode::kGat, Status::kKeyNotFound, 5) +
          response({Opcode::kGatK, Status::kKeyNotFound, "", "m", "", 7}) + noop_reply(9));
}

TEST(BinaryFlush, ImmediateFlushEmptiesTheCache) {
  Env env;
  env.feed(set("a", "1") + set("b", "2"));
  EXPECT_EQ(env.feed(request({Opcode::kFlush, "", "", "", 6})), stored(Opcode::kFlush, 0, 6));
  EXPECT_EQ(env.feed(key_only(Opcode::kGet, "a") + key_only(Opcode::kGetQ, "b") + noop()),
            error_response(Opcode::kGet, Status::kKeyNotFound) + noop_reply());
}

TEST(BinaryFlush, QuietFlushAnswersNothing) {
  expect_binary(set("a", "1") + request({Opcode::kFlushQ, "", "", ""}) +
                    key_only(Opcode::kGetQ, "a") + noop(),
                stored(Opcode::kSet, 1) + noop_reply());
}

TEST(BinaryFlush, DelayedFlushWaitsForItsTime) {
  Env env;
  env.feed(set("a", "1"));
  EXPECT_EQ(env.feed(request({Opcode::kFlush, "", be32(10), ""})), stored(Opcode::kFlush, 0));
  env.advance(5);
  EXPECT_EQ(env.feed(key_only(Opcode::kGet, "a")), hit(Opcode::kGet, "1", 0, 1));
  env.advance(6);
  EXPECT_EQ(env.feed(key_only(Opcode::kGet, "a")),
            error_response(Opcode::kGet, Status::kKeyNotFound));
}

TEST(BinaryMisc, NoOpEchoesOpaque) {
  expect_binary(noop(0xA1B2C3D4), noop_reply(0xA1B2C3D4));
}

TEST(BinaryMisc, VersionAnswersOurVersion) {
  expect_binary(request({Opcode::kVersion, "", "", "", 7}),
                response({Opcode::kVersion, Status::kSuccess, "", "", kVersion, 7}));
}

TEST(BinaryMisc, VerbositySetsTheLevel) {
  Env env;
  EXPECT_EQ(env.feed(request({Opcode::kVerbosity, "", be32(2), "", 4})),
            stored(Opcode::kVerbosity, 0, 4));
  EXPECT_EQ(env.worker().server.verbosity.load(), 2);
  // Higher levels are clamped as the text command clamps them; the word is unsigned.
  for (uint32_t level : {3u, 0x80000000u}) {
    EXPECT_EQ(env.feed(request({Opcode::kVerbosity, "", be32(level), "", 4})),
              stored(Opcode::kVerbosity, 0, 4));
    EXPECT_EQ(env.worker().server.verbosity.load(), 2) << level;
  }
}

TEST(BinaryMisc, QuitAnswersThenCloses) {
  for (size_t split : kBinarySplitSizes) {
    Env env;
    EXPECT_EQ(env.feed(request({Opcode::kQuit, "", "", "", 3}) + noop(), split),
              stored(Opcode::kQuit, 0, 3));
    EXPECT_TRUE(env.session().should_close());
  }
}

TEST(BinaryMisc, QuitQClosesSilently) {
  for (size_t split : kBinarySplitSizes) {
    Env env;
    EXPECT_EQ(env.feed(request({Opcode::kQuitQ, "", "", ""}) + noop(), split), "");
    EXPECT_TRUE(env.session().should_close());
  }
}

// Splits a stat reply into its packets' keys and values; checks every packet's shape.
std::vector<std::pair<std::string, std::string>> stat_packets(std::string_view out,
                                                              uint32_t opaque) {
  std::vector<std::pair<std::string, std::string>> stats;
  while (out.size() >= binary::kHeaderSize) {
    const binary::ResponseHeader h = binary::decode_response_header(out.data());
    EXPECT_EQ(h.magic, binary::kResponseMagic);
    EXPECT_EQ(h.opcode, Opcode::kStat);
    EXPECT_EQ(h.status, Status::kSuccess);
    EXPECT_EQ(h.opaque, opaque);
    EXPECT_EQ(h.extras_length, 0);
    const std::string_view body = out.substr(binary::kHeaderSize, h.body_length);
    stats.emplace_back(body.substr(0, h.key_length), body.substr(h.key_length));
    out.remove_prefix(binary::kHeaderSize + h.body_length);
  }
  EXPECT_TRUE(out.empty());
  return stats;
}

TEST(BinaryStat, GeneralStatsOnePacketEachThenTerminator) {
  for (size_t split : kBinarySplitSizes) {
    Env env;
    env.feed(set("k", "v") + key_only(Opcode::kGet, "k"));
    const auto stats = stat_packets(env.feed(request({Opcode::kStat, "", "", "", 77}), split), 77);
    ASSERT_GE(stats.size(), 3u);
    EXPECT_EQ(stats.front().first, "pid");
    EXPECT_EQ(stats.back(), std::make_pair(std::string(), std::string()));
    EXPECT_NE(std::find(stats.begin(), stats.end(),
                        std::make_pair(std::string("get_hits"), std::string("1"))),
              stats.end());
  }
}

TEST(BinaryStat, GroupsSettingsItemsSlabs) {
  Env env;
  env.feed(set("k", "v"));
  for (std::string_view group : {"settings", "items", "slabs"}) {
    const auto stats = stat_packets(env.feed(key_only(Opcode::kStat, group, 1)), 1);
    ASSERT_GE(stats.size(), 2u) << group;
    EXPECT_EQ(stats.back().first, "") << group;
  }
  const auto settings = stat_packets(env.feed(key_only(Opcode::kStat, "settings", 1)), 1);
  EXPECT_EQ(settings.front(), std::make_pair(std::string("maxbytes"), std::string("67108864")));
}

TEST(BinaryStat, ResetClearsCountersAndAnswersTerminatorOnly) {
  Env env;
  env.feed(key_only(Opcode::kGet, "missing"));
  EXPECT_EQ(env.feed(key_only(Opcode::kStat, "reset", 2)), stored(Opcode::kStat, 0, 2));
  EXPECT_EQ(env.worker().stats.get_misses.load(), 0u);
}

TEST(BinaryStat, DetailOnOffAndDumpAsOneStat) {
  Env env;
  EXPECT_EQ(stat_packets(env.feed(key_only(Opcode::kStat, "detail on", 3)), 3),
            (std::vector<std::pair<std::string, std::string>>{{"", ""}}));
  env.feed(set("a:1", "v") + key_only(Opcode::kGet, "a:2"));
  EXPECT_EQ(stat_packets(env.feed(key_only(Opcode::kStat, "detail dump", 4)), 4),
            (std::vector<std::pair<std::string, std::string>>{
                {"detailed", "PREFIX a get 1 hit 0 set 1 del 0\r\nEND\r\n"}, {"", ""}}));
  env.feed(key_only(Opcode::kStat, "detail off", 5));
  EXPECT_FALSE(env.worker().server.runtime.detail_enabled.load());
  EXPECT_EQ(env.feed(key_only(Opcode::kStat, "detail x", 6)),
            error_response(Opcode::kStat, Status::kKeyNotFound, 6));
}

// cuckood's `stats hotkeys [N]` over binary: the same entries as text, one packet each; the
// count follows the group after a space, as "detail"'s action does.
TEST(BinaryStat, HotkeysWithAndWithoutACount) {
  Env env;
  env.feed(set("hot", "h") + set("warm", "w") + set("cold", "c"));
  std::string gets;
  for (int i = 0; i < 60; ++i) {
    for (const char* key : {"hot", "hot", "hot", "warm", "warm", "cold"}) {
      gets += key_only(Opcode::kGet, key);
    }
  }
  for (int i = 0; i < 10; ++i) env.feed(gets);
  env.advance(HotKeys::kInterval);
  env.feed(gets);  // hands the first interval over
  const auto two = stat_packets(env.feed(key_only(Opcode::kStat, "hotkeys 2", 7)), 7);
  ASSERT_EQ(two.size(), 5u);
  EXPECT_EQ(two[0], std::make_pair(std::string("hotkeys_interval"), std::string("10")));
  EXPECT_EQ(two[1], std::make_pair(std::string("hotkeys_sample_every"), std::string("16")));
  EXPECT_EQ(two[2].first, "key:hot");
  EXPECT_EQ(two[3].first, "key:warm");
  EXPECT_GT(std::stoull(two[2].second), std::stoull(two[3].second));
  EXPECT_EQ(two[4], std::make_pair(std::string(), std::string()));
  const auto all = stat_packets(env.feed(key_only(Opcode::kStat, "hotkeys", 8)), 8);
  ASSERT_EQ(all.size(), 6u) << "three keys were read";
  EXPECT_EQ(all[4].first, "key:cold");
  for (std::string_view bad : {"hotkeys x", "hotkeysx"}) {
    EXPECT_EQ(env.feed(key_only(Opcode::kStat, bad, 9)),
              error_response(Opcode::kStat, Status::kKeyNotFound, 9))
        << bad;
  }
}

TEST(BinaryStat, IndexGroup) {
  Env env;
  const auto stats = stat_packets(env.feed(key_only(Opcode::kStat, "index", 3)), 3);
  std::vector<std::string> names;
  for (const auto& [name, value] : stats) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"index_buckets", "index_slots", "index_bytes",
                                             "index_growths", "index_growing", ""}));
}

TEST(BinaryStat, UnknownGroupIsNotFound) {
  expect_binary(key_only(Opcode::kStat, "bogus", 5) + noop(),
                error_response(Opcode::kStat, Status::kKeyNotFound, 5) + noop_reply());
}

// As memcached's process_bin_stat: "detail" takes its action as a prefix (t/binary.t sends
// "detail on"); on and off answer the terminator alone, dump one "detailed" statistic.
TEST(BinaryStat, DetailOnOffDump) {
  expect_binary(key_only(Opcode::kStat, "detail on", 1) + key_only(Opcode::kStat, "detail off", 2) +
                    key_only(Opcode::kStat, "detail onwards", 3) +
                    key_only(Opcode::kStat, "detail bogus", 4) + noop(),
                stored(Opcode::kStat, 0, 1) + stored(Opcode::kStat, 0, 2) +
                    stored(Opcode::kStat, 0, 3) +
                    error_response(Opcode::kStat, Status::kKeyNotFound, 4) + noop_reply());
  Env env;
  const auto dump = stat_packets(env.feed(key_only(Opcode::kStat, "detail dump", 6)), 6);
  ASSERT_EQ(dump.size(), 2u);
  EXPECT_EQ(dump[0], std::make_pair(std::string("detailed"), std::string("END\r\n")));
  EXPECT_EQ(dump[1], std::make_pair(std::string(), std::string()));
}

// memcached matches "reset" and "settings" as prefixes too, other groups exactly; `stats conns`
// exists in its text protocol only.
TEST(BinaryStat, PrefixAndExactGroups) {
  Env env;
  EXPECT_EQ(env.feed(key_only(Opcode::kStat, "resetting", 2)), stored(Opcode::kStat, 0, 2));
  const auto settings = stat_packets(env.feed(key_only(Opcode::kStat, "settingsx", 1)), 1);
  EXPECT_EQ(settings.front(), std::make_pair(std::string("maxbytes"), std::string("67108864")));
  expect_binary(key_only(Opcode::kStat, "itemsx", 5) + key_only(Opcode::kStat, "conns", 6),
                error_response(Opcode::kStat, Status::kKeyNotFound, 5) +
                    error_response(Opcode::kStat, Status::kKeyNotFound, 6));
}

}  // namespace
}  // namespace cuckood::proto::testing
