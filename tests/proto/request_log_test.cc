// proto/request_log: the -vv log as the codecs report it — each request as decoded, then its
// reply, request by request (memcached's interleaving), value data left out, the same at
// every split size (a storage command waiting for its data block is logged once).
#include "proto/request_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/text_protocol.h"
#include "tests/proto/binary_packets.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

using Lines = std::vector<std::string>;

// Records "<request" and ">reply" lines, as net/ prints them without the fd.
class RecordingLog final : public RequestLog {
 public:
  void request(std::string_view line) noexcept override {
    lines.push_back("<" + std::string(line));
  }
  void reply(std::string_view line) noexcept override { lines.push_back(">" + std::string(line)); }
  Lines lines;
};

// Runs `input` at every split size in `splits`; the log must read `expected` each time, and
// the replies must be what the session sends without a log.
template <class Splits>
void expect_log(std::string_view input, const Lines& expected, const Splits& splits,
                const Settings& settings = {}) {
  Env plain(settings);
  const std::string unlogged = plain.feed(input);
  for (size_t split : splits) {
    Env env(settings);
    RecordingLog log;
    EXPECT_EQ(env.feed(input, split, &log), unlogged) << "split size " << split;
    EXPECT_EQ(log.lines, expected) << "split size " << split;
  }
}

void expect_text_log(std::string_view input, const Lines& expected, const Settings& settings = {}) {
  expect_log(input, expected, kSplitSizes, settings);
}

TEST(RequestLog, TextRequestThenItsReplyInOrder) {
  // memcached 1.6.18 -vv prints the same lines for these, in this order.
  expect_text_log(
      "set a 0 0 5\r\nhello\r\nget nokey\r\ndelete a noreply\r\nbogus\r\nset b 0 0 zz\r\n"
      "incr x 1\r\nmn\r\n",
      {"<set a 0 0 5", ">STORED", "<get nokey", ">END", "<delete a noreply", ">NOREPLY DELETED",
       "<bogus", ">ERROR", "<set b 0 0 zz", ">CLIENT_ERROR bad command line format", "<incr x 1",
       ">NOT_FOUND", "<mn", ">MN"});
}

// A long retrieval line is answered as it arrives: logged once, as far as it had arrived when
// it started, then its replies.
TEST(RequestLog, LongRetrievalLineOnceThenItsReplies) {
  std::string line = "get k0";
  while (line.size() <= kMaxLineWithoutNewline) line += " miss";
  for (size_t split : kSplitSizes) {
    Env env;
    RecordingLog log;
    env.feed("set k0 0 0 1\r\nv\r\n");
    EXPECT_EQ(env.feed(line + " k0\r\nmn\r\n", split, &log),
              "VALUE k0 0 1\r\nv\r\nVALUE k0 0 1\r\nv\r\nEND\r\nMN\r\n");
    ASSERT_EQ(log.lines.size(), 6u) << split;
    EXPECT_TRUE(log.lines[0].starts_with("<get k0 miss")) << split;
    EXPECT_GT(log.lines[0].size(), kMaxLineWithoutNewline) << split;
    EXPECT_EQ(Lines(log.lines.begin() + 1, log.lines.end()),
              (Lines{">VALUE k0 0 1", ">VALUE k0 0 1", ">END", "<mn", ">MN"}))
        << split;
  }
}

TEST(RequestLog, ValuesAreLeftOut) {
  // Value data that looks like reply lines stays out of the log; ma's counter is a reply.
  expect_text_log(
      "set a 0 0 11\r\nEND\r\nSTORED\r\nget a b\r\nms m 3 T0\r\nxyz\r\nmg m v\r\nms e 0\r\n\r\n"
      "mg e v\r\nset n 0 0 1\r\n5\r\nma n v\r\n",
      {"<set a 0 0 11", ">STORED", "<get a b", ">VALUE a 0 11", ">END", "<ms m 3 T0", ">HD",
       "<mg m v", ">VA 3", "<ms e 0", ">HD", "<mg e v", ">VA 0", "<set n 0 0 1", ">STORED",
       "<ma n v", ">VA 1", ">6"});
}

TEST(RequestLog, VoidedMultiGetLogsTheErrorOnly) {
  expect_text_log("set a 0 0 1\r\nx\r\nget a " + std::string(251, 'k') + "\r\n",
                  {"<set a 0 0 1", ">STORED", "<get a " + std::string(251, 'k'),
                   ">CLIENT_ERROR bad command line format"});
}

TEST(RequestLog, RefusedValueIsLoggedOnceAndNotItsData) {
  Settings small;
  small.max_item_size = 1024;
  expect_text_log("set k 0 0 2000\r\n" + std::string(2000, 'v') + "\r\nmn\r\n",
                  {"<set k 0 0 2000", ">SERVER_ERROR object too large for cache", "<mn", ">MN"},
                  small);
  expect_text_log("set k 0 0 2\r\nhiX\r\n",
                  {"<set k 0 0 2", ">CLIENT_ERROR bad data chunk", "<", ">ERROR"});
}

TEST(RequestLog, BinaryPacketsNamedByTheCommandTable) {
  Packet set;
  set.opcode = binary::Opcode::kSet;
  set.key = "k";
  set.extras = store_extras(0, 0);
  set.value = "value";
  Packet get;
  get.key = "k";
  Packet getq;
  getq.opcode = binary::Opcode::kGetQ;
  getq.key = "nokey";
  Packet getk;
  getk.opcode = binary::Opcode::kGetK;
  getk.key = "k";
  Packet unknown;
  unknown.opcode = static_cast<binary::Opcode>(0x30);
  Packet noop;
  noop.opcode = binary::Opcode::kNoOp;
  expect_log(
      request(set) + request(get) + request(getq) + request(getk) + request(unknown) +
          request(noop),
      {"<set k body 14", ">set status 0x00 body 0", "<get k body 1", ">get status 0x00 body 9",
       "<getq nokey body 5", "<getk k body 1", ">getk k status 0x00 body 10", "<0x30 body 0",
       ">0x30 status 0x81 body 15", "<noop body 0", ">noop status 0x00 body 0"},
      kBinarySplitSizes);
}

TEST(RequestLog, OpcodeNamesComeFromTheCommandTable) {
  EXPECT_EQ(binary::opcode_name(binary::Opcode::kGet), "get");
  EXPECT_EQ(binary::opcode_name(binary::Opcode::kGatKQ), "gatkq");
  EXPECT_EQ(binary::opcode_name(binary::Opcode::kSaslAuth), "sasl_auth");
  EXPECT_EQ(binary::opcode_name(static_cast<binary::Opcode>(0x1f)), "");
}

}  // namespace
}  // namespace cuckood::proto::testing
