// The log entries in memcached 1.6.18's words, and where the command layer raises them (its
// lookups before stores, deletes, arithmetic and touches, as memcached's do_item_get).
#include "proto/log_entries.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;

// The lines waiting for `watcher`, each without its "ts=... gid=... " prefix and "\n".
std::vector<std::string> bodies(WatchLog& log, size_t watcher) {
  std::string out;
  log.drain(watcher, out, SIZE_MAX);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = out.substr(start, end - start);
    const size_t gid = line.find(" gid=");
    const size_t body = gid == std::string::npos ? 0 : line.find(' ', gid + 1) + 1;
    EXPECT_THAT(line, MatchesRegex("(ts=[0-9]+\\.[0-9]+ gid=[0-9]+ .*|skipped=[0-9]+)"));
    lines.push_back(line.substr(body));
  }
  return lines;
}

TEST(UriEncoded, AsMemcached) {
  std::string out;
  append_uri_encoded(out, "az-AZ_09.~ #%/\x01\xff");
  EXPECT_EQ(out, "az-AZ_09.~%20%23%25%2F%01%FF");
}

TEST(LogEntries, Lines) {
  WatchLog log;
  LogProducer& p = log.add_producer();
  const auto w = log.attach(kLogFetchers | kLogMutations | kLogConnEvents, 4096);
  write_item_get(p, "k y", true, 5, 17);
  write_item_get(p, "k", false, 5, 17);
  write_item_store(p, "k", StoreStatus::kNotStored, StoreMode::kAdd, 30, 3, 9);
  write_item_store(p, "k", StoreStatus::kStored, StoreMode::kCas, 0, 3, 9);
  write_conn_event(p, true, "127.0.0.1", 5000, Transport::kTcp, CloseReason::kNormal, 12);
  write_conn_event(p, false, "unix", 0, Transport::kLocal, CloseReason::kIdleTimeout, 12);
  EXPECT_THAT(bodies(log, *w),
              ElementsAre("type=item_get key=k%20y status=found clsid=1 cfd=17 size=5",
                          "type=item_get key=k status=not_found clsid=0 cfd=17 size=0",
                          "type=item_store key=k status=not_stored cmd=add ttl=30 clsid=1 cfd=9 "
                          "size=3",
                          "type=item_store key=k status=stored cmd=cas ttl=0 clsid=1 cfd=9 size=3",
                          "type=conn_new rip=127.0.0.1 rport=5000 transport=tcp cfd=12",
                          "type=conn_close rip=unix rport=0 transport=local reason=idle_timeout "
                          "cfd=12"));
}

TEST(LogEntries, LongestKeyFitsUriEncoded) {
  WatchLog log;
  LogProducer& p = log.add_producer();
  const auto w = log.attach(kLogFetchers, 4096);
  write_item_get(p, std::string(250, '#'), false, 0, 1);
  const auto lines = bodies(log, *w);
  ASSERT_EQ(lines.size(), 1u);
  std::string encoded;
  for (int i = 0; i < 250; ++i) encoded += "%23";
  EXPECT_EQ(lines[0], "type=item_get key=" + encoded + " status=not_found clsid=0 cfd=1 size=0");
}

TEST(LogEntries, Evictions) {
  WatchLog log;
  EvictionLog evictions(log);
  EXPECT_FALSE(evictions.watching());
  const auto w = log.attach(kLogEvictions, 4096);
  EXPECT_TRUE(evictions.watching());
  cache::ItemView item{.key = "old", .value = "12345", .exptime = 1060, .last_access = 990};
  evictions.evicted(item, 1000);
  item.fetched = true;
  item.exptime = 0;
  evictions.evicted(item, 1000);
  EXPECT_THAT(bodies(log, *w),
              ElementsAre("type=eviction key=old fetch=no ttl=60 la=10 clsid=1 size=5",
                          "type=eviction key=old fetch=yes ttl=-1 la=10 clsid=1 size=5"));
}

// The command layer, through the text protocol: what memcached logs for each command.
TEST(LogEntries, RaisedByTheCommandLayerAsMemcachedRaisesThem) {
  Env env;
  const auto w = env.server().watch_log.attach(kLogFetchers | kLogMutations, 65536);
  ASSERT_TRUE(w);
  env.feed(
      "get a\r\nset a 0 100 2\r\nhi\r\nadd a 0 0 1\r\nz\r\nappend a 0 0 1\r\nz\r\n"
      "incr a 1\r\ntouch a 10\r\ngat 0 a\r\ndelete a\r\nmg a v\r\n");
  EXPECT_THAT(
      bodies(env.server().watch_log, *w),
      ElementsAre("type=item_get key=a status=not_found clsid=0 cfd=-1 size=0",
                  "type=item_get key=a status=not_found clsid=0 cfd=-1 size=0",
                  "type=item_store key=a status=stored cmd=set ttl=100 clsid=1 cfd=-1 size=2",
                  "type=item_get key=a status=found clsid=1 cfd=-1 size=2",
                  "type=item_store key=a status=not_stored cmd=add ttl=0 clsid=1 cfd=-1 size=1",
                  "type=item_get key=a status=found clsid=1 cfd=-1 size=2",
                  "type=item_store key=a status=stored cmd=append ttl=100 clsid=1 cfd=-1 size=3",
                  "type=item_get key=a status=found clsid=1 cfd=-1 size=3",
                  "type=item_get key=a status=found clsid=1 cfd=-1 size=3",
                  "type=item_get key=a status=found clsid=1 cfd=-1 size=3",
                  "type=item_get key=a status=found clsid=1 cfd=-1 size=3",
                  "type=item_get key=a status=not_found clsid=0 cfd=-1 size=0"));
}

TEST(LogEntries, NothingIsFormattedWithoutAWatcher) {
  Env env;
  env.feed("get a\r\nset a 0 0 1\r\nx\r\n");
  EXPECT_EQ(env.server().watch_log.stats().worker_written, 0u);
}

}  // namespace
}  // namespace cuckood::proto::testing
