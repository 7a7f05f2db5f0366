// `stats conns` over a ConnectionDirectory: rows by fd in memcached's shape; nothing without a
// directory; the binary protocol does not know the group.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/commands.h"
#include "proto/connection_directory.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

class FakeDirectory final : public ConnectionDirectory {
 public:
  void list(FunctionRef<void(const ConnectionRow&)> visit) const override {
    for (const ConnectionRow& row : rows) visit(row);
  }
  ConnectionResources resources() const override { return resources_; }
  std::vector<ConnectionRow> rows;
  ConnectionResources resources_;
};

TEST(StatsConns, RowsByFdInMemcachedsShape) {
  Env env;
  FakeDirectory directory;
  const cache::Time now = env.now();
  directory.rows.push_back(
      {12, "tcp:127.0.0.1:5000", "tcp:127.0.0.1:11211", "conn_parse_cmd", now});
  directory.rows.push_back({5, "tcp:0.0.0.0:11211", "", "conn_listening", now - 30});
  directory.rows.push_back({9, "?:<AF 0>", "unix:/tmp/s", "conn_nread", now - 2});
  directory.rows.push_back({7, "udp:0.0.0.0:11211", "", "conn_read", now - 4, true});
  env.server().connections.store(&directory);
  EXPECT_EQ(env.feed("stats conns\r\n"),
            "STAT 5:addr tcp:0.0.0.0:11211\r\n"
            "STAT 5:state conn_listening\r\n"
            "STAT 5:secs_since_last_cmd 30\r\n"
            "STAT 7:UDP UDP\r\n"
            "STAT 7:addr udp:0.0.0.0:11211\r\n"
            "STAT 7:state conn_read\r\n"
            "STAT 7:secs_since_last_cmd 4\r\n"
            "STAT 9:addr ?:<AF 0>\r\n"
            "STAT 9:listen_addr unix:/tmp/s\r\n"
            "STAT 9:state conn_nread\r\n"
            "STAT 9:secs_since_last_cmd 2\r\n"
            "STAT 12:addr tcp:127.0.0.1:5000\r\n"
            "STAT 12:listen_addr tcp:127.0.0.1:11211\r\n"
            "STAT 12:state conn_parse_cmd\r\n"
            "STAT 12:secs_since_last_cmd 0\r\n"
            "END\r\n");
  env.server().connections.store(nullptr);
}

// The general `stats` takes net/'s figures from the same directory.
TEST(StatsConns, GeneralStatsTakeTheDirectorysResources) {
  Env env;
  FakeDirectory directory;
  directory.resources_ = {"epoll", 7, 3, 3 * 16384, 12};
  env.server().connections.store(&directory);
  const std::string reply = env.feed("stats\r\n");
  for (const char* line : {"STAT libevent epoll\r\n", "STAT connection_structures 7\r\n",
                           "STAT read_buf_count 3\r\n", "STAT read_buf_bytes 49152\r\n",
                           "STAT read_buf_bytes_free 0\r\n", "STAT reserved_fds 12\r\n"}) {
    EXPECT_NE(reply.find(line), std::string::npos) << line;
  }
  env.server().connections.store(nullptr);
}

TEST(StatsConns, EmptyWithoutADirectory) {
  expect_response("stats conns\r\n", "END\r\n");
}

// memcached's binary Stat answers "conns" with "Not found": the group is not collect_stats'.
TEST(StatsConns, NotAGroupOfCollectStats) {
  Env env;
  EXPECT_FALSE(collect_stats(env.worker(), "conns", [](std::string_view, std::string_view) {}));
}

}  // namespace
}  // namespace cuckood::proto::testing
