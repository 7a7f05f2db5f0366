// The text tokenizer and memcached-compatible number parsing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/text_numbers.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto::text {
namespace {

TEST(TextTokenizer, SplitsOnRunsOfSpacesOnly) {
  Tokens t;
  tokenize("  get  a\tb   c ", t);
  ASSERT_EQ(t.count(), 3u);
  EXPECT_EQ(t[0], "get");
  EXPECT_EQ(t[1], "a\tb");
  EXPECT_EQ(t[2], "c");
  EXPECT_TRUE(t.rest.empty());
}

TEST(TextTokenizer, EmptyAndBlankLinesHaveNoTokens) {
  Tokens t;
  tokenize("", t);
  EXPECT_EQ(t.count(), 0u);
  tokenize("    ", t);
  EXPECT_EQ(t.count(), 0u);
}

TEST(TextTokenizer, KeepsTheRestOfALongLineUnsplit) {
  std::string line = "get";
  for (int i = 0; i < 30; ++i) line += " k" + std::to_string(i);
  Tokens t;
  tokenize(line, t);
  ASSERT_EQ(t.count(), kMaxTokens);
  EXPECT_EQ(t[kMaxTokens - 1], "k21");
  std::string_view rest = t.rest;
  EXPECT_EQ(next_token(rest), "k22");
  int remaining = 1;
  while (!next_token(rest).empty()) ++remaining;
  EXPECT_EQ(remaining, 8);
}

TEST(TextTokenizer, ATokenPastTheLastIsEmptyEvenAfterALongerLine) {
  Tokens t;
  tokenize("set a 0 0 1 noreply", t);
  tokenize("get b", t);
  ASSERT_EQ(t.count(), 2u);
  EXPECT_EQ(t[1], "b");
  EXPECT_TRUE(t[2].empty());
  EXPECT_TRUE(t[kMaxTokens + 5].empty());
}

TEST(TextTokenizer, NoreplyIsTheLastToken) {
  Tokens t;
  tokenize("set a 0 0 1 noreply", t);
  EXPECT_TRUE(t.noreply());
  tokenize("set a 0 0 1 garbage", t);
  EXPECT_FALSE(t.noreply());
  tokenize("set noreply 0 0 1", t);
  EXPECT_FALSE(t.noreply());
}

TEST(TextTokenizer, CommandLineDropsTheNewlineAndACarriageReturnBeforeIt) {
  EXPECT_EQ(command_line("get a\r\nnext", 6), "get a");
  EXPECT_EQ(command_line("get a\nnext", 5), "get a");
  EXPECT_EQ(command_line("get a\r\r\n", 7), "get a\r");  // only the last one
  EXPECT_EQ(command_line("\r\n", 1), "\r");              // memcached keeps a line's only byte
  EXPECT_EQ(command_line("\n", 0), "");
}

TEST(TextTokenizer, ForEachTokenContinuesIntoTheRestAndStopsWhenAsked) {
  std::string line = "get";
  for (int i = 0; i < 30; ++i) line += " k" + std::to_string(i);
  Tokens tokens;
  tokenize(line, tokens);
  ASSERT_FALSE(tokens.rest.empty());

  std::vector<std::string_view> seen;
  for_each_token(tokens, 1, [&](std::string_view token) {
    seen.push_back(token);
    return true;
  });
  ASSERT_EQ(seen.size(), 30u);
  EXPECT_EQ(seen.front(), "k0");
  EXPECT_EQ(seen.back(), "k29");

  seen.clear();
  for_each_token(tokens, 20, [&](std::string_view token) {
    seen.push_back(token);
    return token != "k24";  // past the split tokens, in the rest
  });
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen.front(), "k19");
  EXPECT_EQ(seen.back(), "k24");
}

TEST(TextNumbers, Strtol32AcceptsWhatMemcachedAccepts) {
  int32_t v = 0;
  EXPECT_TRUE(parse_strtol32("123", v));
  EXPECT_EQ(v, 123);
  EXPECT_TRUE(parse_strtol32("+5", v));
  EXPECT_EQ(v, 5);
  EXPECT_TRUE(parse_strtol32("-1", v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(parse_strtol32("007", v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(parse_strtol32("5\r", v));  // a '\r' before "\r\n" is whitespace to strtol
  EXPECT_EQ(v, 5);
  EXPECT_TRUE(parse_strtol32("\t9\tjunk", v));
  EXPECT_EQ(v, 9);
  // 64-bit strtol, then truncated to 32 bits.
  EXPECT_TRUE(parse_strtol32("2147483648", v));
  EXPECT_EQ(v, INT32_MIN);
  EXPECT_TRUE(parse_strtol32("4294967297", v));
  EXPECT_EQ(v, 1);
}

TEST(TextNumbers, Strtol32RefusesJunkAndOverflow) {
  int32_t v = 0;
  EXPECT_FALSE(parse_strtol32("", v));
  EXPECT_FALSE(parse_strtol32("x", v));
  EXPECT_FALSE(parse_strtol32("1x", v));
  EXPECT_FALSE(parse_strtol32("0x1", v));
  EXPECT_FALSE(parse_strtol32("-", v));
  EXPECT_FALSE(parse_strtol32("+", v));
  EXPECT_FALSE(parse_strtol32("9223372036854775808", v));
  EXPECT_TRUE(parse_strtol32("-9223372036854775808", v));
  EXPECT_FALSE(parse_strtol32("-9223372036854775809", v));
}

TEST(TextNumbers, StrtodIsCsStrtod) {
  double v = 0;
  EXPECT_TRUE(parse_strtod("0.5", v));
  EXPECT_EQ(v, 0.5);
  EXPECT_TRUE(parse_strtod("1e-1", v));
  EXPECT_EQ(v, 0.1);
  EXPECT_TRUE(parse_strtod("-2", v));
  EXPECT_EQ(v, -2);
  EXPECT_TRUE(parse_strtod("0x10", v));
  EXPECT_EQ(v, 16);
  EXPECT_TRUE(parse_strtod("3\tjunk", v));
  EXPECT_EQ(v, 3);
  EXPECT_FALSE(parse_strtod("", v));
  EXPECT_FALSE(parse_strtod("x", v));
  EXPECT_FALSE(parse_strtod("1x", v));
  EXPECT_FALSE(parse_strtod("1e999", v));  // ERANGE
}

TEST(TextNumbers, Strtoul32TruncatesAndRefusesWrappedNegatives) {
  uint32_t v = 0;
  EXPECT_TRUE(parse_strtoul32("4294967295", v));
  EXPECT_EQ(v, 4294967295u);
  EXPECT_TRUE(parse_strtoul32("4294967296", v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(parse_strtoul32("-1", v));
  EXPECT_TRUE(parse_strtoul32("-0", v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(parse_strtoul32("18446744073709551616", v));
}

TEST(TextNumbers, Strtoull) {
  uint64_t v = 0;
  EXPECT_TRUE(parse_strtoull("18446744073709551615", v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_FALSE(parse_strtoull("18446744073709551616", v));
  EXPECT_FALSE(parse_strtoull("-1", v));
  EXPECT_TRUE(parse_strtoull("-0", v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(parse_strtoull("abc", v));
  EXPECT_FALSE(parse_strtoull("1.5", v));
}

TEST(TextNumbers, StrtodAcceptsWhatMemcachedAccepts) {
  double v = 0;
  EXPECT_TRUE(parse_strtod("0.5", v));
  EXPECT_EQ(v, 0.5);
  EXPECT_TRUE(parse_strtod(" 2e1 x", v));  // followed by whitespace, then anything
  EXPECT_EQ(v, 20.0);
  EXPECT_FALSE(parse_strtod("0.5x", v));
  EXPECT_FALSE(parse_strtod("", v));
  EXPECT_FALSE(parse_strtod("1e999", v));  // ERANGE
}

}  // namespace
}  // namespace cuckood::proto::text
