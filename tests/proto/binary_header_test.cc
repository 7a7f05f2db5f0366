// The binary protocol's header and extras codecs: encode → decode round trips, and byte-exact
// agreement with packets captured from memcached 1.6.18.
#include "proto/binary_header.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "proto/binary_replies.h"

namespace cuckood::proto::binary {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

TEST(BinaryHeader, RequestRoundTripKeepsEveryField) {
  RequestHeader h;
  h.opcode = Opcode::kGatKQ;
  h.key_length = 0xBEEF;
  h.extras_length = 0xA5;
  h.data_type = 0x5A;
  h.vbucket = 0x1234;
  h.body_length = 0xDEADBEEF;
  h.opaque = 0x01020304;
  h.cas = 0x0102030405060708;
  char wire[kHeaderSize];
  encode_request_header(h, wire);
  const RequestHeader d = decode_request_header(wire);
  EXPECT_EQ(d.magic, kRequestMagic);
  EXPECT_EQ(d.opcode, h.opcode);
  EXPECT_EQ(d.key_length, h.key_length);
  EXPECT_EQ(d.extras_length, h.extras_length);
  EXPECT_EQ(d.data_type, h.data_type);
  EXPECT_EQ(d.vbucket, h.vbucket);
  EXPECT_EQ(d.body_length, h.body_length);
  EXPECT_EQ(d.opaque, h.opaque);
  EXPECT_EQ(d.cas, h.cas);
}

TEST(BinaryHeader, ResponseRoundTripKeepsEveryField) {
  ResponseHeader h;
  h.opcode = Opcode::kStat;
  h.key_length = 3;
  h.extras_length = 4;
  h.status = Status::kOutOfMemory;
  h.body_length = 0x00010203;
  h.opaque = 0xFFFFFFFF;
  h.cas = 0xFFFFFFFFFFFFFFFE;
  char wire[kHeaderSize];
  encode_response_header(h, wire);
  const ResponseHeader d = decode_response_header(wire);
  EXPECT_EQ(d.magic, kResponseMagic);
  EXPECT_EQ(d.opcode, h.opcode);
  EXPECT_EQ(d.key_length, h.key_length);
  EXPECT_EQ(d.extras_length, h.extras_length);
  EXPECT_EQ(d.status, h.status);
  EXPECT_EQ(d.body_length, h.body_length);
  EXPECT_EQ(d.opaque, h.opaque);
  EXPECT_EQ(d.cas, h.cas);
}

TEST(BinaryHeader, DecodesARequestAsMemcachedClientsSendIt) {
  // GetK "k", opaque 7, cas 0x0102: fields are big-endian on the wire.
  const std::string wire =
      bytes({0x80, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
             0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02});
  const RequestHeader h = decode_request_header(wire.data());
  EXPECT_EQ(h.magic, kRequestMagic);
  EXPECT_EQ(h.opcode, Opcode::kGetK);
  EXPECT_EQ(h.key_length, 1);
  EXPECT_EQ(h.extras_length, 0);
  EXPECT_EQ(h.body_length, 1u);
  EXPECT_EQ(h.opaque, 7u);
  EXPECT_EQ(h.cas, 0x0102u);
}

TEST(BinaryHeader, EncodesAResponseByteForByteAsMemcached) {
  // memcached 1.6.18's answer to a Get of a 3-byte value with flags 0xdeadbeef, cas 18,
  // opaque 1.
  const std::string expected =
      bytes({0x81, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
             0x07, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
             0x00, 0x12, 0xde, 0xad, 0xbe, 0xef, 'v',  'a',  'l'});
  Output out;
  cache::ItemView item;
  item.key = "g";
  item.value = "val";
  item.flags = 0xdeadbeef;
  item.cas = 18;
  append_item(out, {Opcode::kGet, 1}, item, /*with_key=*/false, /*with_value=*/true);
  EXPECT_EQ(out.bytes, expected);
}

TEST(BinaryHeader, ErrorResponseCarriesMemcachedsMessage) {
  // memcached 1.6.18: Delete of a missing key, opaque 4.
  const std::string expected =
      bytes({0x81, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09,
             0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}) +
      "Not found";
  std::string out;
  append_error(out, {Opcode::kDelete, 4}, Status::kKeyNotFound);
  EXPECT_EQ(out, expected);
}

TEST(BinaryHeader, StatusMessagesAreMemcachedsWords) {
  EXPECT_EQ(status_message(Status::kKeyNotFound), "Not found");
  EXPECT_EQ(status_message(Status::kKeyExists), "Data exists for key.");
  EXPECT_EQ(status_message(Status::kTooLarge), "Too large.");
  EXPECT_EQ(status_message(Status::kInvalidArguments), "Invalid arguments");
  EXPECT_EQ(status_message(Status::kNotStored), "Not stored.");
  EXPECT_EQ(status_message(Status::kNonNumeric), "Non-numeric server-side value for incr or decr");
  EXPECT_EQ(status_message(Status::kUnknownCommand), "Unknown command");
  EXPECT_EQ(status_message(Status::kOutOfMemory), "Out of memory");
}

TEST(BinaryHeader, StoreExtrasRoundTrip) {
  char wire[kStoreExtrasSize];
  encode_store_extras({0xCAFEBABE, 0xFFFFFFFF}, wire);
  EXPECT_EQ(std::string_view(wire, 4), bytes({0xca, 0xfe, 0xba, 0xbe}));
  const StoreExtras d = decode_store_extras(wire);
  EXPECT_EQ(d.flags, 0xCAFEBABEu);
  EXPECT_EQ(d.exptime, 0xFFFFFFFFu);
}

TEST(BinaryHeader, ArithExtrasRoundTrip) {
  char wire[kArithExtrasSize];
  encode_arith_extras({0x0102030405060708, 42, kArithNoCreate}, wire);
  EXPECT_EQ(std::string_view(wire, 8), bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  const ArithExtras d = decode_arith_extras(wire);
  EXPECT_EQ(d.delta, 0x0102030405060708u);
  EXPECT_EQ(d.initial, 42u);
  EXPECT_EQ(d.exptime, kArithNoCreate);
}

TEST(BinaryHeader, BigEndianHelpersAtAnyAlignment) {
  char buf[16] = {};
  store_big<uint16_t>(buf + 1, 0x0102);
  store_big<uint32_t>(buf + 3, 0x03040506);
  store_big<uint64_t>(buf + 7, 0x0708090A0B0C0D0E);
  EXPECT_EQ(std::string_view(buf + 1, 14), bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}));
  EXPECT_EQ(load_big<uint16_t>(buf + 1), 0x0102);
  EXPECT_EQ(load_big<uint32_t>(buf + 3), 0x03040506u);
  EXPECT_EQ(load_big<uint64_t>(buf + 7), 0x0708090A0B0C0D0Eu);
}

}  // namespace
}  // namespace cuckood::proto::binary
