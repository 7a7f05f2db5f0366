// Meta stale-while-revalidate as memcached 1.6.18 answers it (each expectation checked against
// it): mg's W/X/Z with N (vivify), R (recache below a TTL) and T, md I, ms I, and which
// commands keep an item's stale and win state. Every case runs at every split size, on the
// shipping cache and, where marked, on the libcuckoo oracle too.
#include <gtest/gtest.h>

#include <string>

#include "cache/baseline/libcuckoo_cache.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

// Runs a case on both caches: the rule lives above the cache, so both must answer alike.
void expect_on_both(std::string_view input, std::string_view expected) {
  expect_response(input, expected);
  expect_response<cache::LibcuckooCache>(input, expected);
}

TEST(MetaStale, VivifyWinsOnceThenOthersSeeTheTokenSent) {
  expect_on_both(
      "mg nv N30 v t s h\r\nmg nv N30 v t s h\r\nmg nv t\r\nms nv 2 T60\r\nok\r\n"
      "mg nv N30 v t\r\n",
      "VA 0 t30 s0 h0 W\r\n\r\nVA 0 t30 s0 h1 Z\r\n\r\nHD t30 Z\r\nHD\r\nVA 2 t60\r\nok\r\n");
}

TEST(MetaStale, VivifiedItemIsShownBeforeNAppliesItsDeadline) {
  expect_on_both("mg v1 t N30\r\nmg v2 T90 N30 t\r\nmg v3 N30 T90 t\r\nmg v3 t\r\n",
                 "HD t-1 W\r\nHD t30 W\r\nHD t90 W\r\nHD t90 Z\r\n");
}

TEST(MetaStale, RecacheWinsOnceWhenTheDeadlineIsCloserThanR) {
  expect_on_both(
      "ms r 1 T100\r\nx\r\nmg r R30 t\r\nmg r R100 t\r\nmg r R0 t\r\nmg r R-1 t\r\n"
      "mg r R101 t\r\nmg r R101 t\r\nmg r t\r\n",
      "HD\r\nHD t100\r\nHD t100\r\nHD t100\r\nHD t100\r\nHD t100 W\r\nHD t100 Z\r\nHD t100 Z\r\n");
}

TEST(MetaStale, RecacheJudgesTheDeadlineAsTheRequestOrderLeavesIt) {
  // R before T judges the old deadline (100 s), R after T the new one (10 s).
  expect_on_both("ms r 1 T100\r\nx\r\nmg r R30 T10 t\r\nms r 1 T100\r\nx\r\nmg r T10 R30 t\r\n",
                 "HD\r\nHD t10\r\nHD\r\nHD t10 W\r\n");
}

TEST(MetaStale, ItemWithoutDeadlineNeverWinsARecache) {
  expect_on_both("ms n 1 T0\r\nx\r\nmg n R99999 t\r\n", "HD\r\nHD t-1\r\n");
}

TEST(MetaStale, InvalidateMarksStaleAndFreesTheWinToken) {
  expect_on_both(
      "ms n 1 T0\r\nx\r\nmd n I T30\r\nmg n R10 t v\r\nmg n t v\r\nmd n I\r\nmg n t v\r\n"
      "mg n k O1 q\r\n",
      "HD\r\nHD\r\nVA 1 t30 X W\r\nx\r\nVA 1 t30 Z X\r\nx\r\nHD\r\nVA 1 t30 X W\r\nx\r\n"
      "HD kn O1 Z X\r\n");
}

TEST(MetaStale, InvalidateBumpsTheCas) {
  Env env;
  const std::string before = env.feed("ms k 1 c\r\nx\r\n");
  EXPECT_EQ(env.feed("md k I\r\n"), "HD\r\n");
  const std::string after = env.feed("mg k c\r\n");
  ASSERT_TRUE(before.starts_with("HD c")) << before;
  EXPECT_TRUE(after.starts_with("HD c")) << after;
  EXPECT_NE(before.substr(4, before.size() - 6), after.substr(4, after.find(' ', 4) - 4));
}

TEST(MetaStale, InvalidateMissesAndCasMismatches) {
  expect_on_both("md nokey I\r\nms k 1\r\nx\r\nmd k I C999999 k O2\r\nmd k I q\r\nmn\r\nmg k\r\n",
                 "NF\r\nHD\r\nEX kk O2\r\nMN\r\nHD X W\r\n");
}

TEST(MetaStale, StaleSetWithAnOlderCasKeepsDeadlineAndToken) {
  expect_on_both(
      "ms n 1 T0\r\nx\r\nmd n I T30\r\nmg n t v\r\nms n 1 I T90 C1\r\ny\r\nmg n t v\r\n"
      "ms n 1 I C99999999\r\ny\r\nms n 1 I C0\r\ny\r\nms n 1 T90 C1\r\ny\r\n",
      "HD\r\nHD\r\nVA 1 t30 X W\r\nx\r\nHD\r\nVA 1 t30 Z X\r\ny\r\nEX\r\nEX\r\nEX\r\n");
}

TEST(MetaStale, StaleSetOfAnItemNoOneWonYetLeavesTheWinOpen) {
  expect_on_both("ms n 1\r\nx\r\nmd n I\r\nms n 1 I C1\r\ny\r\nmg n v\r\nmg n v\r\n",
                 "HD\r\nHD\r\nHD\r\nVA 1 X W\r\ny\r\nVA 1 Z X\r\ny\r\n");
}

TEST(MetaStale, MatchingCasOrNoCasStoresAFreshItem) {
  Env env;
  EXPECT_EQ(env.feed("ms n 1\r\nx\r\nmd n I\r\nmg n v\r\n"), "HD\r\nHD\r\nVA 1 X W\r\nx\r\n");
  const std::string cas_reply = env.feed("mg n c\r\n");
  const std::string cas = cas_reply.substr(4, cas_reply.find(' ', 4) - 4);
  EXPECT_EQ(env.feed("ms n 1 I C" + cas + "\r\ny\r\nmg n v\r\n"), "HD\r\nVA 1\r\ny\r\n");
  // I without C is a plain set.
  EXPECT_EQ(env.feed("md n I\r\nms n 1 I\r\nz\r\nmg n v\r\n"), "HD\r\nHD\r\nVA 1\r\nz\r\n");
}

TEST(MetaStale, InPlaceIncrAndTouchKeepTheMarksNewVersionsDropThem) {
  expect_on_both(
      "ms c 2\r\n10\r\nmd c I\r\nma c v\r\nmg c v\r\nma c D100 v\r\nmg c v\r\n"
      "ms a 1\r\na\r\nmd a I\r\ntouch a 100\r\nmg a v t\r\nms a 1 MA\r\nb\r\nmg a v\r\n",
      "HD\r\nHD\r\nVA 2\r\n11\r\nVA 2 X W\r\n11\r\nVA 3\r\n111\r\nVA 3\r\n111\r\n"
      "HD\r\nHD\r\nTOUCHED\r\nVA 1 t100 X W\r\na\r\nHD\r\nVA 2\r\nab\r\n");
}

TEST(MetaStale, KeyFlagShowsTheKeyAsTheItemWasStored) {
  expect_on_both(
      "ms YWJj 1 b\r\nz\r\nmg abc k v\r\nmd YWJj b I k\r\nmg abc k\r\nms plain 1\r\nx\r\n"
      "mg cGxhaW4= b k\r\nmg dml2 b N0 k\r\n",
      "HD\r\nVA 1 kYWJj b\r\nz\r\nHD kYWJj b\r\nHD kYWJj b X W\r\nHD\r\nHD kplain\r\n"
      "HD kviv W\r\n");
  Env env;
  EXPECT_TRUE(env.feed("ms YWJj 1 b\r\nz\r\nme abc\r\n").starts_with("HD\r\nME YWJj exp=-1"));
  EXPECT_TRUE(env.feed("ms plain 1\r\nx\r\nme cGxhaW4= b\r\n").starts_with("HD\r\nME plain exp"));
}

TEST(MetaStale, NoUpdateLeavesTheHitState) {
  expect_on_both("ms u 1\r\nx\r\nmg u u h\r\nmg u h\r\nmg u u h\r\nmd u I\r\nmg u u h\r\n",
                 "HD\r\nHD h0\r\nHD h0\r\nHD h1\r\nHD\r\nHD h1 X W\r\n");
}

TEST(MetaStale, WinnerSeesTheAccessStateBeforeItsRead) {
  Env env;
  EXPECT_EQ(env.feed("ms k 1\r\nx\r\nmd k I\r\n"), "HD\r\nHD\r\n");
  env.advance(90);
  EXPECT_EQ(env.feed("mg k h l\r\nmg k h l\r\n"), "HD h0 l90 X W\r\nHD h1 l0 Z X\r\n");
}

TEST(MetaStale, FlagsIgnoredWhereMemcachedIgnoresThem) {
  expect_on_both("ms k 1\r\n5\r\nma k I R5\r\nmd k R5 q\r\nmg k\r\n", "HD\r\nHD\r\nEN\r\n");
}

}  // namespace
}  // namespace cuckood::proto::testing
