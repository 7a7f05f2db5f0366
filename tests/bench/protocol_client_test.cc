// The text and binary clients: requests on the wire byte for byte, responses decoded at every
// split point (a response may arrive in any number of pieces), and malformed or out-of-order
// responses rejected rather than misattributed.
#include <gtest/gtest.h>

#include <string>

#include "bench/load/binary_client.h"
#include "bench/load/text_client.h"
#include "bench/load/value_codec.h"
#include "tests/bench/binary_response.h"

namespace cuckood::load {
namespace {

using testing::binary_response;

using ParseFn = ParseStatus (*)(std::string_view, const Expected&, Reply&) noexcept;

// Every proper prefix needs more; the whole decodes to `kind` consuming exactly all of it.
Reply parse_at_every_split(ParseFn parse, const std::string& wire, const Expected& e,
                           ReplyKind kind) {
  Reply r;
  for (size_t cut = 0; cut < wire.size(); ++cut)
    EXPECT_EQ(parse(std::string_view(wire).substr(0, cut), e, r), ParseStatus::kNeedMore) << cut;
  EXPECT_EQ(parse(wire + "trailing", e, r), ParseStatus::kComplete);
  EXPECT_EQ(r.kind, kind);
  EXPECT_EQ(r.consumed, wire.size());
  return r;
}

TEST(TextClient, EncodesRequests) {
  Buffer b;
  text::append_get(b, "k01");
  text::append_set(b, "k01", 10);
  EXPECT_EQ(b.readable(), "get k01\r\nset k01 0 0 10\r\nk01:10;k01\r\n");
}

TEST(TextClient, DecodesResponses) {
  const Expected get{true, "k01", 0};
  const Expected set{false, "k01", 0};
  Reply hit = parse_at_every_split(text::parse, "VALUE k01 0 10\r\nk01:10;k01\r\nEND\r\n", get,
                                   ReplyKind::kHit);
  EXPECT_EQ(hit.value, "k01:10;k01");
  parse_at_every_split(text::parse, "END\r\n", get, ReplyKind::kMiss);
  parse_at_every_split(text::parse, "STORED\r\n", set, ReplyKind::kStored);
  parse_at_every_split(text::parse, "NOT_STORED\r\n", set, ReplyKind::kNotStored);
  parse_at_every_split(text::parse, "SERVER_ERROR out of memory storing object\r\n", set,
                       ReplyKind::kError);
  parse_at_every_split(text::parse, "ERROR\r\n", get, ReplyKind::kError);
}

TEST(TextClient, RejectsMalformedOrMisattributedResponses) {
  Reply r;
  const Expected get{true, "k01", 0};
  EXPECT_EQ(text::parse("VALUE k02 0 1\r\nx\r\nEND\r\n", get, r), ParseStatus::kInvalid);
  EXPECT_EQ(text::parse("VALUE k01 0 1\r\nxy\r\nEND\r\n", get, r), ParseStatus::kInvalid);
  EXPECT_EQ(text::parse("VALUE k01 0 z\r\n", get, r), ParseStatus::kInvalid);
  EXPECT_EQ(text::parse("STORED\r\n", get, r), ParseStatus::kInvalid);
  EXPECT_EQ(text::parse("END\r\n", Expected{false, "k01", 0}, r), ParseStatus::kInvalid);
  EXPECT_EQ(text::parse(std::string(4096, 'x'), get, r), ParseStatus::kInvalid);
}

TEST(BinaryClient, EncodesRequests) {
  Buffer b;
  binary::append_get(b, "k01", 0x01020304);
  const std::string get(b.readable());
  ASSERT_EQ(get.size(), 27u);
  EXPECT_EQ(get.substr(0, 12), std::string("\x80\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x03", 12));
  EXPECT_EQ(get.substr(12, 4), "\x01\x02\x03\x04");
  EXPECT_EQ(get.substr(24), "k01");

  Buffer s;
  binary::append_set(s, "k01", 10, 9);
  const std::string set(s.readable());
  ASSERT_EQ(set.size(), 24u + 8 + 3 + 10);
  EXPECT_EQ(static_cast<uint8_t>(set[1]), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(set[4]), 8);            // extras: flags + exptime
  EXPECT_EQ(static_cast<uint8_t>(set[11]), 8 + 3 + 10);  // total body length
  EXPECT_EQ(set.substr(24, 8), std::string(8, '\0'));
  EXPECT_EQ(set.substr(32), "k01k01:10;k01");
}

TEST(BinaryClient, DecodesResponses) {
  const Expected get{true, "k01", 5};
  const Expected set{false, "k01", 6};
  Reply hit = parse_at_every_split(binary::parse,
                                   binary_response(0x00, 0, 5, std::string(4, '\0'), "k01:10;k01"),
                                   get, ReplyKind::kHit);
  EXPECT_EQ(hit.value, "k01:10;k01");
  parse_at_every_split(binary::parse, binary_response(0x00, 1, 5, "", "Not found"), get,
                       ReplyKind::kMiss);
  parse_at_every_split(binary::parse, binary_response(0x01, 0, 6, "", ""), set, ReplyKind::kStored);
  parse_at_every_split(binary::parse, binary_response(0x01, 5, 6, "", ""), set,
                       ReplyKind::kNotStored);
  parse_at_every_split(binary::parse, binary_response(0x01, 0x82, 6, "", "Out of memory"), set,
                       ReplyKind::kError);
}

TEST(BinaryClient, RejectsMisattributedResponses) {
  Reply r;
  const Expected get{true, "k01", 5};
  EXPECT_EQ(binary::parse(binary_response(0x00, 0, 4, "", ""), get, r), ParseStatus::kInvalid);
  EXPECT_EQ(binary::parse(binary_response(0x01, 0, 5, "", ""), get, r), ParseStatus::kInvalid);
  std::string bad_magic = binary_response(0x00, 0, 5, "", "");
  bad_magic[0] = static_cast<char>(0x80);
  EXPECT_EQ(binary::parse(bad_magic, get, r), ParseStatus::kInvalid);
}

}  // namespace
}  // namespace cuckood::load
