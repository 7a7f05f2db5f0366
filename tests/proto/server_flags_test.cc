// The rules behind memcached's -M (no evictions), -C (no cas), -F (no flush_all) and -X (no
// dump commands), through the text, meta and binary codecs. Expected bytes are memcached
// 1.6.18's, captured from `memcached -M -m 2`, `-C`, `-F -X` with raw sockets; where cuckood
// differs on purpose (wip.md, Decisions "-M/-C/-F/-X") the test says so.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "proto/settings.h"
#include "tests/proto/binary_packets.h"

namespace cuckood::proto::testing {
namespace {

using binary::Opcode;
using binary::Status;

std::string stat_value(const std::string& stats, const std::string& name) {
  const std::string prefix = "STAT " + name + " ";
  const size_t at = stats.find(prefix);
  if (at == std::string::npos) return "<missing>";
  const size_t start = at + prefix.size();
  return stats.substr(start, stats.find("\r\n", start) - start);
}

// A binary client over the same worker as an Env's text session (memcached picks the protocol
// per connection, so binary requests need a connection of their own).
class BinaryClient {
 public:
  explicit BinaryClient(Worker& w) : session_(w) {}
  std::string ask(const std::string& packets) {
    std::string out;
    EXPECT_EQ(session_.process(packets, out), packets.size());
    return out;
  }

 private:
  Session session_;
};

// One request packet (opaque 0) and one response packet (opaque 0, cas 0).
std::string req(Opcode op, std::string_view key = "", std::string extras = "",
                std::string_view value = "", uint64_t cas = 0) {
  return request({op, key, std::move(extras), value, 0, cas});
}
std::string resp(Opcode op, Status status, std::string extras = "", std::string_view value = "") {
  return response({op, status, std::move(extras), "", value, 0, 0});
}
std::string stored(Opcode op) {
  return resp(op, Status::kSuccess);
}
std::string error_with(Opcode op, Status status, std::string_view message) {
  return resp(op, status, "", message);
}

// ---- -M ---------------------------------------------------------------------------------

const std::string kValue(1000, 'v');

std::string set_line(const std::string& key) {
  return "set " + key + " 0 0 1000\r\n" + kValue + "\r\n";
}

Settings no_evictions() {
  Settings settings;
  settings.evictions = false;       // -M
  settings.memory_limit = 1 << 20;  // 8 segments of 128 KiB
  return settings;
}

// Stores k0, k1, ... of 1000 bytes until the cache refuses one, as memcached -M -m 2 did
// after 1770; returns how many it took.
size_t fill(Env& env) {
  for (size_t i = 0;; ++i) {
    const std::string reply = env.feed(set_line("k" + std::to_string(i)));
    if (reply != "STORED\r\n") {
      EXPECT_EQ(reply, "SERVER_ERROR out of memory storing object\r\n");
      return i;
    }
  }
}

TEST(NoEvictions, AFullCacheRefusesStoresInMemcachedsWords) {
  Env env(no_evictions());
  EXPECT_EQ(env.feed("set n 0 0 2\r\n99\r\n"), "STORED\r\n");
  const size_t stored = fill(env);
  ASSERT_GT(stored, 500u);
  const std::string oom = "SERVER_ERROR out of memory storing object\r\n";
  EXPECT_EQ(env.feed(set_line("new")), oom);
  EXPECT_EQ(env.feed("add new 0 0 1000\r\n" + kValue + "\r\n"), oom);
  EXPECT_EQ(env.feed("replace k3 0 0 1000\r\n" + kValue + "\r\n"), oom);
  EXPECT_EQ(env.feed("get k3\r\n"), "VALUE k3 0 1000\r\n" + kValue + "\r\nEND\r\n");  // kept
  EXPECT_EQ(env.feed("append k4 0 0 1000\r\n" + kValue + "\r\n"), oom);
  EXPECT_EQ(env.feed("prepend k4 0 0 1000\r\n" + kValue + "\r\n"), oom);
  EXPECT_EQ(env.feed("append k4 0 0 1000 noreply\r\n" + kValue + "\r\nmn\r\n"), "MN\r\n");
  EXPECT_EQ(env.feed("ms new 1000\r\n" + kValue + "\r\n"), oom);
  // memcached's wording for incr (proto_text.c; its in-place incr seldom needs memory).
  EXPECT_EQ(env.feed("incr n 1\r\n"), "SERVER_ERROR out of memory\r\n");
  EXPECT_EQ(env.feed("ma n\r\n"), "SERVER_ERROR out of memory\r\n");
  EXPECT_EQ(env.feed("ma fresh N0\r\n"), "SERVER_ERROR Out of memory allocating new item\r\n");
  // A set that fails takes the old value with it, as memcached's does.
  EXPECT_EQ(env.feed(set_line("k1")), oom);
  EXPECT_EQ(env.feed("get k1\r\n"), "END\r\n");
  const std::string stats = env.feed("stats\r\n");
  EXPECT_EQ(stat_value(stats, "evictions"), "0");
  EXPECT_NE(stat_value(stats, "store_no_memory"), "0");
  EXPECT_EQ(env.feed("get k0 k5\r\n"),
            "VALUE k0 0 1000\r\n" + kValue + "\r\nVALUE k5 0 1000\r\n" + kValue + "\r\nEND\r\n");
}

TEST(NoEvictions, BinaryWordsOutOfMemoryPerCommand) {
  Env env(no_evictions());
  EXPECT_EQ(env.feed("set n 0 0 2\r\n99\r\n"), "STORED\r\n");
  fill(env);
  BinaryClient client(env.worker());
  const std::string extras = store_extras(0, 0);
  const std::string_view message = "Out of memory allocating item";
  EXPECT_EQ(client.ask(req(Opcode::kAdd, "new", extras, kValue)),
            error_with(Opcode::kAdd, Status::kOutOfMemory, message));
  EXPECT_EQ(client.ask(req(Opcode::kReplace, "k6", extras, kValue)),
            error_with(Opcode::kReplace, Status::kOutOfMemory, message));
  EXPECT_EQ(client.ask(req(Opcode::kSet, "k7", extras, kValue)),
            error_with(Opcode::kSet, Status::kOutOfMemory, message));
  EXPECT_EQ(client.ask(req(Opcode::kSetQ, "k9", extras, kValue)),
            error_with(Opcode::kSetQ, Status::kOutOfMemory, message));
  EXPECT_EQ(client.ask(req(Opcode::kAppend, "k8", "", kValue)),
            error_with(Opcode::kAppend, Status::kOutOfMemory, message));
  EXPECT_EQ(
      client.ask(req(Opcode::kIncrement, "n", arith_extras(1, 0, 0))),
      error_with(Opcode::kIncrement, Status::kOutOfMemory, "Out of memory incrementing value"));
  EXPECT_EQ(
      client.ask(req(Opcode::kIncrement, "fresh", arith_extras(1, 5, 0))),
      error_with(Opcode::kIncrement, Status::kOutOfMemory, "Out of memory allocating new item"));
  // A failed Set or SetQ takes the old item with it (memcached normalises SetQ to Set first);
  // Replace keeps it.
  EXPECT_EQ(env.feed("get k7 k9\r\n"), "END\r\n");
  EXPECT_EQ(env.feed("mg k6 s\r\n"), "HD s1000\r\n");
}

TEST(NoEvictions, ExpiredAndFlushedItemsAreReclaimed) {
  Env env(no_evictions());
  size_t stored = 0;
  for (;; ++stored) {
    if (env.feed("set e" + std::to_string(stored) + " 0 100 1000\r\n" + kValue + "\r\n") !=
        "STORED\r\n") {
      break;
    }
  }
  EXPECT_EQ(env.feed(set_line("x")), "SERVER_ERROR out of memory storing object\r\n");
  env.advance(101);
  EXPECT_EQ(env.feed(set_line("x")), "STORED\r\n");
  EXPECT_GE(fill(env), stored * 9 / 10);
  EXPECT_EQ(env.feed("flush_all\r\n"), "OK\r\n");
  EXPECT_EQ(env.feed(set_line("y")), "STORED\r\n");
  EXPECT_EQ(stat_value(env.feed("stats\r\n"), "evictions"), "0");
}

TEST(NoEvictions, EvictionsStillHappenByDefault) {
  Settings settings = no_evictions();
  settings.evictions = true;
  Env env(settings);
  for (int i = 0; i < 3000; ++i)
    ASSERT_EQ(env.feed(set_line("k" + std::to_string(i))), "STORED\r\n");
  EXPECT_NE(stat_value(env.feed("stats\r\n"), "evictions"), "0");
}

// ---- -C ---------------------------------------------------------------------------------

Settings no_cas() {
  Settings settings;
  settings.cas_enabled = false;  // -C
  return settings;
}

TEST(NoCas, TextShowsNoCasAndCasNeverMatches) {
  expect_response(
      "set a 0 0 1\r\nx\r\ngets a\r\ngats 0 a\r\ncas a 0 0 1 0\r\ny\r\ncas a 0 0 1 1\r\ny\r\n"
      "cas nope 0 0 1 1\r\ny\r\ncas nope 0 0 1 0\r\ny\r\nget a\r\n",
      "STORED\r\nVALUE a 0 1 0\r\nx\r\nEND\r\nVALUE a 0 1 0\r\nx\r\nEND\r\nEXISTS\r\nEXISTS\r\n"
      "NOT_FOUND\r\nNOT_FOUND\r\nVALUE a 0 1\r\nx\r\nEND\r\n",
      no_cas());
}

TEST(NoCas, CasCountsAsMemcachedCountsIt) {
  Env env(no_cas());
  env.feed("set a 0 0 1\r\nx\r\ncas a 0 0 1 1\r\ny\r\ncas nope 0 0 1 1\r\ny\r\n");
  const std::string stats = env.feed("stats\r\n");
  EXPECT_EQ(stat_value(stats, "cas_badval"), "1");
  EXPECT_EQ(stat_value(stats, "cas_misses"), "1");
  EXPECT_EQ(stat_value(stats, "cas_hits"), "0");
}

TEST(NoCas, MetaShowsNoCasAndComparesWithZero) {
  expect_response(
      "set a 0 0 1\r\nx\r\nmg a c v\r\nms a 1 c\r\nz\r\nms a 1 C0\r\nz\r\nms a 1 C5\r\nz\r\n"
      "ms a 1 C5 MA\r\nz\r\nms nope 1 C5\r\nz\r\nms a 1 C0 MA\r\nz\r\nms a 1 C0 ME\r\nz\r\n"
      "mg a v c\r\nset n 0 0 1\r\n5\r\nma n C5\r\nma n C0 v c\r\nma n v c\r\nmd n C5\r\n"
      "md n C0\r\nmd a C3 q\r\nmn\r\n",
      "STORED\r\nVA 1 c0\r\nx\r\nHD c0\r\nEX\r\nEX\r\nHD\r\nNF\r\nHD\r\nNS\r\nVA 3 c0\r\nzzz\r\n"
      "STORED\r\nEX\r\nVA 1 c0\r\n6\r\nVA 1 c0\r\n7\r\nEX\r\nHD\r\nEX\r\nMN\r\n",
      no_cas());
  Env env(no_cas());
  env.feed("set a 0 0 1\r\nx\r\n");
  EXPECT_NE(env.feed("me a\r\n").find(" cas=0 "), std::string::npos);
}

TEST(NoCas, BinaryDropsTheRequestsCasAndShowsNone) {
  const std::string ex = store_extras(0, 0);
  const std::string input =
      req(Opcode::kSet, "a", ex, "x") + req(Opcode::kGet, "a") +
      req(Opcode::kSet, "a", ex, "y", 5) + req(Opcode::kReplace, "a", ex, "y", 5) +
      req(Opcode::kAdd, "b", ex, "y", 5) + req(Opcode::kAppend, "a", "", "q", 5) +
      req(Opcode::kSet, "zz", ex, "y", 5) +
      req(Opcode::kIncrement, "n", arith_extras(1, 10, 0), "", 5) +
      req(Opcode::kIncrement, "n", arith_extras(1, 10, 0), "", 5) +
      req(Opcode::kIncrement, "n", arith_extras(1, 10, 0)) + req(Opcode::kTouch, "a", be32(0)) +
      req(Opcode::kGat, "a", be32(0)) + req(Opcode::kDelete, "a", "", "", 5) +
      req(Opcode::kDelete, "a");
  const std::string expected =
      stored(Opcode::kSet) + resp(Opcode::kGet, Status::kSuccess, be32(0), "x") +
      stored(Opcode::kSet) + stored(Opcode::kReplace) + stored(Opcode::kAdd) +
      stored(Opcode::kAppend) + stored(Opcode::kSet) +
      resp(Opcode::kIncrement, Status::kSuccess, "", be64(10)) +
      error_response(Opcode::kIncrement, Status::kKeyExists) +
      resp(Opcode::kIncrement, Status::kSuccess, "", be64(11)) +
      resp(Opcode::kTouch, Status::kSuccess, be32(0)) +
      resp(Opcode::kGat, Status::kSuccess, be32(0), "yq") +
      error_response(Opcode::kDelete, Status::kKeyExists) + stored(Opcode::kDelete);
  expect_binary(input, expected, no_cas());
}

// memcached -C: oldest_live is the flush's own second, so what is stored in the rest of that
// second is flushed as well (t/flush-all.t), and a delayed flush takes effect a second later
// than with cas.
TEST(NoCas, FlushTakesTheRestOfItsSecond) {
  Env env(no_cas());
  EXPECT_EQ(env.feed("set a 0 0 1\r\nx\r\nflush_all 0\r\nset b 0 0 1\r\ny\r\nget a b\r\n"),
            "STORED\r\nOK\r\nSTORED\r\nEND\r\n");
  env.advance(1);
  EXPECT_EQ(env.feed("set b 0 0 1\r\ny\r\nget b\r\n"), "STORED\r\nVALUE b 0 1\r\ny\r\nEND\r\n");
}

TEST(NoCas, DelayedFlushTakesItsWholeSecond) {
  Env env(no_cas());
  EXPECT_EQ(env.feed("set a 0 0 1\r\nx\r\nflush_all 2\r\n"), "STORED\r\nOK\r\n");
  env.advance(1);
  EXPECT_EQ(env.feed("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  env.advance(1);
  EXPECT_EQ(env.feed("set b 0 0 1\r\ny\r\nget a b\r\n"), "STORED\r\nEND\r\n");
  env.advance(1);
  EXPECT_EQ(env.feed("set b 0 0 1\r\ny\r\nget b\r\n"), "STORED\r\nVALUE b 0 1\r\ny\r\nEND\r\n");
}

TEST(WithCas, FlushSparesWhatIsStoredAfterIt) {
  Env env{Settings{}};
  EXPECT_EQ(env.feed("set a 0 0 1\r\nx\r\nflush_all 0\r\nset b 0 0 1\r\ny\r\nget a b\r\n"),
            "STORED\r\nOK\r\nSTORED\r\nVALUE b 0 1\r\ny\r\nEND\r\n");
  EXPECT_EQ(env.feed("flush_all 2\r\n"), "OK\r\n");
  env.advance(1);
  EXPECT_EQ(env.feed("set c 0 0 1\r\nz\r\nget b c\r\n"), "STORED\r\nEND\r\n");
}

// ---- -F ---------------------------------------------------------------------------------

Settings no_flush() {
  Settings settings;
  settings.flush_enabled = false;  // -F
  return settings;
}

TEST(NoFlush, TextRefusesEveryFlushAllAndCountsIt) {
  Env env(no_flush());
  EXPECT_EQ(env.feed("set a 0 0 1\r\nx\r\nflush_all\r\nflush_all 10\r\nflush_all noreply\r\n"
                     "mn\r\nflush_all bad\r\nflush_all 0 noreply\r\nmn\r\nflush_all 1 2 3\r\n"
                     "get a\r\n"),
            "STORED\r\nCLIENT_ERROR flush_all not allowed\r\nCLIENT_ERROR flush_all not allowed\r\n"
            "MN\r\nCLIENT_ERROR flush_all not allowed\r\nMN\r\nERROR\r\n"
            "VALUE a 0 1\r\nx\r\nEND\r\n");
  env.advance(20);
  EXPECT_EQ(env.feed("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  // memcached counts every flush_all line it read as a command, refused or not.
  EXPECT_EQ(stat_value(env.feed("stats\r\n"), "cmd_flush"), "5");
}

TEST(NoFlush, BinaryAnswersAuthErrorQuietOrNotAndCountsNothing) {
  expect_binary(req(Opcode::kFlush) + req(Opcode::kFlush, "", be32(10)) + req(Opcode::kFlushQ) +
                    req(Opcode::kNoOp),
                error_with(Opcode::kFlush, Status::kAuthError, "Auth failure.") +
                    error_with(Opcode::kFlush, Status::kAuthError, "Auth failure.") +
                    error_with(Opcode::kFlushQ, Status::kAuthError, "Auth failure.") +
                    stored(Opcode::kNoOp),
                no_flush());
  Env env(no_flush());
  BinaryClient client(env.worker());
  client.ask(req(Opcode::kFlush));
  EXPECT_EQ(stat_value(env.feed("stats\r\n"), "cmd_flush"), "0");
}

TEST(FlushAll, TextCountsAMalformedDelayAsMemcachedDoes) {
  Env env;
  EXPECT_EQ(env.feed("flush_all bad\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(stat_value(env.feed("stats\r\n"), "cmd_flush"), "1");
}

// ---- -X ---------------------------------------------------------------------------------

TEST(NoDump, CachedumpIsRefusedWhateverItsArguments) {
  Settings settings;
  settings.dump_enabled = false;  // -X
  const std::string refused = "CLIENT_ERROR stats cachedump not allowed\r\n";
  for (const char* line : {"stats cachedump 1 1\r\n", "stats cachedump\r\n",
                           "stats cachedump x y\r\n", "stats cachedump 99 1\r\n"}) {
    expect_response(line, refused, settings);
  }
}

TEST(Cachedump, ArgumentsAreCheckedAsMemcachedChecksThem) {
  expect_response("stats cachedump\r\nstats cachedump 1\r\n",
                  "CLIENT_ERROR bad command line\r\nCLIENT_ERROR bad command line\r\n");
  expect_response("stats cachedump x y\r\nstats cachedump -1 1\r\nstats cachedump 1 -1\r\n",
                  "CLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\n"
                  "CLIENT_ERROR bad command line format\r\n");
  expect_response("stats cachedump 64 1\r\n", "CLIENT_ERROR Illegal slab id\r\n");
  // A class with nothing to list; cuckood does not list its one class yet (wip.md).
  expect_response("stats cachedump 2 1\r\nstats cachedump 63 1\r\nstats cachedump 1 2 3\r\n",
                  "END\r\nEND\r\nEND\r\n");
  // Not a binary Stat group in memcached either.
  expect_binary(req(Opcode::kStat, "cachedump"),
                error_response(Opcode::kStat, Status::kKeyNotFound));
}

// ---- stats settings -----------------------------------------------------------------------

TEST(StatsSettings, ReportTheFlagsInMemcachedsWords) {
  Env defaults;
  std::string s = defaults.feed("stats settings\r\n");
  EXPECT_EQ(stat_value(s, "evictions"), "on");
  EXPECT_EQ(stat_value(s, "cas_enabled"), "yes");
  EXPECT_EQ(stat_value(s, "flush_enabled"), "yes");
  EXPECT_EQ(stat_value(s, "dump_enabled"), "yes");
  Settings settings;
  settings.evictions = false;
  settings.cas_enabled = false;
  settings.flush_enabled = false;
  settings.dump_enabled = false;
  Env off(settings);
  s = off.feed("stats settings\r\n");
  EXPECT_EQ(stat_value(s, "evictions"), "off");
  EXPECT_EQ(stat_value(s, "cas_enabled"), "no");
  EXPECT_EQ(stat_value(s, "flush_enabled"), "no");
  EXPECT_EQ(stat_value(s, "dump_enabled"), "no");
  // memcached's order: evictions before cas_enabled before flush_enabled before dump_enabled.
  EXPECT_LT(s.find("evictions"), s.find("cas_enabled"));
  EXPECT_LT(s.find("cas_enabled"), s.find("flush_enabled"));
  EXPECT_LT(s.find("flush_enabled"), s.find("dump_enabled"));
}

}  // namespace
}  // namespace cuckood::proto::testing
