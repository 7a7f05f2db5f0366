// flush_all, version, verbosity, quit, shutdown, stats.
#include <gtest/gtest.h>

#include <string>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

TEST(TextFlushAll, InvalidatesEverything) {
  expect_response("set a 0 0 1\r\nA\r\nflush_all\r\nget a\r\nset a 0 0 1\r\nB\r\nget a\r\n",
                  "STORED\r\nOK\r\nEND\r\nSTORED\r\nVALUE a 0 1\r\nB\r\nEND\r\n");
}

TEST(TextFlushAll, Arguments) {
  expect_response("flush_all 0\r\nflush_all -1\r\nflush_all noreply\r\nflush_all 0 noreply\r\n",
                  "OK\r\nOK\r\n");
  expect_response("flush_all x\r\n", "CLIENT_ERROR invalid exptime argument\r\n");
  expect_response("flush_all x noreply\r\n", "");
  expect_response("flush_all 1 2 3\r\n", "ERROR\r\n");
  // memcached reads the delay from the first argument whenever the last is not noreply.
  expect_response("flush_all 1 2\r\n", "OK\r\n");
}

TEST(TextFlushAll, Delayed) {
  Env env;
  EXPECT_EQ(env.feed("set a 0 0 1\r\nA\r\nflush_all 10\r\n"), "STORED\r\nOK\r\n");
  env.advance(5);
  EXPECT_EQ(env.feed("get a\r\n"), "VALUE a 0 1\r\nA\r\nEND\r\n");
  env.advance(5);
  EXPECT_EQ(env.feed("get a\r\n"), "END\r\n");
}

// Captured from memcached 1.6.18 (-m 64): t/strtol-testing.t and memcached's process_slabs_command.
TEST(TextSlabs, AutomoveValidatesItsLevel) {
  expect_response(
      "slabs automove invalid\r\nslabs automove 0\r\nslabs automove 1\r\nslabs automove 2\r\n"
      "slabs automove 3\r\nslabs automove -1\r\nslabs automove ratio\r\n"
      "slabs automove ratio x\r\nslabs automove ratio 0.5\r\nslabs automove 1 noreply\r\n"
      "slabs automove x noreply\r\nslabs automove\r\n",
      "CLIENT_ERROR bad command line format\r\nOK\r\nOK\r\nOK\r\nERROR\r\n"
      "CLIENT_ERROR bad command line format\r\nERROR\r\nERROR\r\nOK\r\nERROR\r\n");
}

TEST(TextSlabs, ReassignChecksItsClasses) {
  expect_response(
      "slabs\r\nslabs foo\r\nslabs reassign\r\nslabs reassign 1 2\r\nslabs reassign 1 1\r\n"
      "slabs reassign -1 1\r\nslabs reassign 0 1\r\nslabs reassign 1 99\r\n"
      "slabs reassign x 1\r\nslabs reassign 1 2 3\r\n",
      "ERROR\r\nERROR\r\nERROR\r\nNOSPARE source class has no spare pages\r\n"
      "SAME src and dst class are identical\r\nBADCLASS invalid src or dst class id\r\n"
      "NOSPARE source class has no spare pages\r\nBADCLASS invalid src or dst class id\r\n"
      "CLIENT_ERROR bad command line format\r\nERROR\r\n");
}

TEST(TextVersion, AnswersAndIgnoresArguments) {
  expect_response("version\r\nversion x y\r\n",
                  "VERSION 1.6.18-cuckood-0.1\r\nVERSION 1.6.18-cuckood-0.1\r\n");
}

TEST(TextVerbosity, Levels) {
  expect_response("verbosity 1\r\nverbosity 1 noreply\r\nverbosity 1 2\r\n", "OK\r\nOK\r\n");
  expect_response("verbosity\r\n", "ERROR\r\n");
  expect_response("verbosity 1 2 3\r\n", "ERROR\r\n");
  expect_response("verbosity x\r\n", "CLIENT_ERROR bad command line format\r\n");
  Env env;
  EXPECT_EQ(env.feed("verbosity 7\r\n"), "OK\r\n");
  EXPECT_EQ(env.worker().server.verbosity.load(), 2);  // clamped like memcached
}

TEST(TextQuit, ClosesAndIgnoresTheRest) {
  for (size_t split : kSplitSizes) {
    Env env;
    EXPECT_EQ(env.feed("get a\r\nquit\r\nversion\r\n", split), "END\r\n");
    EXPECT_TRUE(env.session().should_close());
  }
}

TEST(TextShutdown, DisabledByDefault) {
  expect_response("shutdown\r\nshutdown graceful\r\n",
                  "ERROR: shutdown not enabled\r\nERROR: shutdown not enabled\r\n");
  Env env;
  env.feed("shutdown\r\n");
  EXPECT_FALSE(env.session().should_close());
  EXPECT_FALSE(env.worker().server.shutdown_requested.load());
}

TEST(TextShutdown, EnabledWithA) {
  Settings settings;
  settings.allow_shutdown = true;
  expect_response("shutdown x\r\nshutdown graceful x\r\n",
                  "CLIENT_ERROR invalid shutdown mode\r\nCLIENT_ERROR invalid shutdown mode\r\n",
                  settings);
  for (std::string_view command : {"shutdown\r\nversion\r\n", "shutdown graceful\r\n"}) {
    Env env(settings);
    EXPECT_EQ(env.feed(command), "");
    EXPECT_TRUE(env.session().should_close());
    EXPECT_TRUE(env.worker().server.shutdown_requested.load());
  }
}

std::string stat_value(const std::string& stats, const std::string& name) {
  const std::string prefix = "STAT " + name + " ";
  const size_t at = stats.find(prefix);
  if (at == std::string::npos) return "<missing>";
  const size_t start = at + prefix.size();
  return stats.substr(start, stats.find("\r\n", start) - start);
}

TEST(TextStats, GeneralCountsCommands) {
  Env env;
  env.feed("set a 0 0 1\r\n5\r\nget a b\r\ndelete x\r\nincr a 1\r\ntouch a 0\r\n");
  const std::string stats = env.feed("stats\r\n");
  EXPECT_TRUE(stats.starts_with("STAT pid ")) << stats;
  EXPECT_TRUE(stats.ends_with("\r\nEND\r\n"));
  EXPECT_EQ(stat_value(stats, "version"), "1.6.18-cuckood-0.1");
  EXPECT_EQ(stat_value(stats, "cmd_get"), "2");
  EXPECT_EQ(stat_value(stats, "get_hits"), "1");
  EXPECT_EQ(stat_value(stats, "get_misses"), "1");
  EXPECT_EQ(stat_value(stats, "cmd_set"), "1");
  EXPECT_EQ(stat_value(stats, "delete_misses"), "1");
  EXPECT_EQ(stat_value(stats, "incr_hits"), "1");
  EXPECT_EQ(stat_value(stats, "touch_hits"), "1");
  EXPECT_EQ(stat_value(stats, "curr_items"), "1");
  for (const char* name : {"uptime", "time", "curr_connections", "total_connections", "bytes",
                           "limit_maxbytes", "threads", "evictions", "total_items"}) {
    EXPECT_NE(stat_value(stats, name), "<missing>") << name;
  }
}

// Counted as memcached 1.6.18 counts them (checked against it): gat counts touches only; mg
// with T counts a hit as a touch and a miss as a get.
TEST(TextStats, GetAndTouchCountsLikeMemcached) {
  Env env;
  env.feed("set a 0 0 1\r\nA\r\ngat 100 a nokey\r\n");
  std::string stats = env.feed("stats\r\n");
  EXPECT_EQ(stat_value(stats, "cmd_get"), "0");
  EXPECT_EQ(stat_value(stats, "cmd_touch"), "2");
  EXPECT_EQ(stat_value(stats, "touch_hits"), "1");
  EXPECT_EQ(stat_value(stats, "touch_misses"), "1");
  env.feed("stats reset\r\nmg a v T30\r\nmg nokey v T30\r\n");
  stats = env.feed("stats\r\n");
  EXPECT_EQ(stat_value(stats, "cmd_get"), "1");
  EXPECT_EQ(stat_value(stats, "get_hits"), "0");
  EXPECT_EQ(stat_value(stats, "get_misses"), "1");
  EXPECT_EQ(stat_value(stats, "cmd_touch"), "1");
  EXPECT_EQ(stat_value(stats, "touch_hits"), "1");
  EXPECT_EQ(stat_value(stats, "touch_misses"), "0");
}

TEST(TextStats, Groups) {
  Env env;
  EXPECT_EQ(env.feed("stats items\r\n"), "END\r\n");  // no items: nothing to list
  env.feed("set a 0 0 1\r\nA\r\n");
  const std::string items = env.feed("stats items\r\n");
  EXPECT_EQ(stat_value(items, "items:1:number"), "1");
  EXPECT_NE(stat_value(items, "items:1:mem_requested"), "<missing>");  // in items since 1.6
  const std::string settings = env.feed("stats settings\r\n");
  EXPECT_EQ(stat_value(settings, "item_size_max"), "1048576");
  EXPECT_EQ(stat_value(settings, "inter"), "127.0.0.1");
  EXPECT_EQ(env.feed("stats sizes\r\n"), "STAT sizes_status disabled\r\nEND\r\n");
  EXPECT_TRUE(env.feed("stats slabs\r\n").ends_with("END\r\n"));
  EXPECT_EQ(env.feed("stats conns\r\n"), "END\r\n");
  EXPECT_EQ(env.feed("stats bogus\r\n"), "ERROR\r\n");
}

// memcached 1.6.18 counts cmd_meta for `me` only.
TEST(TextStats, CmdMetaCountsMe) {
  Env env;
  env.feed("ms a 1\r\nA\r\nmg a v\r\nme a\r\nme nokey\r\nmn\r\n");
  const std::string stats = env.feed("stats\r\n");
  EXPECT_EQ(stat_value(stats, "cmd_meta"), "2");
  EXPECT_EQ(stat_value(stats, "auth_cmds"), "0");
}

TEST(TextStats, ResetZeroesCounters) {
  Env env;
  env.feed("get a\r\nset a 0 0 1\r\nA\r\nset b 0 0 1\r\nB\r\n");
  env.server().total_connections = 5;
  EXPECT_EQ(stat_value(env.feed("stats\r\n"), "total_connections"), "5");
  EXPECT_EQ(env.feed("stats reset\r\n"), "RESET\r\n");
  std::string stats = env.feed("stats\r\n");
  EXPECT_EQ(stat_value(stats, "cmd_get"), "0");
  EXPECT_EQ(stat_value(stats, "total_items"), "0");  // memcached zeroes it too
  EXPECT_EQ(stat_value(stats, "curr_items"), "2");   // but not what describes the present
  env.feed("set c 0 0 1\r\nC\r\n");
  stats = env.feed("stats\r\n");
  EXPECT_EQ(stat_value(stats, "total_items"), "1");
  EXPECT_EQ(stat_value(stats, "total_connections"), "0");
}

TEST(TextStats, DetailAsWithDetailOff) {
  const std::string_view usage = "CLIENT_ERROR usage: stats detail on|off|dump\r\n";
  expect_response("stats detail\r\n", usage);
  expect_response("stats detail x\r\n", usage);
  expect_response("stats detail on\r\nstats detail off\r\nstats detail dump\r\n",
                  "OK\r\nOK\r\nEND\r\n");
}

}  // namespace
}  // namespace cuckood::proto::testing
