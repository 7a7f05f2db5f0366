// proto/session: the -vv descriptions — one line per request and per response, data blocks
// left out, for text (classic and meta) and binary sessions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/proto/binary_packets.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

struct Described {
  std::vector<std::string> requests;
  std::vector<std::string> responses;
};

// Feeds `input` in one piece and describes what was consumed and produced.
Described run(Env& env, std::string_view input) {
  std::string output;
  const size_t consumed = env.session().process(input, output);
  Described d;
  env.session().describe_requests(input.substr(0, consumed),
                                  [&](std::string_view line) { d.requests.emplace_back(line); });
  env.session().describe_responses(output,
                                   [&](std::string_view line) { d.responses.emplace_back(line); });
  return d;
}

using Lines = std::vector<std::string>;

TEST(SessionDescribeTest, TextCommandsOneLineEachWithoutData) {
  Env env;
  const Described d = run(env,
                          "set a 0 0 5\r\nhe\r\nl\r\nget a b\r\nms m 3 T0\r\nxyz\r\n"
                          "mg m v\r\ndelete a noreply\r\nversion\r\n");
  EXPECT_EQ(d.requests, (Lines{"set a 0 0 5", "get a b", "ms m 3 T0", "mg m v", "delete a noreply",
                               "version"}));
  ASSERT_EQ(d.responses.size(), 6u) << "a value's data described as a line";
  EXPECT_EQ(d.responses[0], "STORED");
  EXPECT_EQ(d.responses[1], "VALUE a 0 5");
  EXPECT_EQ(d.responses[2], "END");
  EXPECT_EQ(d.responses[3], "HD");
  EXPECT_EQ(d.responses[4], "VA 3");
  EXPECT_EQ(d.responses[5].rfind("VERSION ", 0), 0u);
}

TEST(SessionDescribeTest, MalformedLengthDescribesLinesOnly) {
  Env env;
  const Described d = run(env, "set a 0 0 zz\r\nget a\r\n");
  EXPECT_EQ(d.requests, (Lines{"set a 0 0 zz", "get a"}));
  EXPECT_EQ(d.responses, (Lines{"CLIENT_ERROR bad command line format", "END"}));
}

TEST(SessionDescribeTest, BinaryPacketsOneLineEach) {
  Env env;
  Packet set;
  set.opcode = binary::Opcode::kSet;
  set.key = "k";
  set.extras = store_extras(0, 0);
  set.value = "value";
  Packet get;
  get.key = "k";
  Packet noop;
  noop.opcode = binary::Opcode::kNoOp;
  const std::string input = request(set) + request(get) + request(noop);
  const Described d = run(env, input);
  EXPECT_EQ(d.requests, (Lines{"set k body 14", "get k body 1", "noop body 0"}));
  EXPECT_EQ(d.responses,
            (Lines{"set status 0x00 body 0", "get status 0x00 body 9", "noop status 0x00 body 0"}));
}

}  // namespace
}  // namespace cuckood::proto::testing
