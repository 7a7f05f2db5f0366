// incr/decr, delete, touch.
#include <gtest/gtest.h>

#include <string>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

TEST(TextArithmetic, IncrDecr) {
  expect_response("set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 3\r\ndecr n 100\r\nget n\r\n",
                  "STORED\r\n15\r\n12\r\n0\r\nVALUE n 0 2\r\n0 \r\nEND\r\n");
}

TEST(TextArithmetic, WrapsAt64Bits) {
  expect_response(
      "set n 0 0 20\r\n18446744073709551615\r\nincr n 1\r\nincr n 18446744073709551615\r\n",
      "STORED\r\n0\r\n18446744073709551615\r\n");
}

TEST(TextArithmetic, DeltaAsMemcachedParsesIt) {
  expect_response("set n 0 0 1\r\n5\r\nincr n +3\r\nincr n -0\r\nincr n 007\r\n",
                  "STORED\r\n8\r\n8\r\n15\r\n");
  const std::string_view invalid = "CLIENT_ERROR invalid numeric delta argument\r\n";
  expect_response("incr n x\r\n", invalid);
  expect_response("incr n -1\r\n", invalid);
  expect_response("decr n 18446744073709551616\r\n", invalid);
  expect_response("incr n 1.5\r\n", invalid);
}

TEST(TextArithmetic, Misses) {
  expect_response("incr n 1\r\ndecr n 1\r\n", "NOT_FOUND\r\nNOT_FOUND\r\n");
}

TEST(TextArithmetic, NonNumericValue) {
  const std::string_view error = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
  expect_response("set n 0 0 3\r\n12a\r\nincr n 1\r\n", "STORED\r\n" + std::string(error));
  expect_response("set n 0 0 0\r\n\r\ndecr n 1\r\n", "STORED\r\n" + std::string(error));
  expect_response("set n 0 0 20\r\n18446744073709551616\r\nincr n 1\r\n",
                  "STORED\r\n" + std::string(error));
}

TEST(TextArithmetic, Noreply) {
  expect_response(
      "set n 0 0 1\r\n1\r\nincr n 1 noreply\r\nincr n x noreply\r\nincr m 1 noreply\r\nget n\r\n",
      "STORED\r\nVALUE n 0 1\r\n2\r\nEND\r\n");
}

TEST(TextArithmetic, TokenCountAndKeyLength) {
  expect_response("incr n\r\n", "ERROR\r\n");
  expect_response("decr n 1 noreply x\r\n", "ERROR\r\n");
  expect_response("incr " + std::string(251, 'k') + " 1\r\n",
                  "CLIENT_ERROR bad command line format\r\n");
}

TEST(TextDelete, DeleteAndMiss) {
  expect_response("set k 0 0 1\r\na\r\ndelete k\r\ndelete k\r\nget k\r\n",
                  "STORED\r\nDELETED\r\nNOT_FOUND\r\nEND\r\n");
}

TEST(TextDelete, LegacyHoldTimeOnlyZero) {
  const std::string_view usage =
      "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
  expect_response("set k 0 0 1\r\na\r\ndelete k 0\r\n", "STORED\r\nDELETED\r\n");
  expect_response("delete k 1\r\n", usage);
  expect_response("delete k x y\r\n", usage);
  expect_response("delete k 1 noreply\r\n", "");
  expect_response("set k 0 0 1\r\na\r\ndelete k 0 noreply\r\nget k\r\n", "STORED\r\nEND\r\n");
  expect_response("set k 0 0 1\r\na\r\ndelete k noreply\r\nget k\r\n", "STORED\r\nEND\r\n");
  expect_response("delete\r\n", "ERROR\r\n");
  expect_response("delete k 0 noreply x\r\n", "ERROR\r\n");
  expect_response("delete " + std::string(251, 'k') + "\r\n",
                  "CLIENT_ERROR bad command line format\r\n");
}

TEST(TextTouch, TouchSetsANewDeadline) {
  Env env;
  EXPECT_EQ(env.feed("set k 0 10 1\r\na\r\ntouch k 100\r\ntouch x 100\r\n"),
            "STORED\r\nTOUCHED\r\nNOT_FOUND\r\n");
  env.advance(50);
  EXPECT_EQ(env.feed("get k\r\n"), "VALUE k 0 1\r\na\r\nEND\r\n");
  EXPECT_EQ(env.feed("touch k 1 noreply\r\n"), "");
  env.advance(1);
  EXPECT_EQ(env.feed("get k\r\n"), "END\r\n");
}

TEST(TextTouch, Errors) {
  expect_response("touch k\r\n", "ERROR\r\n");
  expect_response("touch k x\r\n", "CLIENT_ERROR invalid exptime argument\r\n");
  expect_response("touch k x noreply\r\n", "");
  expect_response("touch " + std::string(251, 'k') + " 1\r\n",
                  "CLIENT_ERROR bad command line format\r\n");
}

}  // namespace
}  // namespace cuckood::proto::testing
