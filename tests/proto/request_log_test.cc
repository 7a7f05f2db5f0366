// proto/request_log: the -vv log as the codecs report it — each request as decoded, then its
// reply, request by request (memcached's interleaving), value data left out, the same at
// every split size (a storage command waiting for its data block is logged once).
#include "proto/request_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
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
  void note(std::string_view line) noexcept override { lines.push_back(std::string(line)); }
  Lines lines;
};

// Runs `input` at every split size in `splits`; the log must read `expected` each time, and
// the replies must be what the session sends without a log.
template <class Splits>
void expect_log(std::string_view input, const Lines& expected, const Splits& splits,
                const Settings& settings = {}) {
  Env plain(settings);
  const std::string unlogged = plain.feed(input);
  // The session first says which protocol the connection's first byte chose (fd -1 here).
  Lines with_protocol{"-1: Client using the ascii protocol"};
  with_protocol.insert(with_protocol.end(), expected.begin(), expected.end());
  for (size_t split : splits) {
    Env env(settings);
    RecordingLog log;
    EXPECT_EQ(env.feed(input, split, &log), unlogged) << "split size " << split;
    EXPECT_EQ(log.lines, with_protocol) << "split size " << split;
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

// memcached's dump of a packet header: `title`, then four bytes a line.
Lines dump(std::string_view prefix, std::string_view title, std::string_view header) {
  Lines lines{std::string(prefix) + std::string(title)};
  char hex[8];
  for (size_t line = 0; line < binary::kHeaderSize; line += 4) {
    std::string text(prefix);
    text += prefix == "<" ? "  " : " ";
    for (size_t i = line; i < line + 4; ++i) {
      std::snprintf(hex, sizeof(hex), " 0x%02x", static_cast<uint8_t>(header[i]));
      text += hex;
    }
    lines.push_back(text);
  }
  return lines;
}

void append(Lines& to, const Lines& lines) {
  to.insert(to.end(), lines.begin(), lines.end());
}

TEST(RequestLog, BinaryAsMemcachedPrintsIt) {
  Packet set{binary::Opcode::kSet, "k", store_extras(0, 0), "value"};
  Packet get{binary::Opcode::kGet, "k", "", ""};
  Packet getq{binary::Opcode::kGetQ, "nokey", "", ""};
  Packet getk{binary::Opcode::kGetK, "nokey", "", ""};
  Packet miss{binary::Opcode::kGet, "nokey", "", ""};
  Packet append_one{binary::Opcode::kAppend, "k", "", "!"};
  Packet incr{binary::Opcode::kIncrement, "n", arith_extras(5, 7, 0), ""};
  Packet del{binary::Opcode::kDelete, "k", "", ""};
  Packet unknown{static_cast<binary::Opcode>(0x30), "", "", ""};
  Packet noop{binary::Opcode::kNoOp, "", "", ""};
  const Packet packets[] = {set, get, getq, getk, miss, append_one, incr, del, unknown, noop};
  std::string input;
  for (const Packet& p : packets) input += request(p);

  Env plain;
  const std::string replies = plain.feed(input);
  // The response headers, in order (getq's miss has none).
  std::vector<std::string> headers;
  for (size_t pos = 0; pos + binary::kHeaderSize <= replies.size();) {
    const binary::ResponseHeader r = binary::decode_response_header(replies.data() + pos);
    headers.push_back(replies.substr(pos, binary::kHeaderSize));
    pos += binary::kHeaderSize + r.body_length;
  }
  ASSERT_EQ(headers.size(), 9u);
  // memcached dumps a get hit's header before it fills the cas in.
  std::fill(headers[1].begin() + 16, headers[1].end(), '\0');
  const auto read = [](const Packet& p) {
    return dump("<", "Read binary protocol data:", request(p));
  };
  const auto wrote = [&](size_t i) { return dump(">", "Writing bin response:", headers[i]); };
  Lines expected;
  append(expected, read(set));
  expected.push_back("<SET k Value len is 5");
  append(expected, wrote(0));
  append(expected, read(get));
  expected.push_back("<GET k");
  append(expected, wrote(1));
  append(expected, read(getq));
  expected.push_back("<GET nokey");
  append(expected, read(getk));
  expected.push_back("<GET nokey");
  append(expected, wrote(2));  // the key comes back: not written as an error
  append(expected, read(miss));
  expected.push_back("<GET nokey");
  expected.push_back(">Writing an error: Not found");
  append(expected, wrote(3));
  append(expected, read(append_one));
  expected.push_back("Value len is 1");
  append(expected, wrote(4));
  append(expected, read(incr));
  expected.push_back("incr n 5, 7, 0");
  append(expected, wrote(5));
  append(expected, read(del));
  expected.push_back("Deleting k");
  append(expected, wrote(6));
  append(expected, read(unknown));
  expected.push_back(">Writing an error: Unknown command");
  append(expected, wrote(7));
  append(expected, read(noop));
  append(expected, wrote(8));
  for (size_t split : kBinarySplitSizes) {
    Env env;
    RecordingLog log;
    EXPECT_EQ(env.feed(input, split, &log), replies) << "split size " << split;
    expected.insert(expected.begin(), "-1: Client using the binary protocol");
    EXPECT_EQ(log.lines, expected) << "split size " << split;
    expected.erase(expected.begin());
  }
}

}  // namespace
}  // namespace cuckood::proto::testing
