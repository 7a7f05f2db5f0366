// proto/udp_responder: one request datagram in, its reply datagrams out — one message per
// request under the request's id, text (classic and meta) and binary, a noreply request
// answered by nothing, an incomplete request dropped with its datagram, each datagram a fresh
// stream, the frames memcached ignores, and bytes_read / bytes_written counted as memcached
// counts UDP traffic (whole datagrams, headers included).
#include "proto/udp_responder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/proto/binary_packets.h"
#include "tests/proto/worker_fixture.h"

namespace cuckood::proto {
namespace {

struct Message {
  uint16_t request_id;
  std::string payload;
};

class UdpResponderTest : public ::testing::Test {
 protected:
  static std::string datagram(uint16_t id, std::string_view payload, uint16_t total = 1) {
    std::string out(kUdpHeaderSize, '\0');
    encode_udp_frame({id, 0, total, 0}, out.data());
    return out.append(payload);
  }

  // Answers `input`; returns the reply messages, each reassembled from its datagrams after
  // checking their frames (sequence numbers from 0, the same total in each, sizes).
  std::vector<Message> answer(std::string_view input) {
    std::string out;
    std::vector<UdpDatagramSpan> spans;
    const size_t count = responder_.answer(input, out, spans);
    EXPECT_EQ(count, spans.size());
    std::vector<Message> messages;
    for (size_t i = 0; i < spans.size();) {
      const std::string_view first = std::string_view(out).substr(spans[i].offset, spans[i].size);
      const UdpFrame head = *decode_udp_frame(first);
      Message m{head.request_id, ""};
      for (uint16_t seq = 0; seq < head.total; ++seq, ++i) {
        EXPECT_LT(i, spans.size());
        if (i >= spans.size()) return messages;
        const std::string_view d = std::string_view(out).substr(spans[i].offset, spans[i].size);
        const UdpFrame f = *decode_udp_frame(d);
        EXPECT_LE(d.size(), kUdpMaxDatagram);
        EXPECT_EQ(f.request_id, head.request_id);
        EXPECT_EQ(f.sequence, seq);
        EXPECT_EQ(f.total, head.total);
        EXPECT_EQ(f.reserved, 0);
        m.payload.append(d.substr(kUdpHeaderSize));
      }
      messages.push_back(std::move(m));
    }
    return messages;
  }

  std::vector<std::string> payloads(std::string_view input) {
    std::vector<std::string> out;
    for (Message& m : answer(input)) out.push_back(std::move(m.payload));
    return out;
  }

  testing::WorkerFixture<> fixture_;
  UdpResponder responder_{fixture_.worker()};
};

using Payloads = std::vector<std::string>;

TEST_F(UdpResponderTest, OneMessagePerRequestUnderTheRequestId) {
  const std::vector<Message> set = answer(datagram(0xabcd, "set a 0 0 1\r\n1\r\nget a\r\n"));
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].request_id, 0xabcd);
  EXPECT_EQ(set[0].payload, "STORED\r\n");
  EXPECT_EQ(set[1].request_id, 0xabcd);
  EXPECT_EQ(set[1].payload, "VALUE a 0 1\r\n1\r\nEND\r\n");
}

TEST_F(UdpResponderTest, TextCommands) {
  EXPECT_EQ(payloads(datagram(1, "set n 5 0 2\r\n10\r\n")), Payloads{"STORED\r\n"});
  EXPECT_EQ(payloads(datagram(2, "incr n 5\r\ndecr n 1\r\n")), (Payloads{"15\r\n", "14\r\n"}));
  const Payloads gets = payloads(datagram(3, "gets n\r\n"));
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_TRUE(gets[0].starts_with("VALUE n 5 2 ")) << gets[0];
  EXPECT_TRUE(gets[0].ends_with("\r\n14\r\nEND\r\n")) << gets[0];
  EXPECT_EQ(payloads(datagram(4, "delete n\r\ndelete n\r\n")),
            (Payloads{"DELETED\r\n", "NOT_FOUND\r\n"}));
  EXPECT_EQ(payloads(datagram(5, "bogus\r\n")), Payloads{"ERROR\r\n"});
}

// A multi-key get is one request, so one message (memcached 1.6 sends one per key, which a
// client cannot reassemble by sequence number).
TEST_F(UdpResponderTest, MultiKeyGetIsOneMessage) {
  payloads(datagram(1, "set a 0 0 1\r\n1\r\nset b 0 0 2\r\n22\r\n"));
  EXPECT_EQ(payloads(datagram(2, "get a x b\r\n")),
            Payloads{"VALUE a 0 1\r\n1\r\nVALUE b 0 2\r\n22\r\nEND\r\n"});
}

TEST_F(UdpResponderTest, MetaCommands) {
  EXPECT_EQ(payloads(datagram(1, "ms m 2 T0\r\nhi\r\nmg m v f\r\nmg zz v\r\nmn\r\n")),
            (Payloads{"HD\r\n", "VA 2 f0\r\nhi\r\n", "EN\r\n", "MN\r\n"}));
  EXPECT_EQ(payloads(datagram(2, "mg zz v q\r\nmn\r\n")), Payloads{"MN\r\n"});
}

TEST_F(UdpResponderTest, NoreplyAnswersNothing) {
  EXPECT_TRUE(answer(datagram(1, "set q 0 0 1 noreply\r\nx\r\n")).empty());
  EXPECT_EQ(payloads(datagram(2, "get q\r\n")), Payloads{"VALUE q 0 1\r\nx\r\nEND\r\n"});
}

TEST_F(UdpResponderTest, BinaryRequests) {
  using testing::Packet;
  using testing::request;
  std::string input = request({binary::Opcode::kSet, "bk", testing::store_extras(3, 0), "vv", 9});
  input += request({binary::Opcode::kGetQ, "missing", "", "", 0});
  input += request({binary::Opcode::kGet, "bk", "", "", 10});
  const Payloads replies = payloads(datagram(7, input));
  ASSERT_EQ(replies.size(), 2u);  // the quiet miss answers nothing
  EXPECT_EQ(static_cast<unsigned char>(replies[0][0]), binary::kResponseMagic);
  EXPECT_EQ(replies[0].substr(6, 2), std::string("\0\0", 2));  // status: success
  EXPECT_EQ(replies[1].substr(replies[1].size() - 2), "vv");
}

TEST_F(UdpResponderTest, LargeReplySpansDatagrams) {
  const std::string value(100 * 1024, 'v');
  const std::string big = "set big 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  // A request datagram cannot hold 100 KiB; store through the session directly.
  Session session(fixture_.worker());
  std::string stored;
  session.process(big, stored);
  ASSERT_EQ(stored, "STORED\r\n");
  std::string out;
  std::vector<UdpDatagramSpan> spans;
  EXPECT_EQ(responder_.answer(datagram(3, "get big\r\n"), out, spans), 74u);
  EXPECT_EQ(payloads(datagram(3, "get big\r\n")),
            Payloads{"VALUE big 0 102400\r\n" + value + "\r\nEND\r\n"});
}

// Each datagram is a stream of its own: what one leaves incomplete is dropped, and the next
// datagram does not continue it.
TEST_F(UdpResponderTest, IncompleteRequestIsDropped) {
  EXPECT_EQ(payloads(datagram(1, "set x 0 0 10\r\nabc")), Payloads{});
  EXPECT_EQ(payloads(datagram(2, "defghij\r\n")), Payloads{"ERROR\r\n"});
  EXPECT_EQ(payloads(datagram(3, "get x\r\nget")), Payloads{"END\r\n"});
}

TEST_F(UdpResponderTest, FramesMemcachedIgnores) {
  std::string out;
  std::vector<UdpDatagramSpan> spans;
  EXPECT_EQ(responder_.answer("", out, spans), 0u);
  EXPECT_EQ(responder_.answer("short", out, spans), 0u);
  EXPECT_EQ(responder_.answer(datagram(1, ""), out, spans), 0u);
  EXPECT_EQ(responder_.answer(datagram(1, "get a\r\n", 2), out, spans), 0u);
  EXPECT_EQ(responder_.answer(datagram(1, "get a\r\n", 0), out, spans), 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(fixture_.worker().stats.cmd_get.load(), 0u);
}

TEST_F(UdpResponderTest, BytesCountedAsMemcachedCountsThem) {
  CommandStats& stats = fixture_.worker().stats;
  const auto read = [&] { return stats.bytes_read.load(); };
  const auto written = [&] { return stats.bytes_written.load(); };
  std::string out;
  std::vector<UdpDatagramSpan> spans;
  responder_.answer("tiny", out, spans);
  responder_.answer(datagram(1, ""), out, spans);
  EXPECT_EQ(read(), 0u);  // no longer than a header: not even read, for memcached
  const std::string multi = datagram(1, "get a\r\n", 2);
  responder_.answer(multi, out, spans);
  EXPECT_EQ(read(), multi.size());  // dropped, but read
  EXPECT_EQ(written(), 0u);
  const std::string request = datagram(2, "set k 0 0 1\r\nv\r\nget k\r\nget");
  responder_.answer(request, out, spans);
  EXPECT_EQ(read(), multi.size() + request.size());  // the incomplete tail too
  EXPECT_EQ(written(), out.size());                  // "STORED", the get's reply, both headers
  EXPECT_EQ(stats.cmd_get.load(), 1u);
  EXPECT_EQ(stats.cmd_set.load(), 1u);
}

}  // namespace
}  // namespace cuckood::proto
