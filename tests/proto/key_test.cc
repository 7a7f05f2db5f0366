// proto/key: one key-length rule for every codec — a key of kMaxKeyLength bytes is served,
// one byte more is refused, by each text, meta and binary command that takes a key (at every
// split size). Expectations checked against memcached 1.6.18.
#include "proto/key.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/proto/binary_packets.h"

namespace cuckood::proto::testing {
namespace {

static_assert(kMaxKeyLength == cache::kMaxKeySize);
static_assert(valid_key_length(250) && !valid_key_length(251));

constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format\r\n";

// Each text command, with `K` standing for the key, and its answer to a key that is served.
struct TextCase {
  std::string_view command;
  std::string_view served;
};
constexpr TextCase kTextCases[] = {
    {"set K 0 0 1\r\nx\r\n", "STORED\r\n"},
    {"get K\r\n", "END\r\n"},
    {"gats 0 K\r\n", "END\r\n"},
    {"incr K 1\r\n", "NOT_FOUND\r\n"},
    {"delete K\r\n", "NOT_FOUND\r\n"},
    {"touch K 0\r\n", "NOT_FOUND\r\n"},
    {"ms K 1\r\nx\r\n", "HD\r\n"},
    {"mg K v\r\n", "EN\r\n"},
    {"md K\r\n", "NF\r\n"},
    {"ma K\r\n", "NF\r\n"},
};

std::string with_key(std::string_view command, const std::string& key) {
  std::string out(command);
  out.replace(out.find('K'), 1, key);
  return out;
}

TEST(KeyLength, EveryTextCommandServesTheLimitAndRefusesOneMore) {
  const std::string longest(kMaxKeyLength, 'k');
  const std::string too_long(kMaxKeyLength + 1, 'k');
  for (const TextCase& c : kTextCases) {
    SCOPED_TRACE(c.command);
    expect_response(with_key(c.command, longest), c.served);
    // A refused storage command's data block is then read as a command line: ERROR.
    const bool stores = c.command.starts_with("set") || c.command.starts_with("ms");
    expect_response(with_key(c.command, too_long),
                    std::string(kBadFormat) + (stores ? "ERROR\r\n" : ""));
  }
}

TEST(KeyLength, BinaryServesTheLimitAndRefusesOneMore) {
  const std::string longest(kMaxKeyLength, 'k');
  const std::string too_long(kMaxKeyLength + 1, 'k');
  for (size_t split : kBinarySplitSizes) {
    Env served;
    EXPECT_EQ(served.feed(request({binary::Opcode::kGetK, longest, "", "", 1}), split),
              response({binary::Opcode::kGetK, binary::Status::kKeyNotFound, "", longest, "", 1}));
    Env refused;
    EXPECT_EQ(refused.feed(request({binary::Opcode::kGetK, too_long, "", "", 1}), split),
              error_response(binary::Opcode::kGetK, binary::Status::kInvalidArguments, 1));
    EXPECT_TRUE(refused.session().should_close());
  }
}

}  // namespace
}  // namespace cuckood::proto::testing
