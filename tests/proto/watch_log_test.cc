// WatchLog: the flags of `watch`, which watcher sees what, gid order across producers, the
// skipped lines of a full ring, the watcher limit, the stats, and producers on their own
// threads against a draining watcher (run under TSan by scripts/sanitize.sh).
#include "proto/watch_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cuckood::proto {
namespace {

using ::testing::MatchesRegex;

std::optional<LogFlags> flags_of(std::vector<std::string_view> words) {
  return parse_watch_flags(words);
}

// Drains everything waiting for `watcher` and splits it into lines (without "\n").
std::vector<std::string> lines_of(WatchLog& log, size_t watcher) {
  std::string out;
  log.drain(watcher, out, SIZE_MAX);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(out.substr(start, end - start));
  }
  EXPECT_EQ(start, out.size()) << "a partial line";
  return lines;
}

TEST(ParseWatchFlags, MemcachedsNames) {
  EXPECT_EQ(flags_of({}), kLogFetchers);
  EXPECT_EQ(flags_of({"fetchers", "mutations"}), kLogFetchers | kLogMutations);
  EXPECT_EQ(flags_of({"evictions"}), kLogEvictions);
  EXPECT_EQ(flags_of({"connevents"}), kLogConnEvents);
  EXPECT_EQ(flags_of({"rawcmds", "sysevents", "proxyreqs", "proxyevents", "proxyuser"}),
            kLogRawCmds | kLogSysEvents | kLogProxyReqs | kLogProxyEvents | kLogProxyUser);
  EXPECT_EQ(flags_of({"fetchers", "bogus"}), std::nullopt);
  EXPECT_EQ(flags_of({"Fetchers"}), std::nullopt);
}

TEST(WatchLog, NothingIsWantedWithoutWatchers) {
  WatchLog log;
  LogProducer& producer = log.add_producer();
  EXPECT_FALSE(producer.wants(kLogFetchers));
  producer.write(kLogFetchers, "type=item_get");  // goes nowhere
  const auto w = log.attach(kLogMutations, 4096);
  ASSERT_TRUE(w);
  EXPECT_TRUE(producer.wants(kLogMutations));
  EXPECT_FALSE(producer.wants(kLogFetchers));
  EXPECT_TRUE(lines_of(log, *w).empty());
  log.detach(*w);
  EXPECT_FALSE(producer.wants(kLogMutations));
}

TEST(WatchLog, LinesInMemcachedsShapeToTheWatchersOfTheirKind) {
  WatchLog log;
  LogProducer& producer = log.add_producer();
  const auto fetchers = log.attach(kLogFetchers, 4096);
  const auto both = log.attach(kLogFetchers | kLogMutations, 4096);
  ASSERT_TRUE(fetchers && both);
  producer.write(kLogFetchers, "type=item_get key=a");
  producer.write(kLogMutations, "type=item_store key=a");
  const auto first = lines_of(log, *fetchers);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_THAT(first[0], MatchesRegex("ts=[0-9]+\\.[0-9]+ gid=[0-9]+ type=item_get key=a"));
  const auto second = lines_of(log, *both);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_THAT(second[1], MatchesRegex("ts=[0-9]+\\.[0-9]+ gid=[0-9]+ type=item_store key=a"));
}

TEST(WatchLog, AWatcherSeesOnlyWhatCameAfterIt) {
  WatchLog log;
  LogProducer& producer = log.add_producer();
  const auto early = log.attach(kLogFetchers, 4096);
  producer.write(kLogFetchers, "before");
  const auto late = log.attach(kLogFetchers, 4096);
  producer.write(kLogFetchers, "after");
  EXPECT_EQ(lines_of(log, *early).size(), 2u);
  const auto seen = lines_of(log, *late);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_THAT(seen[0], MatchesRegex(".* after"));
  // A reused slot starts empty too.
  log.detach(*early);
  producer.write(kLogFetchers, "gone");
  const auto again = log.attach(kLogFetchers, 4096);
  EXPECT_EQ(again, early);
  EXPECT_TRUE(lines_of(log, *again).empty());
}

TEST(WatchLog, ProducersAreMergedInGidOrder) {
  WatchLog log;
  LogProducer& a = log.add_producer();
  LogProducer& b = log.add_producer();
  const auto w = log.attach(kLogFetchers | kLogEvictions, 4096);
  a.write(kLogFetchers, "1");
  b.write(kLogFetchers, "2");
  log.write_shared(kLogEvictions, "3");
  a.write(kLogFetchers, "4");
  const auto lines = lines_of(log, *w);
  ASSERT_EQ(lines.size(), 4u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_THAT(lines[i], MatchesRegex(".* " + std::to_string(i + 1)));
  }
}

TEST(WatchLog, AProducerAddedLaterReachesAttachedWatchers) {
  WatchLog log;
  const auto w = log.attach(kLogFetchers, 4096);
  LogProducer& late = log.add_producer();
  late.write(kLogFetchers, "x");
  EXPECT_EQ(lines_of(log, *w).size(), 1u);
}

TEST(WatchLog, AFullRingSkipsLinesAndSaysHowMany) {
  WatchLog log;
  LogProducer& producer = log.add_producer();
  const auto w = log.attach(kLogFetchers, WatchLog::kMinRingBytes);
  const std::string body(200, 'x');
  int written = 0;
  while (log.stats().watcher_skipped < 5) {
    producer.write(kLogFetchers, body);
    ++written;
  }
  const uint64_t kept = log.stats().watcher_sent;
  EXPECT_EQ(kept + 5, static_cast<uint64_t>(written));
  EXPECT_EQ(lines_of(log, *w).size(), kept);
  producer.write(kLogFetchers, "next");
  const auto lines = lines_of(log, *w);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "skipped=5");
  EXPECT_THAT(lines[1], MatchesRegex(".* next"));
}

TEST(WatchLog, DrainStopsNearItsBudget) {
  WatchLog log;
  LogProducer& producer = log.add_producer();
  const auto w = log.attach(kLogFetchers, 65536);
  for (int i = 0; i < 50; ++i) producer.write(kLogFetchers, std::string(100, 'y'));
  std::string out;
  const size_t first = log.drain(*w, out, 1000);
  EXPECT_GE(first, 1000u);
  EXPECT_LT(first, 1200u);
  EXPECT_EQ(out.back(), '\n');
}

TEST(WatchLog, TwentyWatchersAtMost) {
  WatchLog log;
  std::vector<size_t> ids;
  for (size_t i = 0; i < kMaxWatchers; ++i) {
    const auto w = log.attach(kLogFetchers, 4096);
    ASSERT_TRUE(w);
    ids.push_back(*w);
  }
  EXPECT_EQ(log.attach(kLogFetchers, 4096), std::nullopt);
  EXPECT_EQ(log.stats().watchers, kMaxWatchers);
  log.detach(ids[3]);
  EXPECT_EQ(log.attach(kLogFetchers, 4096), ids[3]);
}

TEST(WatchLog, StatsCountEntriesAndLines) {
  WatchLog log;
  LogProducer& producer = log.add_producer();
  const auto a = log.attach(kLogFetchers, 4096);
  const auto b = log.attach(kLogFetchers, 4096);
  ASSERT_TRUE(a && b);
  producer.write(kLogFetchers, "x");
  const LogStats s = log.stats();
  EXPECT_EQ(s.worker_written, 1u);
  EXPECT_EQ(s.watcher_sent, 2u);
  EXPECT_EQ(s.watcher_skipped, 0u);
  EXPECT_EQ(s.watchers, 2u);
}

TEST(WatchLog, ProducerThreadsAgainstADrainingWatcher) {
  WatchLog log;
  LogProducer& a = log.add_producer();
  LogProducer& b = log.add_producer();
  const auto w = log.attach(kLogFetchers | kLogEvictions, 8192);
  ASSERT_TRUE(w);
  constexpr int kEntries = 5000;
  auto produce = [](LogProducer& p) {
    for (int i = 0; i < kEntries; ++i) p.write(kLogFetchers, "type=item_get key=k");
  };
  std::thread ta(produce, std::ref(a));
  std::thread tb(produce, std::ref(b));
  std::thread tc([&log] {
    for (int i = 0; i < kEntries; ++i) log.write_shared(kLogEvictions, "type=eviction");
  });
  uint64_t last_gid = 0;
  size_t lines = 0;
  const std::regex gid_re("ts=[0-9]+\\.[0-9]+ gid=([0-9]+) .*");
  auto drain = [&] {
    for (const std::string& line : lines_of(log, *w)) {
      std::smatch m;
      if (line.starts_with("skipped=")) continue;
      ASSERT_TRUE(std::regex_match(line, m, gid_re)) << line;
      ++lines;
      last_gid = std::stoull(m[1]);
    }
  };
  // Drains while the producers run (they may not have started yet on a loaded machine), then
  // once more after them.
  for (int round = 0; round < 2000; ++round) drain();
  ta.join();
  tb.join();
  tc.join();
  drain();
  const LogStats s = log.stats();
  EXPECT_EQ(s.worker_written, 3u * kEntries);
  EXPECT_EQ(s.watcher_sent + s.watcher_skipped, 3u * kEntries);
  EXPECT_GT(lines, 0u);
  EXPECT_GT(last_gid, 0u);
}

}  // namespace
}  // namespace cuckood::proto
