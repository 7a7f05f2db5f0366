// Retrieval lines longer than kMaxLineWithoutNewline, answered key by key as they arrive
// (proto/text_long_retrieval.h): the same answer at every split point, bounded buffering, the
// token-count and key-length errors, -R.
#include <gtest/gtest.h>

#include <string>

#include "proto/text_long_retrieval.h"
#include "proto/text_protocol.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

using text::LongRetrieval;

// Stores k0..k<count-1> (value "v<i>", flags i) and returns what `get` of them answers.
std::string store_keys(Env& env, int count, bool with_cas = false) {
  std::string hits;
  for (int i = 0; i < count; ++i) {
    const std::string key = "k" + std::to_string(i);
    const std::string value = "v" + std::to_string(i);
    env.feed("set " + key + " " + std::to_string(i) + " 0 " + std::to_string(value.size()) +
             "\r\n" + value + "\r\n");
    hits += "VALUE " + key + " " + std::to_string(i) + " " + std::to_string(value.size());
    if (with_cas) hits += " <cas>";
    hits += "\r\n" + value + "\r\n";
  }
  return hits;
}

// "get k0 miss0 k1 miss1 ...": `count` hits interleaved with misses, longer than the limit.
std::string long_line(std::string_view command, int count) {
  std::string line(command);
  for (int i = 0; i < count; ++i) {
    line += " k" + std::to_string(i) + " miss" + std::to_string(i);
  }
  EXPECT_GT(line.size(), kMaxLineWithoutNewline);
  return line;
}

TEST(LongRetrieval, Matches) {
  for (std::string_view line :
       {"get a", "gets a", "gat 0 a", "gats 0 a", "  get a", "get ", "gats "}) {
    EXPECT_TRUE(LongRetrieval::matches(line)) << line;
  }
  const std::string padded = std::string(100, ' ') + "get a";
  EXPECT_TRUE(LongRetrieval::matches(padded));
  for (std::string_view line : {"get", "getx a", "get\ta", "bget a", "set a", "mg a", ""}) {
    EXPECT_FALSE(LongRetrieval::matches(line)) << line;
  }
  EXPECT_FALSE(LongRetrieval::matches(" " + padded));
}

TEST(LongRetrieval, AnswersEveryKey) {
  Env env;
  const std::string hits = store_keys(env, 300);
  EXPECT_EQ(env.feed(long_line("get", 300) + "\r\n"), hits + "END\r\n");
  EXPECT_EQ(env.feed("get k1\r\n"), "VALUE k1 1 2\r\nv1\r\nEND\r\n");
}

// The answer does not depend on where the line is split: at every byte, and in chunks.
TEST(LongRetrieval, SameAnswerAtEverySplitPoint) {
  Env env;
  const std::string hits = store_keys(env, 200);
  const std::string input = long_line("get", 200) + "\r\nget k7\r\n";
  const std::string expected = hits + "END\r\nVALUE k7 7 2\r\nv7\r\nEND\r\n";
  for (size_t at = 0; at <= input.size(); ++at) {
    std::string answer = env.feed(input.substr(0, at));
    answer += env.feed(input.substr(at));
    ASSERT_EQ(answer, expected) << "split at " << at;
    ASSERT_TRUE(env.pending().empty());
  }
  for (size_t split : kSplitSizes) EXPECT_EQ(env.feed(input, split), expected) << split;
}

TEST(LongRetrieval, GetsGatGats) {
  Env env;
  std::string hits = store_keys(env, 200);
  EXPECT_EQ(env.feed(long_line("gat 100", 200) + "\r\n", 7), hits + "END\r\n");
  EXPECT_EQ(env.worker().stats.touch_hits.load(), 200u);
  EXPECT_EQ(env.worker().stats.touch_misses.load(), 200u);
  const std::string gets = env.feed(long_line("gets", 200) + "\r\n", 7);
  const std::string gats = env.feed(long_line("gats 100", 200) + "\r\n", 7);
  EXPECT_EQ(gets, gats);
  EXPECT_TRUE(gets.starts_with("VALUE k0 0 2 ")) << gets.substr(0, 40);
  EXPECT_TRUE(gets.ends_with("\r\nv199\r\nEND\r\n"));
  // The touch took: the items live past their original (no) deadline's replacement.
  env.advance(101);
  EXPECT_EQ(env.feed("get k0\r\n"), "END\r\n");
}

// A key arriving a byte at a time is held only until it ends: the partial key stays pending,
// never the line.
TEST(LongRetrieval, BuffersOnlyThePartialKey) {
  Env env;
  store_keys(env, 1);
  std::string line = "get";
  for (int i = 0; i < 20000; ++i) line += i % 1000 == 0 ? " k0" : " x" + std::to_string(i);
  size_t answered = 0;
  for (size_t pos = 0; pos < line.size(); pos += 1000) {
    answered += env.feed(line.substr(pos, 1000)).size();
    if (pos + 1000 > kMaxLineWithoutNewline) {
      ASSERT_LE(env.pending().size(), 8u) << pos;
    }
  }
  EXPECT_EQ(answered, 20 * std::string("VALUE k0 0 2\r\nv0\r\n").size());
  EXPECT_EQ(env.feed("\r\n"), "END\r\n");
}

TEST(LongRetrieval, TokenCountErrors) {
  const std::string spaces(3000, ' ');
  expect_response("get" + spaces + "\r\nget k\r\n", "ERROR\r\nEND\r\n");
  expect_response("gat" + spaces + "\r\n", "ERROR\r\n");
  expect_response("gat 10" + spaces + "\r\n", "END\r\n");
  expect_response("gats" + spaces + "x k\r\nmn\r\n",
                  "CLIENT_ERROR invalid exptime argument\r\nMN\r\n");
  expect_response("get" + spaces + "\r\r\n", "END\r\n");  // the key "\r", a miss
}

// memcached voids the hits before a too-long key; a long line's may be sent already, so they
// stand, and the error ends the reply. The rest of the line is discarded.
TEST(LongRetrieval, TooLongKeyEndsTheReply) {
  Env env;
  store_keys(env, 2);
  const std::string bad(251, 'x');
  const std::string filler = long_line("", 250);  // misses from k2 on
  const std::string hits = "VALUE k0 0 2\r\nv0\r\nVALUE k1 1 2\r\nv1\r\n";
  const std::string error = "CLIENT_ERROR bad command line format\r\n";
  for (size_t split : kSplitSizes) {
    EXPECT_EQ(env.feed("get k0 k1 " + bad + filler + "\r\nmn\r\n", split), hits + error + "MN\r\n")
        << split;
    EXPECT_EQ(env.feed("get" + filler + " " + bad + " k0\r\nmn\r\n", split),
              hits + error + "MN\r\n")
        << split;
    // A partial key already too long ends the reply before its end arrives.
    EXPECT_EQ(
        env.feed("get" + filler + " " + bad + std::string(5000, 'y') + " k0\r\nmn\r\n", split),
        hits + error + "MN\r\n")
        << split;
  }
  // A key of exactly the limit is a key, also with the line's '\r' after it.
  const std::string longest(250, 'z');
  EXPECT_EQ(env.feed("get" + filler + " " + longest + "\r\n", 1), hits + "END\r\n");
  EXPECT_EQ(env.feed("get" + filler + " " + longest + " \r\n", 1), hits + "END\r\n");
  EXPECT_EQ(env.feed("get" + filler + " " + longest + "\r \r\n", 1), hits + error);
}

// -R: a long line is one request, however many reads it takes.
TEST(LongRetrieval, CountsAsOneRequest) {
  Env env;
  const std::string hits = store_keys(env, 250);
  env.session().set_request_budget(1);
  EXPECT_EQ(env.feed(long_line("get", 250) + "\r\nmn\r\n", 100), hits + "END\r\n");
  EXPECT_EQ(env.session().request_budget(), 0u);
  EXPECT_EQ(env.pending(), "mn\r\n");
  env.session().set_request_budget(1);
  EXPECT_EQ(env.feed("mn\r\n"), "MN\r\n");
}

// Other long lines keep memcached's rule: answered when they come whole, else the connection
// closes; a line with more than 100 leading spaces is not a retrieval.
TEST(LongRetrieval, OtherLongLinesAsMemcached) {
  const std::string keys = long_line("", 250);
  expect_at_splits(std::array<size_t, 1>{0}, "bget" + keys + "\r\n", "END\r\n");
  Env split;
  EXPECT_EQ(split.feed("bget" + keys + "\r\n", 1000), "");
  EXPECT_TRUE(split.session().should_close());
  Env spaces;
  EXPECT_EQ(spaces.feed(std::string(101, ' ') + "get" + keys + "\r\n", 1000), "");
  EXPECT_TRUE(spaces.session().should_close());
}

}  // namespace
}  // namespace cuckood::proto::testing
