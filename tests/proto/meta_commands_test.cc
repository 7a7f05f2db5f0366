// Meta commands (mg/ms/md/ma/me/mn): replies as memcached 1.6.18 words them, at every split.
#include <gtest/gtest.h>

#include <string>

#include "proto/meta_base64.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

TEST(MetaBase64, RoundTrip) {
  for (std::string_view raw : {"", "a", "ab", "abc", "abcd", "\0\xff\x10"}) {
    std::string encoded;
    meta::base64_encode(raw, encoded);
    char decoded[16];
    EXPECT_EQ(std::string_view(decoded, meta::base64_decode(encoded, decoded)), raw);
  }
  std::string encoded;
  meta::base64_encode("mk", encoded);
  EXPECT_EQ(encoded, "bWs=");
  char out[8];
  EXPECT_EQ(meta::base64_decode("bWs", out), 0u);   // unpadded
  EXPECT_EQ(meta::base64_decode("b!s=", out), 0u);  // bad character
  EXPECT_EQ(meta::base64_decode("b=s=", out), 0u);  // data after padding
}

TEST(MetaNoop, AnswersMn) {
  expect_response("mn\r\nmn x\r\n", "MN\r\nMN\r\n");
}

TEST(MetaGet, MissAndQuietMiss) {
  expect_response("mg miss\r\nmg miss k O123 v\r\nmg miss v q\r\nmn\r\n",
                  "EN\r\nEN kmiss O123\r\nMN\r\n");
}

TEST(MetaGet, FlagsInRequestOrder) {
  expect_response("ms mk 2 F5\r\nhi\r\nmg mk\r\nmg mk v\r\nmg mk s v f t k O9 h l\r\n",
                  "HD\r\nHD\r\nVA 2\r\nhi\r\nVA 2 s2 f5 t-1 kmk O9 h1 l0\r\nhi\r\n");
}

TEST(MetaGet, QuietHitStillAnswers) {
  expect_response("ms h 1\r\nx\r\nmg h q\r\nmg h k q\r\nmn\r\n", "HD\r\nHD\r\nHD kh\r\nMN\r\n");
}

TEST(MetaGet, HitAndLastAccessBeforeThisRequest) {
  Env env;
  EXPECT_EQ(env.feed("ms k 1\r\nx\r\nmg k h l\r\n"), "HD\r\nHD h0 l0\r\n");
  env.advance(7);
  EXPECT_EQ(env.feed("mg k h l\r\n"), "HD h1 l7\r\n");
}

TEST(MetaGet, TtlAndTouch) {
  Env env;
  EXPECT_EQ(env.feed("ms k 1 T100\r\nx\r\nmg k t\r\n"), "HD\r\nHD t100\r\n");
  env.advance(40);
  EXPECT_EQ(env.feed("mg k t\r\nmg k T10 t\r\n"), "HD t60\r\nHD t10\r\n");
  env.advance(10);
  EXPECT_EQ(env.feed("mg k v\r\n"), "EN\r\n");
}

TEST(MetaGet, CasMatchesGets) {
  Env env;
  env.feed("set k 0 0 1\r\nx\r\n");
  const std::string gets = env.feed("gets k\r\n");
  const std::string cas = gets.substr(12, gets.find('\r') - 12);
  EXPECT_EQ(env.feed("mg k c\r\n"), "HD c" + cas + "\r\n");
}

TEST(MetaGet, VivifyWinsOnce) {
  Env env;
  const std::string first = env.feed("mg nv N30 v t s\r\n");
  EXPECT_EQ(first, "VA 0 t30 s0 W\r\n\r\n");
  EXPECT_EQ(env.feed("mg nv N30 v t\r\n"), "VA 0 t30 Z\r\n\r\n");
  // As memcached: a `t` before N shows the created item before N gave it a deadline.
  EXPECT_EQ(env.feed("mg other t N30\r\nmg other t\r\n"), "HD t-1 W\r\nHD t30 Z\r\n");
}

TEST(MetaGet, Base64Keys) {
  expect_response("ms bWs= 2 b k\r\nhi\r\nmg bWs= b k v\r\nmg mk v\r\n",
                  "HD kbWs= b\r\nVA 2 kbWs= b\r\nhi\r\nVA 2\r\nhi\r\n");
  expect_response("mg bad! b\r\n", "CLIENT_ERROR error decoding key\r\n");
}

TEST(MetaGet, Errors) {
  expect_response("mg\r\n", "ERROR\r\n");
  expect_response("mx\r\n", "ERROR\r\n");
  expect_response("mg x Z\r\n", "CLIENT_ERROR invalid flag\r\n");
  expect_response("mg x R3x\r\n", "CLIENT_ERROR bad token in command line format\r\n");
  expect_response("mg x v v\r\n", "CLIENT_ERROR duplicate flag\r\n");
  expect_response("mg x Tq\r\n", "CLIENT_ERROR bad token in command line format\r\n");
  expect_response("mg x O" + std::string(33, 'o') + "\r\n",
                  "CLIENT_ERROR opaque token too long\r\n");
  expect_response("mg x a b c d e f g h i j k l m n o p q r s\r\n",
                  "CLIENT_ERROR options flags are too long\r\n");
  expect_response("mg " + std::string(251, 'k') + " v\r\n",
                  "CLIENT_ERROR bad command line format\r\n");
}

TEST(MetaSet, ModesAndQuiet) {
  expect_response(
      "ms c3 2 MA\r\nab\r\nms c3 1 MS\r\nx\r\nms c3 1 MA\r\ny\r\nms c3 1 MP\r\nw\r\n"
      "ms c3 1 MR\r\nz\r\nms c4 1 MR\r\nz\r\nms c4 1 ME\r\nz\r\nms c4 1 ME\r\nq\r\n"
      "ms c4 1 q\r\nr\r\nms c4 1 q ME\r\ns\r\nmg c3 v\r\nmg c4 v\r\n",
      "NS\r\nHD\r\nHD\r\nHD\r\nHD\r\nNS\r\nHD\r\nNS\r\nNS\r\nVA 1\r\nz\r\nVA 1\r\nr\r\n");
}

// N in append/prepend mode creates on a miss with N's TTL (T and the mode's miss answer NS
// apply otherwise); on a hit it appends and keeps the item's flags and TTL.
TEST(MetaSet, AppendOrPrependWithVivifyCreatesOnAMiss) {
  expect_response(
      "ms v1 2 MA N0\r\nab\r\nms v1 2 MA N0 F3\r\ncd\r\nms v1 1 MP N50\r\nz\r\n"
      "mg v1 v f t\r\nms v2 1 MP N100 T5 F4\r\nq\r\nmg v2 v f t\r\n"
      "ms v3 1 N100\r\ns\r\nmg v3 t\r\nms v4 1 MA\r\nx\r\nms v5 1 MA N0 C99\r\ny\r\nmg v5 v\r\n",
      "HD\r\nHD\r\nHD\r\nVA 5 f0 t-1\r\nzabcd\r\nHD\r\nVA 1 f4 t100\r\nq\r\n"
      "HD\r\nHD t-1\r\nNS\r\nHD\r\nVA 1\r\ny\r\n");
}

TEST(MetaSet, FlagsTtlAndEchoes) {
  Env env;
  EXPECT_EQ(env.feed("ms k 2 F7 T100 k O1\r\nhi\r\nmg k f t v\r\n"),
            "HD kk O1\r\nVA 2 f7 t100\r\nhi\r\n");
}

TEST(MetaSet, CasReturnedAndCompared) {
  Env env;
  const std::string stored = env.feed("ms k 1 c\r\nx\r\n");
  ASSERT_TRUE(stored.starts_with("HD c")) << stored;
  const std::string cas = stored.substr(4, stored.size() - 6);
  EXPECT_EQ(env.feed("ms k 1 c ME\r\ny\r\n"), "NS c0\r\n");
  EXPECT_EQ(env.feed("ms k 1 C" + std::to_string(std::stoull(cas) + 1) + "\r\ny\r\n"), "EX\r\n");
  EXPECT_EQ(env.feed("ms nokey 1 C1\r\ny\r\n"), "NF\r\n");
  EXPECT_EQ(env.feed("ms k 1 C" + cas + "\r\nz\r\nmg k v\r\n"), "HD\r\nVA 1\r\nz\r\n");
}

TEST(MetaSet, ErrorsSwallowTheDataBlockOnlyOnceTheLengthIsKnown) {
  expect_response("ms mk\r\nhi\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  expect_response("ms mk S2\r\nhi\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  expect_response("ms mk -1\r\n", "CLIENT_ERROR bad command line format\r\n");
  expect_response("ms mk 2 MX\r\nhi\r\nmn\r\n",
                  "CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n");
  expect_response("ms mk 2 Mxy\r\nhi\r\n", "CLIENT_ERROR incorrect length for M token\r\n");
  expect_response("ms mk 2 E5\r\nhi\r\n", "CLIENT_ERROR invalid flag\r\n");
  expect_response("ms mk 2 I I\r\nhi\r\n", "CLIENT_ERROR duplicate flag\r\n");
  expect_response("ms mk 2 v v\r\nhi\r\n", "CLIENT_ERROR duplicate flag\r\n");
  expect_response("ms c1 1 Fx\r\nx\r\nms c1 1 Tx\r\nx\r\n",
                  "CLIENT_ERROR bad command line format\r\n"
                  "CLIENT_ERROR bad token in command line format\r\n");
  expect_response("ms bad! 1 b\r\nx\r\n", "CLIENT_ERROR error decoding key\r\n");
}

TEST(MetaSet, BadChunkAndTooLargeAreNeverQuiet) {
  expect_response("ms mk 2 q\r\nhiX\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
  Settings settings;
  settings.max_item_size = 64 << 10;
  expect_response("ms big 100000 q\r\n" + std::string(100'000, 'b') + "\r\nmn\r\n",
                  "SERVER_ERROR object too large for cache\r\nMN\r\n", settings);
}

TEST(MetaSet, ValueSplitAcrossCalls) {
  Env env;
  EXPECT_EQ(env.feed("ms k 10 T0\r\n01234"), "");
  EXPECT_EQ(env.session().bytes_wanted(), 12u + 12u);
  EXPECT_EQ(env.feed("56789\r\nmg k v\r\n"), "HD\r\nVA 10\r\n0123456789\r\n");
}

TEST(MetaDelete, CodesAndQuiet) {
  expect_response("md x\r\nmd x q\r\nmd x k O5 q\r\nmn\r\n", "NF\r\nNF\r\nNF kx O5\r\nMN\r\n");
  expect_response(
      "ms d 1\r\nx\r\nmd d q\r\nms d 1\r\nx\r\nmd d k O5\r\nms d 1\r\nx\r\nmd d C999999\r\n"
      "md d C999999 q\r\nmd d x\r\nmd d\r\nmg d\r\n",
      "HD\r\nHD\r\nHD kd O5\r\nHD\r\nEX\r\nEX\r\nCLIENT_ERROR invalid or duplicate flag\r\n"
      "HD\r\nEN\r\n");
  expect_response("md\r\n", "ERROR\r\n");
  expect_response("md d I I\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n");
}

TEST(MetaArithmetic, IncrDecrCreate) {
  expect_response(
      "ma n\r\nma n N0 J10 v\r\nma n v\r\nma n MD D3 v t k O1\r\nma n q\r\nma n D5 q v\r\n"
      "ma n v\r\nmn\r\n",
      "NF\r\nVA 2\r\n10\r\nVA 2\r\n11\r\nVA 1 t-1 kn O1\r\n8\r\nVA 2\r\n15\r\nMN\r\n");
  expect_response(
      "ms n4 1\r\n5\r\nma n4 C999999\r\nma n4 M- D10 v\r\nma n4 M+ D18446744073709551615 v\r\n",
      "HD\r\nEX\r\nVA 1\r\n0\r\nVA 20\r\n18446744073709551615\r\n");
}

TEST(MetaArithmetic, TtlOnCreateAndUpdate) {
  expect_response("ma n2 N100 J5 t v\r\nma n2 T0 t\r\nma n2 t\r\n",
                  "VA 1 t100\r\n5\r\nHD t-1\r\nHD t-1\r\n");
}

TEST(MetaArithmetic, CasReturned) {
  Env env;
  const std::string created = env.feed("ma n N0 c\r\n");
  ASSERT_TRUE(created.starts_with("HD c")) << created;
  const std::string gets = env.feed("gets n\r\n");
  EXPECT_EQ(gets.substr(12, gets.find('\r') - 12), created.substr(4, created.size() - 6));
}

TEST(MetaArithmetic, Errors) {
  expect_response("ms s 1\r\nx\r\nma s\r\nma s q\r\n",
                  "HD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
                  "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  expect_response(
      "ma n3 Dx\r\nma n3 Jx\r\nma n3 MX\r\nma n3 Mxx\r\nma n3 C5\r\nma n3 N0 C5\r\n",
      "CLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\n"
      "CLIENT_ERROR invalid mode for ma M token\r\n"
      "CLIENT_ERROR invalid or duplicate flag\r\nNF\r\nHD\r\n");
  expect_response("ma x q\r\nma x k q O7\r\nmn\r\n", "NF\r\nNF kx O7\r\nMN\r\n");
}

TEST(MetaDebug, DumpsAnItem) {
  Env env;
  const std::string dump = env.feed("ms m 1 F5 T99\r\nx\r\nme m\r\n");
  ASSERT_TRUE(dump.starts_with("HD\r\nME m exp=-99 la=0 cas=")) << dump;
  const cache::WalkedItem small =
      env.cache().measure({.key = "m", .value = "x", .flags = 5, .exptime = 99});
  EXPECT_TRUE(dump.ends_with(" fetch=no cls=1 size=" + std::to_string(small.size) + "\r\n"))
      << dump;
  // The item's store size and size class, as metadump and `stats items` count them.
  const std::string large = env.feed("ms big 3000\r\n" + std::string(3000, 'v') + "\r\nme big\r\n");
  const std::string value(3000, 'v');
  const cache::WalkedItem measured = env.cache().measure({.key = "big", .value = value});
  EXPECT_GT(measured.size_class, 0u);
  EXPECT_TRUE(large.ends_with(" cls=" + std::to_string(measured.size_class + 1) +
                              " size=" + std::to_string(measured.size) + "\r\n"))
      << large;
  EXPECT_EQ(
      env.feed("me nokey\r\nme\r\nme m b\r\n"),
      "EN\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\n");
  env.feed("ms YmluYQ== 2 b\r\nhi\r\n");
  EXPECT_TRUE(env.feed("me YmluYQ== b\r\n").starts_with("ME YmluYQ== exp=-1 la=0 cas="));
}

}  // namespace
}  // namespace cuckood::proto::testing
