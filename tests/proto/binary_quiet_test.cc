// Quiet opcodes: quiet gets answer hits only, quiet stores/deletes/arithmetic answer errors
// only, every answer in request order; a batch of hundreds of GetKQ closed by a NoOp is
// answered by a single process() call.
#include <gtest/gtest.h>

#include <string>

#include "tests/proto/binary_packets.h"

namespace cuckood::proto::testing {
namespace {

using binary::Opcode;
using binary::Status;

std::string noop(uint32_t opaque = 0) {
  return request({Opcode::kNoOp, "", "", "", opaque});
}
std::string noop_reply(uint32_t opaque = 0) {
  return response({Opcode::kNoOp, Status::kSuccess, "", "", "", opaque});
}

TEST(BinaryQuiet, HundredsOfGetKQAndANoOpAnsweredInOneCall) {
  Env env;
  std::string stores;
  for (int i = 0; i < 300; i += 2) {
    const std::string key = "key:" + std::to_string(i);
    stores += request({Opcode::kSetQ, key, store_extras(static_cast<uint32_t>(i), 0), key});
  }
  ASSERT_EQ(env.feed(stores), "");  // quiet stores that succeed say nothing

  std::string batch;
  std::string expected;
  uint64_t cas = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "key:" + std::to_string(i);
    batch += request({Opcode::kGetKQ, key, "", "", static_cast<uint32_t>(i)});
    if (i % 2 == 0) {
      ++cas;  // one worker's cas uniques count up from 1
      expected += response({Opcode::kGetKQ, Status::kSuccess, be32(static_cast<uint32_t>(i)), key,
                            key, static_cast<uint32_t>(i), cas});
    }
  }
  batch += noop(1000);
  expected += noop_reply(1000);

  std::string output;
  const size_t consumed = env.session().process(batch, output);
  EXPECT_EQ(consumed, batch.size());
  EXPECT_EQ(output, expected);
}

TEST(BinaryQuiet, QuietWritesAnswerOnlyErrorsInOrder) {
  const std::string ext = store_extras(0, 0);
  const std::string incr = arith_extras(1, 5, 0);
  const std::string no_create = arith_extras(1, 5, binary::kArithNoCreate);
  expect_binary(request({Opcode::kSetQ, "a", ext, "1", 1}) +                 // ok
                    request({Opcode::kAddQ, "a", ext, "1", 2}) +             // exists
                    request({Opcode::kReplaceQ, "zz", ext, "1", 3}) +        // not found
                    request({Opcode::kAppendQ, "a", "", "2", 4}) +           // ok
                    request({Opcode::kPrependQ, "zz", "", "2", 5}) +         // not stored
                    request({Opcode::kSetQ, "a", ext, "1", 6, 999}) +        // cas mismatch
                    request({Opcode::kIncrementQ, "n", incr, "", 7}) +       // created
                    request({Opcode::kDecrementQ, "n", incr, "", 8}) +       // ok
                    request({Opcode::kIncrementQ, "m", no_create, "", 9}) +  // not found
                    request({Opcode::kIncrementQ, "a", incr, "", 10}) +      // "12": ok
                    request({Opcode::kDeleteQ, "a", "", "", 11}) +           // ok
                    request({Opcode::kDeleteQ, "a", "", "", 12}) +           // not found
                    request({Opcode::kGetQ, "a", "", "", 13}) +              // miss
                    noop(14),
                error_response(Opcode::kAddQ, Status::kKeyExists, 2) +
                    error_response(Opcode::kReplaceQ, Status::kKeyNotFound, 3) +
                    error_response(Opcode::kPrependQ, Status::kNotStored, 5) +
                    error_response(Opcode::kSetQ, Status::kKeyExists, 6) +
                    error_response(Opcode::kIncrementQ, Status::kKeyNotFound, 9) +
                    error_response(Opcode::kDeleteQ, Status::kKeyNotFound, 12) + noop_reply(14));
}

TEST(BinaryQuiet, QuietAndLoudInterleaveInRequestOrder) {
  const std::string ext = store_extras(0, 0);
  expect_binary(
      request({Opcode::kSetQ, "a", ext, "A", 1}) + request({Opcode::kGet, "a", "", "", 2}) +
          request({Opcode::kGetQ, "b", "", "", 3}) + request({Opcode::kSet, "b", ext, "B", 4}) +
          request({Opcode::kGetKQ, "b", "", "", 5}) + request({Opcode::kGetK, "c", "", "", 6}),
      response({Opcode::kGet, Status::kSuccess, be32(0), "", "A", 2, 1}) +
          response({Opcode::kSet, Status::kSuccess, "", "", "", 4, 2}) +
          response({Opcode::kGetKQ, Status::kSuccess, be32(0), "b", "B", 5, 2}) +
          response({Opcode::kGetK, Status::kKeyNotFound, "", "c", "", 6}));
}

}  // namespace
}  // namespace cuckood::proto::testing
