// Framing of the text protocol: pipelining, line endings, unknown commands, long lines,
// resumption across calls.
#include <gtest/gtest.h>

#include <string>

#include "proto/text_handlers.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

TEST(TextFraming, UnknownAndEmptyLinesAreError) {
  expect_response("\r\n", "ERROR\r\n");
  expect_response("\n", "ERROR\r\n");
  expect_response("\r\r\n", "ERROR\r\n");
  expect_response("   \r\n", "ERROR\r\n");
  expect_response("x\r\n", "ERROR\r\n");
  expect_response("bogus a b\r\n", "ERROR\r\n");
  expect_response("GET a\r\n", "ERROR\r\n");   // commands are case-sensitive
  expect_response("get\ta\r\n", "ERROR\r\n");  // only ' ' separates tokens
}

TEST(TextFraming, FindCommandMatchesWholeNamesOnly) {
  for (const char* name :
       {"get",          "set",  "gets",  "gat",   "gats",        "bget",
        "delete",       "incr", "decr",  "add",   "replace",     "append",
        "prepend",      "cas",  "touch", "mg",    "ms",          "md",
        "ma",           "mn",   "me",    "stats", "lru_crawler", "cache_memlimit",
        "refresh_certs"}) {
    const text::Command* command = text::find_command(name);
    ASSERT_NE(command, nullptr) << name;
    EXPECT_EQ(command->name, name);
  }
  for (const char* name : {"", "g", "ge", "gett", "Get", "sat", "gea", "mx", "stat", "statss",
                           "lru_crawle", "lru_crawlers"}) {
    EXPECT_EQ(text::find_command(name), nullptr) << name;
  }
}

TEST(TextFraming, SplitCommandLineNamesTheFirstTokensCommand) {
  text::Tokens tokens;
  const text::Command* command = text::split_command_line("get a  b", tokens);
  ASSERT_NE(command, nullptr);
  EXPECT_EQ(command->name, "get");
  ASSERT_EQ(tokens.count(), 3u);
  EXPECT_EQ(tokens[2], "b");

  EXPECT_EQ(text::split_command_line("bogus key", tokens), nullptr);
  EXPECT_EQ(tokens.count(), 2u);
  EXPECT_EQ(text::split_command_line("", tokens), nullptr);
  EXPECT_EQ(tokens.count(), 0u);
  EXPECT_EQ(text::split_command_line("   ", tokens), nullptr);
  EXPECT_EQ(tokens.count(), 0u);
}

TEST(TextFraming, PipelinedRequestsAnswerInOrder) {
  expect_response(
      "set a 0 0 1\r\n1\r\nget a\r\nincr a 1\r\nbogus\r\nappend a 0 0 1\r\n0\r\n"
      "gets nokey\r\ndelete a\r\nget a\r\nversion\r\n",
      "STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\n2\r\nERROR\r\nSTORED\r\nEND\r\nDELETED\r\nEND\r\n"
      "VERSION 1.6.18-cuckood-0.1\r\n");
}

TEST(TextFraming, PartialLineWaits) {
  Env env;
  EXPECT_EQ(env.feed("get"), "");
  EXPECT_EQ(env.feed(" a"), "");
  EXPECT_EQ(env.feed("\r"), "");
  EXPECT_EQ(env.feed("\n"), "END\r\n");
  EXPECT_TRUE(env.pending().empty());
}

TEST(TextFraming, LongLineWithoutNewlineClosesSilently) {
  Env env;
  EXPECT_EQ(env.feed(std::string(2048, 'x')), "");
  EXPECT_FALSE(env.session().should_close());
  EXPECT_EQ(env.feed("x"), "");
  EXPECT_TRUE(env.session().should_close());
}

TEST(TextFraming, LongLineWithNewlineIsProcessed) {
  // memcached judges the bytes it holds: a long line that arrives whole is a command.
  Env env;
  EXPECT_EQ(env.feed(std::string(3000, 'x') + "\r\n"), "ERROR\r\n");
  EXPECT_FALSE(env.session().should_close());
}

TEST(TextFraming, LongMultiGetLineIsAllowed) {
  for (std::string_view prefix : {"get ", "gets ", "  get "}) {
    Env env;
    std::string line(prefix);
    for (int i = 0; i < 2000; ++i) line += "k ";
    EXPECT_EQ(env.feed(line, 100), "");
    EXPECT_FALSE(env.session().should_close()) << prefix;
    EXPECT_EQ(env.feed("\r\n"), "END\r\n");
  }
  Env junk;
  junk.feed(std::string(101, ' ') + "get " + std::string(3000, 'k'));
  EXPECT_TRUE(junk.session().should_close());
}

TEST(TextFraming, LongPartialLineIsScannedOnce) {
  // A multi-get line trickling in is not rescanned from its start on every call: feed one
  // byte at a time; this would be quadratic (seconds) otherwise.
  Env env;
  std::string line = "get";
  while (line.size() < 400'000) line += " key";
  EXPECT_EQ(env.feed(line, 1), "");
  EXPECT_EQ(env.feed("\r\n"), "END\r\n");
}

// memcached hangs up on an HTTP request line: an unknown command whose last token starts with
// "HTTP/", unless its name starts with a letter memcached dispatches on (then ERROR).
TEST(TextFraming, HttpRequestClosesSilently) {
  for (std::string_view line : {"GET / HTTP/1.0\r\n", "PUT /asdf/asd/fasdfasdf/sadf HTTP/1.1\r\n",
                                "DELETE HTTP/1.1\r\n", "POST /x HTTP/1.1\r\nversion\r\n",
                                "HEAD / HTTP/2\r\n", "mxy HTTP/1.0\r\n", "zz HTTP/\r\n"}) {
    for (size_t split : kSplitSizes) {
      Env env;
      EXPECT_EQ(env.feed(line, split), "") << line << " split " << split;
      EXPECT_TRUE(env.session().should_close()) << line << " split " << split;
    }
  }
}

TEST(TextFraming, HttpLookalikesAreAnswered) {
  expect_response("get / HTTP/1.0\r\n", "END\r\n");
  expect_response("delete HTTP/1.1\r\n", "NOT_FOUND\r\n");
  expect_response("gxx HTTP/1.0\r\n", "ERROR\r\n");  // first letters memcached dispatches on
  expect_response("sxx HTTP/1.0\r\n", "ERROR\r\n");
  expect_response("mx HTTP/1.0\r\n", "ERROR\r\n");  // two letters from 'm': a meta name
  expect_response("z HTTP/1.0\r\n", "ERROR\r\n");   // too short to be a command
  expect_response("GET /\r\n", "ERROR\r\n");
  expect_response("FOO http/1.0\r\n", "ERROR\r\n");
  expect_response("replace HTTP/1.0\r\n", "ERROR\r\n");  // a known name: its token count
  expect_response("mn HTTP/1.0\r\n", "MN\r\n");
}

TEST(TextFraming, NothingIsReadAfterClose) {
  Env env;
  env.feed(std::string(3000, 'x'), 1000);
  ASSERT_TRUE(env.session().should_close());
  EXPECT_EQ(env.feed("version\r\n"), "");
}

}  // namespace
}  // namespace cuckood::proto::testing
