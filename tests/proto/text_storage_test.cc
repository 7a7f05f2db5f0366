// Text storage commands: set/add/replace/append/prepend/cas, their errors, noreply, data
// blocks split at any byte, refused values swallowed.
#include <gtest/gtest.h>

#include <string>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

TEST(TextStorage, SetThenGet) {
  expect_response("set k 5 0 3\r\nabc\r\nget k\r\n", "STORED\r\nVALUE k 5 3\r\nabc\r\nEND\r\n");
}

TEST(TextStorage, EmptyValueAndBinaryValue) {
  expect_response("set k 0 0 0\r\n\r\nget k\r\n", "STORED\r\nVALUE k 0 0\r\n\r\nEND\r\n");
  using namespace std::string_literals;
  expect_response("set k 0 0 4\r\n\0\r\n\xff\r\nget k\r\n"s,
                  "STORED\r\nVALUE k 0 4\r\n\0\r\n\xff\r\nEND\r\n"s);
}

TEST(TextStorage, AcceptsBareNewlines) {
  expect_response("set k 0 0 1\nx\r\nget k\n", "STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n");
}

TEST(TextStorage, AddOnlyWhenAbsent) {
  expect_response("add k 0 0 1\r\na\r\nadd k 0 0 1\r\nb\r\nget k\r\n",
                  "STORED\r\nNOT_STORED\r\nVALUE k 0 1\r\na\r\nEND\r\n");
}

TEST(TextStorage, ReplaceOnlyWhenPresent) {
  expect_response("replace k 0 0 1\r\na\r\nset k 0 0 1\r\nb\r\nreplace k 7 0 1\r\nc\r\nget k\r\n",
                  "NOT_STORED\r\nSTORED\r\nSTORED\r\nVALUE k 7 1\r\nc\r\nEND\r\n");
}

TEST(TextStorage, AppendPrependKeepFlags) {
  expect_response(
      "append k 0 0 1\r\nx\r\nprepend k 0 0 1\r\nx\r\nset k 3 0 2\r\nbc\r\n"
      "append k 9 0 1\r\nd\r\nprepend k 9 0 1\r\na\r\nget k\r\n",
      "NOT_STORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nVALUE k 3 4\r\nabcd\r\nEND\r\n");
}

TEST(TextStorage, CasMatchesTheUniqueFromGets) {
  Env env;
  EXPECT_EQ(env.feed("cas k 0 0 1 1\r\nx\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(env.feed("set k 0 0 1\r\na\r\n"), "STORED\r\n");
  const std::string gets = env.feed("gets k\r\n");
  ASSERT_TRUE(gets.starts_with("VALUE k 0 1 ")) << gets;
  const std::string cas = gets.substr(12, gets.find('\r') - 12);
  const uint64_t unique = std::stoull(cas);
  EXPECT_EQ(env.feed("cas k 0 0 1 " + std::to_string(unique + 1) + "\r\nb\r\n"), "EXISTS\r\n");
  EXPECT_EQ(env.feed("cas k 4 0 1 " + cas + "\r\nc\r\n"), "STORED\r\n");
  EXPECT_EQ(env.feed("cas k 0 0 1 " + cas + "\r\nd\r\n"), "EXISTS\r\n");
  EXPECT_EQ(env.feed("get k\r\n"), "VALUE k 4 1\r\nc\r\nEND\r\n");
}

TEST(TextStorage, CasNoreply) {
  Env env;
  env.feed("set k 0 0 1\r\na\r\n");
  EXPECT_EQ(env.feed("cas k 0 0 1 999999 noreply\r\nb\r\nget k\r\n"),
            "VALUE k 0 1\r\na\r\nEND\r\n");
}

TEST(TextStorage, NoreplySuppressesEveryStorageReply) {
  expect_response(
      "set k 0 0 1 noreply\r\na\r\nadd k 0 0 1 noreply\r\nb\r\nreplace x 0 0 1 noreply\r\nc\r\n"
      "append k 0 0 1 noreply\r\nd\r\nprepend k 0 0 1 noreply\r\ne\r\nget k\r\n",
      "VALUE k 0 3\r\nead\r\nEND\r\n");
}

TEST(TextStorage, OnlyALastNoreplyTokenCounts) {
  expect_response("set k 0 0 1 garbage\r\na\r\n", "STORED\r\n");
}

TEST(TextStorage, FlagsAreUnsigned32Bits) {
  expect_response("set k 4294967295 0 1\r\na\r\nget k\r\n",
                  "STORED\r\nVALUE k 4294967295 1\r\na\r\nEND\r\n");
  // memcached parses 64 bits and keeps the low 32.
  expect_response("set k 4294967296 0 1\r\na\r\nget k\r\n",
                  "STORED\r\nVALUE k 0 1\r\na\r\nEND\r\n");
}

TEST(TextStorage, BadCommandLineKeepsTheConnectionAndDoesNotSwallow) {
  const std::string_view bad = "CLIENT_ERROR bad command line format\r\n";
  expect_response("set k x 0 1\r\na\r\n", std::string(bad) + "ERROR\r\n");
  expect_response("set k -1 0 1\r\na\r\n", std::string(bad) + "ERROR\r\n");
  expect_response("set k 0 x 1\r\na\r\n", std::string(bad) + "ERROR\r\n");
  expect_response("set k 0 0 x\r\nversion\r\n",
                  std::string(bad) + "VERSION 1.6.18-cuckood-0.1\r\n");
  expect_response("set k 0 0 -1\r\nget k\r\n", std::string(bad) + "END\r\n");
  expect_response("cas k 0 0 1 x\r\na\r\n", std::string(bad) + "ERROR\r\n");
  expect_response("set k 0 0 1 noreply\r\n", "");  // noreply hides errors too
  expect_response("set k 0 0 -1 noreply\r\nversion\r\n", "VERSION 1.6.18-cuckood-0.1\r\n");
}

TEST(TextStorage, WrongTokenCountIsError) {
  expect_response("set k 0 0\r\n", "ERROR\r\n");
  expect_response("set k 0 0 1 noreply extra\r\n", "ERROR\r\n");
  expect_response("cas k 0 0 1\r\n", "ERROR\r\n");
  expect_response("append\r\n", "ERROR\r\n");
}

TEST(TextStorage, KeyLength) {
  const std::string k250(250, 'k');
  const std::string k251(251, 'k');
  expect_response("set " + k250 + " 0 0 1\r\na\r\nget " + k250 + "\r\n",
                  "STORED\r\nVALUE " + k250 + " 0 1\r\na\r\nEND\r\n");
  // The data line is then read as a command, as by memcached.
  expect_response("set " + k251 + " 0 0 1\r\na\r\n",
                  "CLIENT_ERROR bad command line format\r\nERROR\r\n");
}

TEST(TextStorage, BadDataChunkConsumesExactlyTheAnnouncedBytes) {
  // memcached reads <bytes>+2 bytes, refuses them, and parses what follows as commands.
  expect_response("set k 0 0 1\r\nab\r\nget k\r\n",
                  "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n");
  expect_response("set k 0 0 1\r\nabcdef\r\nget k\r\n",
                  "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n");
  expect_response("set k 0 0 1\r\nx\nget k\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
  expect_response("set k 0 0 1 noreply\r\nab\r\nversion\r\n",
                  "ERROR\r\nVERSION 1.6.18-cuckood-0.1\r\n");
}

// A small item limit keeps the every-split-size runs of the too-large cases quick.
Settings small_items() {
  Settings settings;
  settings.max_item_size = 64 << 10;
  return settings;
}

TEST(TextStorage, TooLargeIsRefusedAndItsDataSwallowed) {
  const std::string value(100'000, 'v');
  expect_response(
      "set k 0 0 100000\r\n" + value + "\r\nget k\r\nversion\r\n",
      "SERVER_ERROR object too large for cache\r\nEND\r\nVERSION 1.6.18-cuckood-0.1\r\n",
      small_items());
  // The swallowed block is <bytes>+2 whatever its last two bytes are.
  expect_response("set k 0 0 100000\r\n" + value + "XXversion\r\n",
                  "SERVER_ERROR object too large for cache\r\nVERSION 1.6.18-cuckood-0.1\r\n",
                  small_items());
  expect_response("set k 0 0 100000 noreply\r\n" + value + "\r\nversion\r\n",
                  "VERSION 1.6.18-cuckood-0.1\r\n", small_items());
}

TEST(TextStorage, TooLargeSetRemovesTheOldValueButAddKeepsIt) {
  const std::string value(100'000, 'v');
  expect_response("set k 0 0 1\r\na\r\nset k 0 0 100000\r\n" + value + "\r\nget k\r\n",
                  "STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n", small_items());
  expect_response(
      "set k 0 0 1\r\na\r\nadd k 0 0 100000\r\n" + value + "\r\nget k\r\n",
      "STORED\r\nSERVER_ERROR object too large for cache\r\nVALUE k 0 1\r\na\r\nEND\r\n",
      small_items());
}

TEST(TextStorage, TooLargeSwallowNeverBuffersTheValue) {
  // max_item_size is 1 MiB by default; the value is over it and streams in pieces.
  Env big;
  EXPECT_EQ(big.feed("set k 0 0 1048576\r\n"), "SERVER_ERROR object too large for cache\r\n");
  const std::string chunk(4096, 'x');
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(big.feed(chunk), "");
    EXPECT_TRUE(big.pending().empty());  // consumed as it arrives
  }
  EXPECT_EQ(big.feed("\r\nget k\r\n"), "END\r\n");
}

TEST(TextStorage, LargestValueThatFits) {
  Env env;
  const size_t max = env.worker().cache.max_value_size(1);
  const std::string value(max, 'v');
  EXPECT_EQ(env.feed("set k 0 0 " + std::to_string(max) + "\r\n" + value + "\r\n"), "STORED\r\n");
  EXPECT_EQ(env.feed("set k 0 0 " + std::to_string(max + 1) + "\r\n" + value + "v\r\n"),
            "SERVER_ERROR object too large for cache\r\n");
}

TEST(TextStorage, MegabyteValueInOneByteChunks) {
  Settings settings;
  settings.max_item_size = size_t{2} << 20;
  Env env(settings);
  const std::string value(1 << 20, 'm');
  const std::string request = "set big 1 0 1048576\r\n" + value + "\r\n";
  std::string output;
  for (char c : request) {
    output += env.feed(std::string_view(&c, 1));
    if (env.pending().size() > 20) {
      // The header announced the value: net/ may wait for this many bytes in all.
      EXPECT_EQ(env.session().bytes_wanted(), 21u + (1 << 20) + 2) << env.pending().size();
      if (::testing::Test::HasFailure()) break;
    }
  }
  EXPECT_EQ(output, "STORED\r\n");
  EXPECT_EQ(env.feed("get big\r\n"), "VALUE big 1 1048576\r\n" + value + "\r\nEND\r\n");
}

TEST(TextStorage, BytesWantedCountsLineAndValue) {
  Env env;
  EXPECT_EQ(env.feed("set k 0 0 10\r\nabc"), "");
  EXPECT_EQ(env.session().bytes_wanted(), 14u + 12u);
  EXPECT_EQ(env.feed("defghij\r\n"), "STORED\r\n");
  EXPECT_EQ(env.session().bytes_wanted(), 0u);
}

}  // namespace
}  // namespace cuckood::proto::testing
