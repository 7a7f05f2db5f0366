// proto/udp_frame: the 8-byte header round-trips in network byte order; which request headers
// memcached answers; how a reply message is cut into datagrams (sizes, sequence numbers, the
// total in every one, the payloads concatenating back to the message).
#include "proto/udp_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cuckood::proto {
namespace {

std::string header(uint16_t id, uint16_t sequence, uint16_t total, uint16_t reserved) {
  std::string out(kUdpHeaderSize, '\0');
  encode_udp_frame({id, sequence, total, reserved}, out.data());
  return out;
}

TEST(UdpFrameTest, HeaderIsFourBigEndianFields) {
  EXPECT_EQ(header(0x1234, 0x0102, 0xa0b0, 0), std::string("\x12\x34\x01\x02\xa0\xb0\0\0", 8));
  const std::optional<UdpFrame> frame =
      decode_udp_frame(std::string("\xff\xfe\0\x07\0\x09\x80\x01", 8));
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->request_id, 0xfffe);
  EXPECT_EQ(frame->sequence, 7);
  EXPECT_EQ(frame->total, 9);
  EXPECT_EQ(frame->reserved, 0x8001);
  EXPECT_FALSE(decode_udp_frame(std::string(7, '\0')));
}

TEST(UdpFrameTest, RoundTrip) {
  for (const UdpFrame f :
       {UdpFrame{0, 0, 0, 0}, UdpFrame{65535, 65535, 65535, 65535}, UdpFrame{1, 256, 255, 2}}) {
    const std::optional<UdpFrame> back =
        decode_udp_frame(header(f.request_id, f.sequence, f.total, f.reserved));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->request_id, f.request_id);
    EXPECT_EQ(back->sequence, f.sequence);
    EXPECT_EQ(back->total, f.total);
    EXPECT_EQ(back->reserved, f.reserved);
  }
}

// memcached's try_read_udp: more than a header, and a total of exactly one datagram; the
// sequence number and the reserved field are not checked.
TEST(UdpFrameTest, RequestsMemcachedAnswers) {
  EXPECT_TRUE(decode_udp_request(header(5, 0, 1, 0) + "x"));
  EXPECT_TRUE(decode_udp_request(header(5, 9, 1, 7) + "x"));
  EXPECT_FALSE(decode_udp_request(header(5, 0, 1, 0)));  // a header alone
  EXPECT_FALSE(decode_udp_request("abc"));
  EXPECT_FALSE(decode_udp_request(header(5, 0, 2, 0) + "get a\r\n"));  // multi-datagram
  EXPECT_FALSE(decode_udp_request(header(5, 0, 0, 0) + "get a\r\n"));
  EXPECT_FALSE(decode_udp_request(header(5, 0, 0x0101, 0) + "get a\r\n"));
}

TEST(UdpFrameTest, DatagramCount) {
  EXPECT_EQ(udp_datagram_count(0), 0);
  EXPECT_EQ(udp_datagram_count(1), 1);
  EXPECT_EQ(udp_datagram_count(kUdpMaxData), 1);
  EXPECT_EQ(udp_datagram_count(kUdpMaxData + 1), 2);
  EXPECT_EQ(udp_datagram_count(100 * 1024), 74);  // memcached: ceil(102400 / 1392)
  EXPECT_EQ(udp_datagram_count(size_t{1} << 30), 65535);
}

TEST(UdpFrameTest, MessageIsCutIntoNumberedDatagrams) {
  for (const size_t size : {size_t{1}, kUdpMaxData - 1, kUdpMaxData, kUdpMaxData + 1, size_t{20000},
                            size_t{100 * 1024}}) {
    std::string message(size, '\0');
    for (size_t i = 0; i < size; ++i) message[i] = static_cast<char>('a' + i % 26);
    std::string out = "prefix";  // appended to, not replaced
    std::vector<UdpDatagramSpan> spans;
    append_udp_message(0xbeef, message, out, spans);
    const uint16_t total = udp_datagram_count(size);
    ASSERT_EQ(spans.size(), total) << size;
    std::string joined;
    size_t offset = 6;
    for (size_t i = 0; i < spans.size(); ++i) {
      EXPECT_EQ(spans[i].offset, offset);
      EXPECT_LE(spans[i].size, kUdpMaxDatagram);
      if (i + 1 < spans.size()) {
        EXPECT_EQ(spans[i].size, kUdpMaxDatagram);
      }
      const std::string_view datagram =
          std::string_view(out).substr(spans[i].offset, spans[i].size);
      const std::optional<UdpFrame> frame = decode_udp_frame(datagram);
      ASSERT_TRUE(frame);
      EXPECT_EQ(frame->request_id, 0xbeef);
      EXPECT_EQ(frame->sequence, i);
      EXPECT_EQ(frame->total, total);
      EXPECT_EQ(frame->reserved, 0);
      joined.append(datagram.substr(kUdpHeaderSize));
      offset += spans[i].size;
    }
    EXPECT_EQ(offset, out.size());
    EXPECT_EQ(out.substr(0, 6), "prefix");
    EXPECT_EQ(joined, message) << size;
  }
}

TEST(UdpFrameTest, EmptyMessageSendsNothing) {
  std::string out;
  std::vector<UdpDatagramSpan> spans;
  append_udp_message(1, "", out, spans);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(spans.empty());
}

}  // namespace
}  // namespace cuckood::proto
