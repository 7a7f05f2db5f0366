#include "bench/load/soak_wire.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/bench/binary_response.h"

namespace cuckood::load::soak {
namespace {

using load::testing::binary_response;

std::string encode(WireProtocol p, const Request& r) {
  Buffer out;
  append_request(out, p, r);
  return std::string(out.readable());
}

// Parses `in` whole, and checks that every shorter prefix asks for more.
SoakReply parse_all(WireProtocol p, const std::string& in, const Request& r) {
  SoakReply reply;
  for (size_t n = 0; n < in.size(); ++n)
    EXPECT_EQ(parse(p, std::string_view(in).substr(0, n), r, reply), ParseStatus::kNeedMore)
        << "prefix " << n;
  EXPECT_EQ(parse(p, in, r, reply), ParseStatus::kComplete);
  EXPECT_EQ(reply.consumed, in.size());
  return reply;
}

TEST(SoakWire, TextRequests) {
  const auto t = WireProtocol::kText;
  EXPECT_EQ(encode(t, {Op::kGet, "k", {}, 0, 0}), "get k\r\n");
  EXPECT_EQ(encode(t, {Op::kSet, "k", "abc", 0, 0}), "set k 0 0 3\r\nabc\r\n");
  EXPECT_EQ(encode(t, {Op::kAppend, "k", "x", 0, 0}), "append k 0 0 1\r\nx\r\n");
  EXPECT_EQ(encode(t, {Op::kIncr, "k", {}, 18446744073709551615u, 0}),
            "incr k 18446744073709551615\r\n");
  EXPECT_EQ(encode(t, {Op::kDelete, "k", {}, 0, 0}), "delete k\r\n");
  EXPECT_EQ(encode(t, {Op::kTouch, "k", {}, 0, 0}), "touch k 0\r\n");
}

TEST(SoakWire, TextReplies) {
  const auto t = WireProtocol::kText;
  const Request get{Op::kGet, "k", {}, 0, 0};
  const std::string hit = "VALUE k 0 3\r\nabc\r\nEND\r\n";  // the value views it
  SoakReply r = parse_all(t, hit, get);
  EXPECT_EQ(r.answer, Answer::kValue);
  EXPECT_EQ(r.value, "abc");
  EXPECT_EQ(parse_all(t, "END\r\n", get).answer, Answer::kMiss);
  EXPECT_EQ(parse_all(t, "STORED\r\n", {Op::kAppend, "k", "x", 0, 0}).answer, Answer::kStored);
  EXPECT_EQ(parse_all(t, "NOT_STORED\r\n", {Op::kAppend, "k", "x", 0, 0}).answer,
            Answer::kNotStored);
  r = parse_all(t, "42\r\n", {Op::kIncr, "k", {}, 1, 0});
  EXPECT_EQ(r.answer, Answer::kNumber);
  EXPECT_EQ(r.number, 42u);
  EXPECT_EQ(parse_all(t, "NOT_FOUND\r\n", {Op::kIncr, "k", {}, 1, 0}).answer, Answer::kNotFound);
  EXPECT_EQ(parse_all(t, "DELETED\r\n", {Op::kDelete, "k", {}, 0, 0}).answer, Answer::kFound);
  EXPECT_EQ(parse_all(t, "TOUCHED\r\n", {Op::kTouch, "k", {}, 0, 0}).answer, Answer::kFound);
  EXPECT_EQ(parse_all(t, "SERVER_ERROR out of memory\r\n", get).answer, Answer::kError);
}

TEST(SoakWire, TextRepliesThatDoNotAnswerTheRequestAreInvalid) {
  const auto t = WireProtocol::kText;
  SoakReply r;
  EXPECT_EQ(parse(t, "VALUE other 0 1\r\nx\r\nEND\r\n", {Op::kGet, "k", {}, 0, 0}, r),
            ParseStatus::kInvalid);
  EXPECT_EQ(parse(t, "VALUE k 0 1\r\nxy\r\nEND\r\n", {Op::kGet, "k", {}, 0, 0}, r),
            ParseStatus::kInvalid);  // the length does not frame the data
  EXPECT_EQ(parse(t, "DELETED\r\n", {Op::kTouch, "k", {}, 0, 0}, r), ParseStatus::kInvalid);
  EXPECT_EQ(parse(t, "STORED\r\n", {Op::kIncr, "k", {}, 1, 0}, r), ParseStatus::kInvalid);
  EXPECT_EQ(parse(t, "12x\r\n", {Op::kIncr, "k", {}, 1, 0}, r), ParseStatus::kInvalid);
}

TEST(SoakWire, BinaryIncrCarriesDeltaAndNoAutoCreate) {
  const std::string req =
      encode(WireProtocol::kBinary, {Op::kIncr, "key", {}, 0x0102030405060708u, 9});
  ASSERT_EQ(req.size(), 24u + 20 + 3);
  EXPECT_EQ(static_cast<uint8_t>(req[0]), 0x80);
  EXPECT_EQ(req[1], 0x05);
  EXPECT_EQ(req[4], 20);
  EXPECT_EQ(req.substr(24, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(req.substr(24 + 16, 4), std::string(4, '\xff'));
  EXPECT_EQ(req.substr(44), "key");
  EXPECT_EQ(req[15], 9);  // opaque
}

TEST(SoakWire, BinaryRequestsUseTheirOpcodes) {
  const auto b = WireProtocol::kBinary;
  EXPECT_EQ(encode(b, {Op::kGet, "k", {}, 0, 0})[1], 0x00);
  EXPECT_EQ(encode(b, {Op::kSet, "k", "v", 0, 0})[1], 0x01);
  EXPECT_EQ(encode(b, {Op::kSet, "k", "v", 0, 0}).size(), 24u + 8 + 1 + 1);
  EXPECT_EQ(encode(b, {Op::kAppend, "k", "v", 0, 0})[1], 0x0e);
  EXPECT_EQ(encode(b, {Op::kDelete, "k", {}, 0, 0})[1], 0x04);
  EXPECT_EQ(encode(b, {Op::kTouch, "k", {}, 0, 0})[1], 0x1c);
}

TEST(SoakWire, BinaryReplies) {
  const auto b = WireProtocol::kBinary;
  const Request get{Op::kGet, "k", {}, 0, 7};
  const std::string hit = binary_response(0x00, 0, 7, std::string(4, '\0'), "abc");
  SoakReply r = parse_all(b, hit, get);
  EXPECT_EQ(r.answer, Answer::kValue);
  EXPECT_EQ(r.value, "abc");
  EXPECT_EQ(parse_all(b, binary_response(0x00, 1, 7, "", ""), get).answer, Answer::kMiss);
  r = parse_all(b, binary_response(0x05, 0, 7, "", std::string("\0\0\0\0\0\0\x01\x02", 8)),
                {Op::kIncr, "k", {}, 1, 7});
  EXPECT_EQ(r.answer, Answer::kNumber);
  EXPECT_EQ(r.number, 258u);
  EXPECT_EQ(parse_all(b, binary_response(0x05, 1, 7, "", ""), {Op::kIncr, "k", {}, 1, 7}).answer,
            Answer::kNotFound);
  EXPECT_EQ(parse_all(b, binary_response(0x0e, 5, 7, "", ""), {Op::kAppend, "k", "x", 0, 7}).answer,
            Answer::kNotStored);
  EXPECT_EQ(parse_all(b, binary_response(0x04, 0, 7, "", ""), {Op::kDelete, "k", {}, 0, 7}).answer,
            Answer::kFound);
  EXPECT_EQ(parse_all(b, binary_response(0x01, 0x82, 7, "", ""), {Op::kSet, "k", "v", 0, 7}).answer,
            Answer::kError);
}

TEST(SoakWire, BinaryRepliesToAnotherRequestAreInvalid) {
  SoakReply r;
  EXPECT_EQ(parse(WireProtocol::kBinary, binary_response(0x00, 0, 8, "", "x"),
                  {Op::kGet, "k", {}, 0, 7}, r),
            ParseStatus::kInvalid);  // opaque
  EXPECT_EQ(parse(WireProtocol::kBinary, binary_response(0x01, 0, 7, "", ""),
                  {Op::kGet, "k", {}, 0, 7}, r),
            ParseStatus::kInvalid);  // opcode
}

}  // namespace
}  // namespace cuckood::load::soak
