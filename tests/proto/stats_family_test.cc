// memcached's stats family and operator commands over the shipping cache: stats items/slabs
// by memcached's size classes, stats detail, cachedump, lru_crawler, cache_memlimit, slabs,
// flush_all with a time before the start, and the command layer's pieces behind them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cache/cuckoo_index.h"
#include "proto/commands.h"
#include "proto/detail_stats.h"
#include "proto/slab_classes.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

// The STAT lines of a reply, by name.
std::map<std::string, std::string> stats_of(const std::string& reply) {
  std::map<std::string, std::string> stats;
  size_t pos = 0;
  while (pos < reply.size()) {
    const size_t end = reply.find("\r\n", pos);
    const std::string line = reply.substr(pos, end - pos);
    pos = end + 2;
    if (line.rfind("STAT ", 0) != 0) continue;
    const size_t space = line.find(' ', 5);
    stats[line.substr(5, space - 5)] = line.substr(space + 1);
  }
  return stats;
}

TEST(SlabClasses, MemcachedsDefaultTable) {
  const std::vector<uint32_t> table = slab_classes(48, 1.25, 512 * 1024);
  ASSERT_EQ(table.size(), 39u);  // as `memcached -vv` lists them
  EXPECT_EQ(table[0], 96u);
  EXPECT_EQ(table[1], 120u);
  EXPECT_EQ(table[2], 152u);
  EXPECT_EQ(table[30], 82792u);  // class 31, where t/'s 66560-byte values go
  EXPECT_EQ(table[37], 394840u);
  EXPECT_EQ(table.back(), 524288u);
}

TEST(SlabClasses, FactorChunkSizeAndLimitFollowTheFlags) {
  const std::vector<uint32_t> table = slab_classes(100, 2.0, 1024);
  EXPECT_EQ(table, (std::vector<uint32_t>{152, 304, 1024}));
  Settings settings;
  settings.slab_chunk_max = 1 << 20;  // -o no_modern
  EXPECT_EQ(slab_classes(settings).back(), 1u << 20);
  EXPECT_LE(slab_classes(48, 1.01, 1 << 30).size(), 63u);  // memcached's class count bound
}

TEST(DetailStats, CountsByPrefixUpToTheDelimiter) {
  DetailStats detail;
  detail.record_set("foo:1", ':');
  detail.record_get("foo:2", ':', true);
  detail.record_get("foo:3", ':', false);
  detail.record_delete("bar:1", ':');
  detail.record_get("nodelimiter", ':', true);
  std::map<std::string, PrefixCounts, std::less<>> merged;
  detail.dump_into(merged);
  detail.dump_into(merged);  // two workers' tables add up
  EXPECT_EQ(format_detail_dump(merged),
            "PREFIX bar get 0 hit 0 set 0 del 2\r\nPREFIX foo get 4 hit 2 set 2 del 0\r\nEND\r\n");
  detail.clear();
  merged.clear();
  detail.dump_into(merged);
  EXPECT_EQ(format_detail_dump(merged), "END\r\n");
}

TEST(ParseClassList, AllHashAndIds) {
  uint64_t mask = 0;
  EXPECT_TRUE(parse_class_list("all", mask));
  EXPECT_EQ(mask, ~uint64_t{0});
  EXPECT_TRUE(parse_class_list("1,3,,63", mask));
  EXPECT_EQ(mask, (uint64_t{1} << 0) | (uint64_t{1} << 2) | (uint64_t{1} << 62));
  EXPECT_FALSE(parse_class_list("0", mask));
  EXPECT_FALSE(parse_class_list("64", mask));
  EXPECT_FALSE(parse_class_list("1,x", mask));
}

TEST(TextStatsItems, ClassesByMemcachedsTable) {
  Env env;
  env.feed("set a 0 0 10\r\n0123456789\r\nset b 0 100 66560\r\n" + std::string(66560, 'B') +
           "\r\n");
  env.advance(5);
  const auto items = stats_of(env.feed("stats items\r\n"));
  EXPECT_EQ(items.at("items:1:number"), "1");
  EXPECT_EQ(items.at("items:1:mem_requested"), "32");  // 16-byte header + key + value, 8-aligned
  EXPECT_EQ(items.at("items:1:age"), "5");
  EXPECT_EQ(items.at("items:31:number"), "1");
  EXPECT_EQ(items.at("items:31:evicted"), "0");
  EXPECT_EQ(items.count("items:2:number"), 0u);
  const auto slabs = stats_of(env.feed("stats slabs\r\n"));
  EXPECT_EQ(slabs.at("1:chunk_size"), "96");
  EXPECT_EQ(slabs.at("1:used_chunks"), "1");
  EXPECT_EQ(slabs.at("1:total_pages"), "1");
  EXPECT_EQ(slabs.at("31:chunk_size"), "82792");
  EXPECT_EQ(slabs.at("active_slabs"), "2");
  // Nothing dead yet: the bytes written are the items'.
  EXPECT_EQ(slabs.at("total_malloced"), std::to_string(env.cache().stats().bytes));
}

TEST(TextStatsItems, ResetZeroesTheCumulativeFigures) {
  Env env;
  env.feed("set a 0 1 1\r\nx\r\n");
  env.advance(2);
  env.feed("set a 0 0 1\r\ny\r\nget a\r\n");  // the store takes back the expired item
  EXPECT_EQ(stats_of(env.feed("stats items\r\n")).at("items:1:reclaimed"), "1");
  EXPECT_EQ(stats_of(env.feed("stats\r\n")).at("get_expired"), "1");
  EXPECT_EQ(env.feed("stats reset\r\n"), "RESET\r\n");
  EXPECT_EQ(stats_of(env.feed("stats items\r\n")).at("items:1:reclaimed"), "0");
  const auto general = stats_of(env.feed("stats\r\n"));
  EXPECT_EQ(general.at("get_expired"), "0");
  EXPECT_EQ(general.at("reclaimed"), "0");
  EXPECT_EQ(general.at("curr_items"), "1");  // what describes the present stays
}

// The STAT names of a reply, in order.
std::vector<std::string> stat_names(const std::string& reply) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < reply.size()) {
    const size_t end = reply.find("\r\n", pos);
    const std::string line = reply.substr(pos, end - pos);
    pos = end + 2;
    if (line.rfind("STAT ", 0) == 0) names.push_back(line.substr(5, line.find(' ', 5) - 5));
  }
  return names;
}

// The space-separated words of `text`.
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = std::min(text.find(' ', pos), text.size());
    out.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// memcached 1.6.18's general stats (a build without TLS, extstore or the proxy; default
// flags), as /usr/bin/memcached prints them.
const std::vector<std::string> kMemcachedGeneralStats = words(
    "pid uptime time version libevent pointer_size rusage_user rusage_system max_connections "
    "curr_connections total_connections rejected_connections connection_structures "
    "response_obj_oom response_obj_count response_obj_bytes read_buf_count read_buf_bytes "
    "read_buf_bytes_free read_buf_oom reserved_fds cmd_get cmd_set cmd_flush cmd_touch "
    "cmd_meta get_hits get_misses get_expired get_flushed delete_misses delete_hits "
    "incr_misses incr_hits decr_misses decr_hits cas_misses cas_hits cas_badval touch_hits "
    "touch_misses store_too_large store_no_memory auth_cmds auth_errors bytes_read "
    "bytes_written limit_maxbytes accepting_conns listen_disabled_num "
    "time_in_listen_disabled_us threads conn_yields hash_power_level hash_bytes "
    "hash_is_expanding slab_reassign_rescues slab_reassign_chunk_rescues "
    "slab_reassign_evictions_nomem slab_reassign_inline_reclaim slab_reassign_busy_items "
    "slab_reassign_busy_deletes slab_reassign_running slabs_moved lru_crawler_running "
    "lru_crawler_starts lru_maintainer_juggles malloc_fails log_worker_dropped "
    "log_worker_written log_watcher_skipped log_watcher_sent log_watchers "
    "unexpected_napi_ids round_robin_fallback bytes curr_items total_items "
    "slab_global_page_pool expired_unfetched evicted_unfetched evicted_active evictions "
    "reclaimed crawler_reclaimed crawler_items_checked lrutail_reflocked moves_to_cold "
    "moves_to_warm moves_within_lru direct_reclaims lru_bumps_dropped");

TEST(TextStatsGeneral, MemcachedsKeysInItsOrder) {
  Env env;
  EXPECT_EQ(stat_names(env.feed("stats\r\n")), kMemcachedGeneralStats);
}

// t/stats.t's server: -o no_lru_crawler,no_lru_maintainer drops the crawler's and the LRU
// maintainer's keys, as memcached does; no_slab_reassign the slab mover's.
TEST(TextStatsGeneral, KeysOfMechanismsFollowTheirFlags) {
  Settings settings;
  settings.lru_crawler = false;
  settings.lru_maintainer = false;
  settings.slab_reassign = false;
  Env env(settings);
  std::vector<std::string> expected;
  for (const std::string& key : kMemcachedGeneralStats) {
    const bool dropped = key.starts_with("lru_crawler_") || key == "lru_maintainer_juggles" ||
                         key == "evicted_active" || key.starts_with("moves_") ||
                         key == "direct_reclaims" || key == "lru_bumps_dropped" ||
                         key.starts_with("slab_reassign_") || key == "slabs_moved";
    if (!dropped) expected.push_back(key);
  }
  EXPECT_EQ(stat_names(env.feed("stats\r\n")), expected);
  EXPECT_EQ(expected.size(), 83u - 8u);  // t/stats.t's 83, less the slab mover's
}

// Without net/ behind it (no connection directory), the figures it would give are zeros.
TEST(TextStatsGeneral, NetFiguresWithoutADirectory) {
  Env env;
  const auto stats = stats_of(env.feed("stats\r\n"));
  EXPECT_EQ(stats.at("libevent"), "none");
  EXPECT_EQ(stats.at("connection_structures"), "0");
  EXPECT_EQ(stats.at("hash_is_expanding"), "0");
}

// cuckood's `stats index`: the figures memcached's hash_* keys show, plus the doublings.
TEST(TextStatsIndex, TheIndexAsTheHashKeysShowItAndItsDoublings) {
  Env env;
  auto index = stats_of(env.feed("stats index\r\n"));
  auto general = stats_of(env.feed("stats\r\n"));
  EXPECT_EQ(index.at("index_growths"), "0");
  EXPECT_EQ(index.at("index_bytes"), general.at("hash_bytes"));
  EXPECT_EQ(index.at("index_growing"), general.at("hash_is_expanding"));
  const uint64_t slots = std::stoull(index.at("index_slots"));
  EXPECT_EQ(slots, uint64_t{1} << std::stoi(general.at("hash_power_level")));
  EXPECT_EQ(slots, std::stoull(index.at("index_buckets")) * cache::CuckooIndex::kSlotsPerBucket);
  // More items than slots: the index must have doubled.
  std::string sets;
  for (uint64_t i = 0; i <= slots; ++i) sets += "set k" + std::to_string(i) + " 0 0 1\r\nv\r\n";
  env.feed(sets);
  index = stats_of(env.feed("stats index\r\n"));
  general = stats_of(env.feed("stats\r\n"));
  const uint64_t growths = std::stoull(index.at("index_growths"));
  EXPECT_GE(growths, 1u);
  EXPECT_EQ(std::stoull(index.at("index_slots")), slots << growths);
  EXPECT_EQ(index.at("index_bytes"), general.at("hash_bytes"));
}

TEST(TextStatsSettings, OldestAndTheSizeClassSettings) {
  Env env;
  auto settings = stats_of(env.feed("stats settings\r\n"));
  EXPECT_EQ(settings.at("oldest"), "0");
  EXPECT_EQ(settings.at("growth_factor"), "1.25");
  EXPECT_EQ(settings.at("chunk_size"), "48");
  EXPECT_EQ(settings.at("slab_chunk_max"), "524288");
  EXPECT_EQ(settings.at("lru_crawler"), "yes");
  EXPECT_EQ(settings.at("auth_enabled_sasl"), "no");
  env.feed("flush_all\r\n");
  settings = stats_of(env.feed("stats settings\r\n"));
  // memcached's oldest_live: seconds from its process start (62 s before the real one).
  const int64_t expected = static_cast<int64_t>(env.worker().ctx.now()) - 1 -
                           env.worker().server.memcached_process_started();
  EXPECT_EQ(settings.at("oldest"), std::to_string(expected));
  EXPECT_GE(expected, 61);
  env.advance(10);
  EXPECT_EQ(stats_of(env.feed("stats\r\n")).at("uptime"), "10");
}

TEST(TextStatsDetail, OnDumpOffAndReset) {
  Env env;
  EXPECT_EQ(env.feed("stats detail dump\r\n"), "END\r\n");
  EXPECT_EQ(env.feed("stats detail on\r\nset foo:1 0 0 1\r\nx\r\nget foo:1 foo:2\r\n"
                     "delete foo:3\r\nstats detail dump\r\n"),
            "OK\r\nSTORED\r\nVALUE foo:1 0 1\r\nx\r\nEND\r\nNOT_FOUND\r\n"
            "PREFIX foo get 2 hit 1 set 1 del 1\r\nEND\r\n");
  EXPECT_EQ(stats_of(env.feed("stats settings\r\n")).at("detail_enabled"), "yes");
  EXPECT_EQ(env.feed("stats detail off\r\nget foo:1\r\nstats detail dump\r\n"),
            "OK\r\nVALUE foo:1 0 1\r\nx\r\nEND\r\nPREFIX foo get 2 hit 1 set 1 del 1\r\nEND\r\n");
  env.feed("stats reset\r\n");
  EXPECT_EQ(env.feed("stats detail dump\r\n"), "END\r\n");
  EXPECT_EQ(env.feed("stats detail\r\nstats detail x\r\n"),
            "CLIENT_ERROR usage: stats detail on|off|dump\r\n"
            "CLIENT_ERROR usage: stats detail on|off|dump\r\n");
}

TEST(TextStatsDetail, DelimiterAndStartFromTheFlag) {
  Settings settings;
  settings.detail_delimiter = '#';
  settings.detail_enabled = true;  // -D
  Env env(settings);
  EXPECT_EQ(env.feed("set a#1 0 0 1\r\nx\r\nset b:1 0 0 1\r\nx\r\nstats detail dump\r\n"),
            "STORED\r\nSTORED\r\nPREFIX a get 0 hit 0 set 1 del 0\r\nEND\r\n");
}

TEST(TextCachedump, ListsTheItemsOfOneClass) {
  Env env;
  env.feed("set a 0 0 1\r\nx\r\nset b 0 1000 2\r\nyy\r\nset big 0 0 200\r\n" +
           std::string(200, 'z') + "\r\n");
  const std::string deadline = std::to_string(env.worker().ctx.now() + 1000);
  const std::string one = env.feed("stats cachedump 1 0\r\n");
  EXPECT_NE(one.find("ITEM a [1 b; 0 s]\r\n"), std::string::npos) << one;
  EXPECT_NE(one.find("ITEM b [2 b; " + deadline + " s]\r\n"), std::string::npos) << one;
  EXPECT_EQ(one.find("big"), std::string::npos);
  EXPECT_TRUE(one.ends_with("END\r\n"));
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 3);
  const std::string limited = env.feed("stats cachedump 1 1\r\n");
  EXPECT_EQ(std::count(limited.begin(), limited.end(), '\n'), 2) << limited;
  EXPECT_EQ(env.feed("stats cachedump 0 0\r\nstats cachedump 64 0\r\nstats cachedump 1\r\n"
                     "stats cachedump x 1\r\n"),
            "END\r\nCLIENT_ERROR Illegal slab id\r\nCLIENT_ERROR bad command line\r\n"
            "CLIENT_ERROR bad command line format\r\n");
  Settings no_dump;
  no_dump.dump_enabled = false;
  expect_response("stats cachedump 1 1\r\n", "CLIENT_ERROR stats cachedump not allowed\r\n",
                  no_dump);
}

TEST(TextMetadump, OneLinePerLiveItem) {
  Env env;
  env.feed("set a/b 0 0 1\r\nx\r\nset c 0 1000 2\r\nyy\r\nset dead 0 1 1\r\nz\r\nget c\r\n");
  env.advance(2);
  const cache::Time now = env.worker().ctx.now();
  const std::string dump = env.feed("lru_crawler metadump all\r\n");
  const std::string la = std::to_string(now - 2);
  EXPECT_NE(dump.find("key=a%2Fb exp=-1 la=" + la + " cas="), std::string::npos) << dump;
  // 16-byte header, key and value; the item with a deadline has 8 bytes of extras too.
  EXPECT_NE(dump.find(" fetch=no cls=1 size=24\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("key=c exp=" + std::to_string(now - 2 + 1000) + " la=" + la),
            std::string::npos)
      << dump;
  EXPECT_NE(dump.find(" fetch=yes cls=1 size=32\n"), std::string::npos) << dump;
  EXPECT_EQ(dump.find("dead"), std::string::npos);
  EXPECT_TRUE(dump.ends_with("END\r\n"));
  EXPECT_EQ(env.feed("lru_crawler metadump 2\r\n"), "END\r\n");
  EXPECT_EQ(env.feed("lru_crawler metadump hash\r\n"), dump);
  EXPECT_EQ(env.feed("lru_crawler metadump 0\r\n"), "BADCLASS invalid class id\r\n");
  EXPECT_EQ(env.feed("mn\r\nlru_crawler metadump all\r\n"),
            "MN\r\nERROR cannot pipeline other commands before metadump\r\n");
}

TEST(TextMetadump, RefusedUnderDashXAndWithoutTheCrawler) {
  Settings no_dump;
  no_dump.dump_enabled = false;
  expect_response("lru_crawler metadump all\r\n", "ERROR metadump not allowed\r\n", no_dump);
  Settings no_crawler;
  no_crawler.lru_crawler = false;
  expect_response("lru_crawler metadump all\r\nlru_crawler crawl 1\r\n",
                  "CLIENT_ERROR lru crawler disabled\r\nCLIENT_ERROR lru crawler disabled\r\n",
                  no_crawler);
}

TEST(TextLruCrawler, CrawlReclaimsAndReportsWhenDone) {
  Env env;
  env.feed("set a 0 1 1\r\nx\r\nset b 0 0 1\r\ny\r\n");
  env.advance(3);
  EXPECT_EQ(env.feed("lru_crawler crawl 1\r\n"), "OK\r\n");
  for (int i = 0; i < 500 && env.cache().crawling(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto general = stats_of(env.feed("stats\r\n"));
  EXPECT_EQ(general.at("lru_crawler_running"), "0");
  EXPECT_EQ(general.at("lru_crawler_starts"), "1");
  EXPECT_EQ(general.at("crawler_reclaimed"), "1");
  EXPECT_EQ(stats_of(env.feed("stats slabs\r\n")).at("1:used_chunks"), "1");
  EXPECT_EQ(env.feed("lru_crawler crawl hash\r\nlru_crawler crawl 0\r\nlru_crawler crawl\r\n"),
            "ERROR an unknown error happened\r\nBADCLASS invalid class id\r\nERROR\r\n");
}

TEST(TextLruCrawler, SettingsEnableAndDisable) {
  Env env;
  EXPECT_EQ(env.feed("lru_crawler sleep 50\r\nlru_crawler tocrawl 7\r\nlru_crawler sleep x\r\n"
                     "lru_crawler sleep 1000001\r\n"),
            "OK\r\nOK\r\nCLIENT_ERROR bad command line format\r\n"
            "CLIENT_ERROR sleep must be one second or less\r\n");
  auto settings = stats_of(env.feed("stats settings\r\n"));
  EXPECT_EQ(settings.at("lru_crawler_sleep"), "50");
  EXPECT_EQ(settings.at("lru_crawler_tocrawl"), "7");
  EXPECT_EQ(env.feed("lru_crawler enable\r\nlru_crawler disable\r\nlru_crawler disable\r\n"
                     "lru_crawler enable\r\nlru_crawler bogus\r\nlru_crawler\r\n"),
            "ERROR failed to start lru crawler thread\r\nOK\r\nOK\r\nOK\r\nERROR\r\nERROR\r\n");
  EXPECT_EQ(env.feed("lru_crawler mgdump 1\r\n"), "ERROR\r\n");  // not in 1.6.18
}

TEST(TextCacheMemlimit, MovesTheLimitWithinMemcachedsBounds) {
  Settings settings;
  settings.memory_limit = size_t{16} << 20;
  Env env(settings);
  EXPECT_EQ(env.feed("cache_memlimit 32\r\n"), "OK\r\n");
  EXPECT_EQ(stats_of(env.feed("stats\r\n")).at("limit_maxbytes"), std::to_string(32 << 20));
  EXPECT_EQ(stats_of(env.feed("stats settings\r\n")).at("maxbytes"), std::to_string(32 << 20));
  EXPECT_EQ(env.feed("cache_memlimit 8 noreply\r\ncache_memlimit 7\r\ncache_memlimit x\r\n"
                     "cache_memlimit 1000000001\r\ncache_memlimit\r\n"),
            "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\nERROR\r\n"
            "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\nERROR\r\n");
  EXPECT_EQ(stats_of(env.feed("stats\r\n")).at("limit_maxbytes"), std::to_string(8 << 20));
}

TEST(TextFlushAll, AnAbsoluteTimeBeforeTheStartFlushesNothing) {
  Env env;
  const int64_t before_start = env.worker().server.memcached_process_started();
  EXPECT_EQ(env.feed("set a 0 0 1\r\nx\r\nflush_all 10\r\nflush_all " +
                     std::to_string(before_start) + "\r\n"),
            "STORED\r\nOK\r\nOK\r\n");
  env.advance(20);  // the delayed flush was withdrawn
  EXPECT_EQ(env.feed("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(stats_of(env.feed("stats settings\r\n")).at("oldest"), "0");
  // One second later is after the start: a time past, so it flushes at once.
  EXPECT_EQ(env.feed("flush_all " + std::to_string(before_start + 1) + "\r\nget a\r\n"),
            "OK\r\nEND\r\n");
}

}  // namespace
}  // namespace cuckood::proto::testing
