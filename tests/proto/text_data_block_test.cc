// proto/text_data_block: the framing of a storage command's data block, shared by the classic
// commands and meta ms. Every case runs through a Session at each split size, once for `set`
// and once for `ms`; expectations checked against memcached 1.6.18.
#include "proto/text_data_block.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

using text::DataBlock;
using text::parse_data_block;

Settings small_items() {
  Settings settings;
  settings.max_item_size = 1024;
  return settings;
}

TEST(TextDataBlock, LengthBounds) {
  DataBlock block;
  ASSERT_TRUE(parse_data_block("0", block));
  EXPECT_EQ(block.value_size, 0u);
  EXPECT_EQ(block.block_size, 2u);
  ASSERT_TRUE(parse_data_block("2147483645", block));  // INT_MAX - 2
  EXPECT_EQ(block.value_size, 2147483645u);
  EXPECT_EQ(block.block_size, 2147483647u);
  EXPECT_FALSE(parse_data_block("2147483646", block));
  EXPECT_FALSE(parse_data_block("-1", block));
  EXPECT_FALSE(parse_data_block("x", block));
  EXPECT_FALSE(parse_data_block("", block));
}

TEST(TextDataBlock, CompleteBlockIsTheValue) {
  expect_response("set k 0 0 5\r\nhello\r\nget k\r\n", "STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n");
  expect_response("ms k 5\r\nhello\r\nmg k v\r\n", "HD\r\nVA 5\r\nhello\r\n");
}

TEST(TextDataBlock, EmptyBlock) {
  expect_response("set k 0 0 0\r\n\r\nget k\r\n", "STORED\r\nVALUE k 0 0\r\n\r\nEND\r\n");
  expect_response("ms k 0\r\n\r\nmg k v\r\n", "HD\r\nVA 0\r\n\r\n");
}

TEST(TextDataBlock, NewlinesInsideTheValueAreData) {
  expect_response("set k 0 0 4\r\na\r\nb\r\nget k\r\n",
                  "STORED\r\nVALUE k 0 4\r\na\r\nb\r\nEND\r\n");
  expect_response("ms k 4\r\na\r\nb\r\nmg k v\r\n", "HD\r\nVA 4\r\na\r\nb\r\n");
}

TEST(TextDataBlock, BadChunkConsumesTheBlockOnly) {
  // The block's last two bytes are "X\r": consumed; the "\n" that follows is an empty line.
  expect_response("set k 0 0 2\r\nhiX\r\nmn\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n");
  expect_response("ms k 2\r\nhiX\r\nmn\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n");
  expect_response("set k 0 0 2 noreply\r\nhiX\r\nmn\r\n", "ERROR\r\nMN\r\n");
  expect_response("ms k 2 q\r\nhiX\r\nmn\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n");
}

TEST(TextDataBlock, MalformedLengthExpectsNoBlock) {
  for (const char* length : {"-1", "x", "2147483646"}) {
    expect_response(std::string("set k 0 0 ") + length + "\r\nmn\r\n",
                    "CLIENT_ERROR bad command line format\r\nMN\r\n");
    expect_response(std::string("ms k ") + length + "\r\nmn\r\n",
                    "CLIENT_ERROR bad command line format\r\nMN\r\n");
  }
}

TEST(TextDataBlock, TooLargeIsRefusedAndSwallowed) {
  const std::string value(2000, 'v');
  const std::string too_large = "SERVER_ERROR object too large for cache\r\n";
  expect_response("set k 0 0 2000\r\n" + value + "\r\nmn\r\n", too_large + "MN\r\n", small_items());
  expect_response("ms k 2000\r\n" + value + "\r\nmn\r\n", too_large + "MN\r\n", small_items());
  expect_response("set k 0 0 2000 noreply\r\n" + value + "\r\nmn\r\n", "MN\r\n", small_items());
  expect_response("ms k 2000 q\r\n" + value + "\r\nmn\r\n", too_large + "MN\r\n", small_items());
}

TEST(TextDataBlock, TooLargeIsRefusedBeforeTheBlockArrives) {
  for (const char* line : {"set k 0 0 2000\r\n", "ms k 2000\r\n"}) {
    Env env(small_items());
    EXPECT_EQ(env.feed(line), "SERVER_ERROR object too large for cache\r\n") << line;
    EXPECT_EQ(env.session().bytes_wanted(), 0u) << line;
    EXPECT_EQ(env.feed(std::string(2002, 'v') + "mn\r\n"), "MN\r\n") << line;
  }
}

TEST(TextDataBlock, ErrorAfterTheLengthSwallowsTheBlock) {
  expect_response("ms k 2 MX\r\nhi\r\nmn\r\n",
                  "CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n");
  expect_response("ms k 2 v v\r\nhi\r\nmn\r\n", "CLIENT_ERROR duplicate flag\r\nMN\r\n");
}

TEST(TextDataBlock, IncompleteBlockWaitsForAllOfIt) {
  for (const char* line : {"set k 0 0 10\r\n", "ms k 10\r\n"}) {
    Env env;
    const size_t line_size = std::string_view(line).size();
    EXPECT_EQ(env.feed(std::string(line) + "01234"), "") << line;
    EXPECT_EQ(env.session().bytes_wanted(), line_size + 12) << line;
    EXPECT_EQ(env.feed("56789\r"), "") << line;
    EXPECT_NE(env.feed("\n"), "") << line;
    EXPECT_TRUE(env.pending().empty()) << line;
  }
}

}  // namespace
}  // namespace cuckood::proto::testing
