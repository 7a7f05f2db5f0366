// Session::set_output_limit (net/'s backpressure): each codec decodes no request once its
// output holds more than the limit, answers the request that crosses it whole, and decodes the
// rest when called again; a long get line stops between keys.
#include <gtest/gtest.h>

#include <string>

#include "proto/text_protocol.h"
#include "tests/proto/binary_packets.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

const std::string kValue(100, 'v');
const std::string kHit = "VALUE k 0 100\r\n" + kValue + "\r\nEND\r\n";

void store_k(Env& env) {
  ASSERT_EQ(env.feed("set k 0 0 100\r\n" + kValue + "\r\n"), "STORED\r\n");
}

TEST(OutputLimit, TextStopsAfterTheRequestThatCrossesIt) {
  Env env;
  store_k(env);
  env.session().set_output_limit(kHit.size() + 1);
  std::string gets;
  for (int i = 0; i < 5; ++i) gets += "get k\r\n";
  // The first reply stays under the limit, the second crosses it: two answered, three held.
  EXPECT_EQ(env.feed(gets), kHit + kHit);
  EXPECT_EQ(env.pending(), "get k\r\nget k\r\nget k\r\n");
  EXPECT_EQ(env.feed("version\r\n"), kHit + kHit);
  EXPECT_EQ(env.pending(), "get k\r\nversion\r\n");
  env.session().set_output_limit(SIZE_MAX);
  EXPECT_EQ(env.feed(""), kHit + "VERSION " + std::string(kVersion) + "\r\n");
  EXPECT_EQ(env.pending(), "");
}

TEST(OutputLimit, ZeroStillAnswersOneRequestIntoEmptyOutput) {
  Env env;
  store_k(env);
  env.session().set_output_limit(0);
  EXPECT_EQ(env.feed("get k\r\nget k\r\n"), kHit);
  EXPECT_EQ(env.pending(), "get k\r\n");
}

TEST(OutputLimit, LongGetLineStopsBetweenKeys) {
  Env env;
  std::string line = "get";
  std::string all;
  for (int i = 100; i < 400; ++i) {  // keys of one length, so every hit is as long
    const std::string key = "key" + std::to_string(i);
    env.feed("set " + key + " 0 0 100\r\n" + kValue + "\r\n");
    line += " " + key;
    all += "VALUE " + key + " 0 100\r\n" + kValue + "\r\n";
  }
  ASSERT_GT(line.size(), kMaxLineWithoutNewline);
  const size_t one = all.size() / 300;
  env.session().set_output_limit(10 * one);
  std::string out = env.feed(line + "\r\nmn\r\n");
  EXPECT_EQ(out.size(), 11 * one) << "stops after the key that crosses the limit";
  for (int turns = 0; turns < 100 && !env.pending().empty(); ++turns) out += env.feed("");
  EXPECT_EQ(out, all + "END\r\nMN\r\n");
}

TEST(OutputLimit, BinaryStopsAfterThePacketThatCrossesIt) {
  Env env;
  const std::string set = request({binary::Opcode::kSet, "k", store_extras(0, 0), kValue});
  const std::string get = request({binary::Opcode::kGet, "k", "", ""});
  // A hit's size (its cas is the server's to choose).
  const std::string hit =
      response({binary::Opcode::kGet, binary::Status::kSuccess, be32(0), "", kValue});
  ASSERT_FALSE(env.feed(set).empty());
  env.session().set_output_limit(hit.size() + 1);
  const std::string out = env.feed(get + get + get + get);
  EXPECT_EQ(out.size(), 2 * hit.size());
  EXPECT_EQ(env.pending(), get + get);
  env.session().set_output_limit(SIZE_MAX);
  EXPECT_EQ(env.feed(get).size(), 3 * hit.size());
  EXPECT_EQ(env.pending(), "");
}

}  // namespace
}  // namespace cuckood::proto::testing
