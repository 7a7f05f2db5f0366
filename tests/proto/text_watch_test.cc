// `watch` through a Session: memcached's answers, the session turning into a watcher that
// drops its input, and lines reaching it through drain_watch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

using ::testing::MatchesRegex;

TEST(TextWatch, OkThenOnlyLogLines) {
  Env watcher;
  EXPECT_EQ(watcher.feed("watch fetchers\r\nget a\r\n"), "OK\r\n");
  EXPECT_TRUE(watcher.session().watching());
  EXPECT_EQ(watcher.feed("version\r\n"), "");  // dropped, as memcached's conn_watch
  EXPECT_EQ(watcher.pending(), "");
  EXPECT_EQ(watcher.server().watch_log.stats().watchers, 1u);

  Session client(watcher.worker(), BindingProtocol::kAuto, 42);
  std::string answer;
  client.process("get a\r\n", answer);
  EXPECT_EQ(answer, "END\r\n");
  Output lines;
  EXPECT_GT(watcher.session().drain_watch(lines, 4096), 0u);
  EXPECT_THAT(lines.bytes, MatchesRegex("ts=[0-9]+\\.[0-9]+ gid=[0-9]+ type=item_get key=a "
                                        "status=not_found clsid=0 cfd=42 size=0\n"));
}

TEST(TextWatch, DetachesWhenTheSessionEnds) {
  Env env;
  {
    Session watcher(env.worker());
    std::string out;
    watcher.process("watch mutations\r\n", out);
    EXPECT_EQ(out, "OK\r\n");
    EXPECT_EQ(env.server().watch_log.stats().watchers, 1u);
  }
  EXPECT_EQ(env.server().watch_log.stats().watchers, 0u);
}

TEST(TextWatch, Refusals) {
  expect_response("watch bogus\r\n", "ERROR\r\n");
  expect_response("watch fetchers nonsense\r\n", "ERROR\r\n");
  Settings no_watch;
  no_watch.watch_enabled = false;  // -W
  expect_response("watch mutations\r\n", "CLIENT_ERROR watch commands not allowed\r\n", no_watch);
  // memcached refuses a watch behind replies not yet sent (before it looks at the kinds), and
  // the connection goes on.
  expect_at_splits(std::array<size_t, 1>{0}, "version\r\nwatch bogus\r\nmn\r\n",
                   "VERSION 1.6.18-cuckood-0.1\r\n"
                   "ERROR cannot pipeline other commands before watch\r\nMN\r\n");
}

TEST(TextWatch, TwentyWatchersAtMost) {
  Env env;
  std::vector<std::unique_ptr<Session>> watchers;
  for (size_t i = 0; i < kMaxWatchers; ++i) {
    watchers.push_back(std::make_unique<Session>(env.worker()));
    std::string out;
    watchers.back()->process("watch\r\n", out);
    ASSERT_EQ(out, "OK\r\n");
  }
  EXPECT_EQ(env.feed("watch\r\n"), "WATCHER_TOO_MANY log watcher limit reached\r\n");
  EXPECT_FALSE(env.session().watching());
}

}  // namespace
}  // namespace cuckood::proto::testing
