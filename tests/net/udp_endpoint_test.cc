// net/udp_endpoint: each datagram's replies are addressed to its sender; unsent() hands out
// complete message headers in order, at most `max` at a time, that stay valid while more
// datagrams arrive; sent() moves on; beyond the backlog cap requests are dropped unanswered
// until the replies drain.
#include "net/udp_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/session.h"
#include "tests/proto/worker_fixture.h"

namespace cuckood::net {
namespace {

std::string datagram(uint16_t id, std::string_view payload) {
  std::string out(proto::kUdpHeaderSize, '\0');
  proto::encode_udp_frame({id, 0, 1, 0}, out.data());
  return out.append(payload);
}

sockaddr_in peer(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

uint16_t port_of(const mmsghdr& m) {
  return ntohs(static_cast<const sockaddr_in*>(m.msg_hdr.msg_name)->sin_port);
}

std::string bytes_of(const mmsghdr& m) {
  EXPECT_EQ(m.msg_hdr.msg_iovlen, 1u);
  const iovec& v = m.msg_hdr.msg_iov[0];
  return std::string(static_cast<const char*>(v.iov_base), v.iov_len);
}

class UdpEndpointTest : public ::testing::Test {
 protected:
  void receive(uint16_t from, uint16_t id, std::string_view payload) {
    const sockaddr_in a = peer(from);
    endpoint_.receive(datagram(id, payload), reinterpret_cast<const sockaddr*>(&a), sizeof(a));
  }

  proto::testing::WorkerFixture<> fixture_;
  UdpEndpoint endpoint_{UniqueFd(), fixture_.worker()};
};

TEST_F(UdpEndpointTest, RepliesGoToTheirSenders) {
  EXPECT_FALSE(endpoint_.has_unsent());
  EXPECT_TRUE(endpoint_.unsent(8).empty());
  receive(1000, 1, "mn\r\n");
  receive(2000, 2, "version\r\nmn\r\n");
  ASSERT_TRUE(endpoint_.has_unsent());
  const std::span<mmsghdr> out = endpoint_.unsent(8);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(port_of(out[0]), 1000);
  EXPECT_EQ(bytes_of(out[0]), datagram(1, "MN\r\n"));
  EXPECT_EQ(port_of(out[1]), 2000);
  EXPECT_TRUE(bytes_of(out[1]).starts_with(datagram(2, "VERSION ")));
  EXPECT_EQ(port_of(out[2]), 2000);
  EXPECT_EQ(bytes_of(out[2]), datagram(2, "MN\r\n"));
  EXPECT_EQ(out[0].msg_hdr.msg_namelen, sizeof(sockaddr_in));
  endpoint_.sent(3);
  EXPECT_FALSE(endpoint_.has_unsent());
}

TEST_F(UdpEndpointTest, HandedOutDatagramsStayPutWhileMoreArrive) {
  receive(1000, 1, "mn\r\nmn\r\nmn\r\n");
  const std::span<mmsghdr> first = endpoint_.unsent(2);
  ASSERT_EQ(first.size(), 2u);
  const std::string before = bytes_of(first[0]);
  for (int i = 0; i < 200; ++i) receive(3000, 9, "version\r\n");  // would move a growing buffer
  EXPECT_EQ(bytes_of(first[0]), before);
  EXPECT_EQ(port_of(first[1]), 1000);
  endpoint_.sent(2);
  const std::span<mmsghdr> rest = endpoint_.unsent(1000);  // the third of the first batch
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(bytes_of(rest[0]), datagram(1, "MN\r\n"));
  endpoint_.sent(1);
  const std::span<mmsghdr> later = endpoint_.unsent(1000);  // then what arrived meanwhile
  ASSERT_EQ(later.size(), 200u);
  EXPECT_EQ(port_of(later[199]), 3000);
  endpoint_.sent(200);
  EXPECT_FALSE(endpoint_.has_unsent());
}

TEST_F(UdpEndpointTest, IgnoredDatagramsQueueNothing) {
  receive(1000, 1, "");
  receive(1000, 1, "set a 0 0 1 noreply\r\nx\r\n");
  EXPECT_FALSE(endpoint_.has_unsent());
}

TEST_F(UdpEndpointTest, BacklogCapDropsRequestsUntilDrained) {
  const std::string value(64 * 1024, 'v');
  proto::Session session(fixture_.worker());
  std::string stored;
  session.process("set v 0 0 65536\r\n" + value + "\r\n", stored);
  ASSERT_EQ(stored, "STORED\r\n");
  size_t replies = 0;
  while (endpoint_.wants_input()) {
    receive(1000, 1, "get v\r\n");
    ++replies;
  }
  const size_t message = value.size() + 24;  // "VALUE v 0 65536\r\n", "\r\nEND\r\n"
  const size_t datagrams = proto::udp_datagram_count(message);
  const size_t reply = message + datagrams * proto::kUdpHeaderSize;
  EXPECT_EQ(replies, (UdpEndpoint::kMaxBacklog + reply - 1) / reply);
  const uint64_t gets = fixture_.worker().stats.cmd_get.load();
  receive(1000, 2, "get v\r\n");  // dropped unread
  EXPECT_EQ(fixture_.worker().stats.cmd_get.load(), gets);
  size_t sent = 0;
  while (endpoint_.has_unsent()) {
    const size_t n = endpoint_.unsent(100).size();
    endpoint_.sent(n);
    sent += n;
  }
  EXPECT_EQ(sent, replies * datagrams);
  EXPECT_TRUE(endpoint_.wants_input());
}

}  // namespace
}  // namespace cuckood::net
