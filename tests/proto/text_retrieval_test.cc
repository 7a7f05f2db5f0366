// Text retrieval: get/gets/gat/gats/bget, many keys, misses, expiry, key length.
#include <gtest/gtest.h>

#include <string>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

constexpr std::string_view kSetAB = "set a 1 0 1\r\nA\r\nset b 2 0 2\r\nBB\r\n";

TEST(TextRetrieval, MissIsJustEnd) {
  expect_response("get nokey\r\n", "END\r\n");
}

TEST(TextRetrieval, ManyKeysInRequestOrderWithRepeatsAndMisses) {
  expect_response(std::string(kSetAB) + "get b x a b\r\n",
                  "STORED\r\nSTORED\r\nVALUE b 2 2\r\nBB\r\nVALUE a 1 1\r\nA\r\n"
                  "VALUE b 2 2\r\nBB\r\nEND\r\n");
}

TEST(TextRetrieval, ExtraSpacesAndBget) {
  expect_response(std::string(kSetAB) + "  get   a    b  \r\nbget a\r\n",
                  "STORED\r\nSTORED\r\nVALUE a 1 1\r\nA\r\nVALUE b 2 2\r\nBB\r\nEND\r\n"
                  "VALUE a 1 1\r\nA\r\nEND\r\n");
}

TEST(TextRetrieval, MoreKeysThanTheTokenizerSplits) {
  std::string request = "set k 0 0 1\r\nv\r\nget";
  std::string expected = "STORED\r\n";
  for (int i = 0; i < 60; ++i) {
    request += i % 2 ? " k" : " miss";
    if (i % 2) expected += "VALUE k 0 1\r\nv\r\n";
  }
  expect_response(request + "\r\n", expected + "END\r\n");
}

TEST(TextRetrieval, GetsShowsTheCasUnique) {
  Env env;
  env.feed("set a 0 0 1\r\nA\r\n");
  const std::string reply = env.feed("gets a\r\n");
  ASSERT_TRUE(reply.starts_with("VALUE a 0 1 ")) << reply;
  ASSERT_TRUE(reply.ends_with("\r\nA\r\nEND\r\n")) << reply;
  const std::string cas = reply.substr(12, reply.find('\r') - 12);
  EXPECT_GT(std::stoull(cas), 0u);
  env.feed("set a 0 0 1\r\nB\r\n");
  const std::string again = env.feed("gets a\r\n");
  EXPECT_NE(again.substr(12, again.find('\r') - 12), cas);
}

TEST(TextRetrieval, NoKeyIsError) {
  expect_response("get\r\n", "ERROR\r\n");
  expect_response("gets \r\n", "ERROR\r\n");
  expect_response("gat\r\n", "ERROR\r\n");
}

TEST(TextRetrieval, KeyTooLongVoidsTheWholeReply) {
  const std::string k251(251, 'k');
  expect_response(std::string(kSetAB) + "get a " + k251 + " b\r\n",
                  "STORED\r\nSTORED\r\nCLIENT_ERROR bad command line format\r\n");
  expect_response("gat 0 " + k251 + "\r\n", "CLIENT_ERROR bad command line format\r\n");
}

TEST(TextRetrieval, KeysAreExactBytes) {
  // Only ' ' separates tokens; a '\r' inside the line belongs to the key.
  expect_response("set a 0 0 1\r\nA\r\nget a\r\r\nget A\r\n", "STORED\r\nEND\r\nEND\r\n");
}

TEST(TextRetrieval, Expiry) {
  Env env;
  EXPECT_EQ(env.feed("set a 0 10 1\r\nA\r\nset n 0 0 1\r\nN\r\n"), "STORED\r\nSTORED\r\n");
  env.advance(9);
  EXPECT_EQ(env.feed("get a\r\n"), "VALUE a 0 1\r\nA\r\nEND\r\n");
  env.advance(1);
  EXPECT_EQ(env.feed("get a n\r\n"), "VALUE n 0 1\r\nN\r\nEND\r\n");
}

TEST(TextRetrieval, NegativeExptimeExpiresAtOnce) {
  expect_response("set a 0 -1 1\r\nA\r\nget a\r\nadd a 0 0 1\r\nB\r\nget a\r\n",
                  "STORED\r\nEND\r\nSTORED\r\nVALUE a 0 1\r\nB\r\nEND\r\n");
}

TEST(TextRetrieval, AbsoluteExptime) {
  Env env;
  const std::string at = std::to_string(Env::kStartTime + 100);
  EXPECT_EQ(env.feed("set a 0 " + at + " 1\r\nA\r\n"), "STORED\r\n");
  env.advance(99);
  EXPECT_EQ(env.feed("get a\r\n"), "VALUE a 0 1\r\nA\r\nEND\r\n");
  env.advance(1);
  EXPECT_EQ(env.feed("get a\r\n"), "END\r\n");
}

TEST(TextRetrieval, GatTouchesEveryHit) {
  Env env;
  EXPECT_EQ(env.feed("set a 3 10 1\r\nA\r\n"), "STORED\r\n");
  EXPECT_EQ(env.feed("gat 100 a nokey a\r\n"), "VALUE a 3 1\r\nA\r\nVALUE a 3 1\r\nA\r\nEND\r\n");
  env.advance(50);
  const std::string gats = env.feed("gats 0 a\r\n");
  EXPECT_TRUE(gats.starts_with("VALUE a 3 1 ")) << gats;
  EXPECT_TRUE(gats.ends_with("\r\nA\r\nEND\r\n")) << gats;
  env.advance(10'000);  // exptime 0: never expires now
  EXPECT_EQ(env.feed("get a\r\n"), "VALUE a 3 1\r\nA\r\nEND\r\n");
  EXPECT_EQ(env.feed("gat -1 a\r\nget a\r\n"), "VALUE a 3 1\r\nA\r\nEND\r\nEND\r\n");
}

TEST(TextRetrieval, GatArguments) {
  expect_response("gat x a\r\n", "CLIENT_ERROR invalid exptime argument\r\n");
  expect_response("gat 0\r\n", "END\r\n");  // memcached: an exptime and no key is no hit
}

}  // namespace
}  // namespace cuckood::proto::testing
