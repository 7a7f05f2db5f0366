// Builders of binary protocol packets for the codec's tests, and the split sizes its cases
// run at: {all, 24 (one header), 10, 1} on top of the fixture's usual list.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/binary_header.h"
#include "proto/binary_replies.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {

inline constexpr std::array<size_t, 9> kBinarySplitSizes = {0, 1000, 100, 24, 10, 5, 3, 2, 1};

// A request packet; lengths are computed unless overridden (for malformed-header cases).
struct Packet {
  binary::Opcode opcode = binary::Opcode::kGet;
  std::string_view key;
  std::string extras;
  std::string_view value;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

inline std::string request(const Packet& p) {
  binary::RequestHeader h;
  h.opcode = p.opcode;
  h.key_length = static_cast<uint16_t>(p.key.size());
  h.extras_length = static_cast<uint8_t>(p.extras.size());
  h.body_length = static_cast<uint32_t>(p.extras.size() + p.key.size() + p.value.size());
  h.opaque = p.opaque;
  h.cas = p.cas;
  std::string out(binary::kHeaderSize, '\0');
  binary::encode_request_header(h, out.data());
  out.append(p.extras).append(p.key).append(p.value);
  return out;
}

// A header alone, with every field given (malformed cases).
inline std::string raw_header(const binary::RequestHeader& h) {
  std::string out(binary::kHeaderSize, '\0');
  binary::encode_request_header(h, out.data());
  return out;
}

struct Response {
  binary::Opcode opcode = binary::Opcode::kGet;
  binary::Status status = binary::Status::kSuccess;
  std::string extras;
  std::string_view key;
  std::string_view value;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

inline std::string response(const Response& r) {
  binary::ResponseHeader h;
  h.opcode = r.opcode;
  h.status = r.status;
  h.key_length = static_cast<uint16_t>(r.key.size());
  h.extras_length = static_cast<uint8_t>(r.extras.size());
  h.body_length = static_cast<uint32_t>(r.extras.size() + r.key.size() + r.value.size());
  h.opaque = r.opaque;
  h.cas = r.cas;
  std::string out(binary::kHeaderSize, '\0');
  binary::encode_response_header(h, out.data());
  out.append(r.extras).append(r.key).append(r.value);
  return out;
}

// An error response as memcached words it (message body, cas 0).
inline std::string error_response(binary::Opcode opcode, binary::Status status,
                                  uint32_t opaque = 0) {
  return response({opcode, status, "", "", binary::status_message(status), opaque});
}

inline std::string be32(uint32_t v) {
  std::string s(4, '\0');
  binary::store_big(s.data(), v);
  return s;
}
inline std::string be64(uint64_t v) {
  std::string s(8, '\0');
  binary::store_big(s.data(), v);
  return s;
}
inline std::string store_extras(uint32_t flags, uint32_t exptime) {
  return be32(flags) + be32(exptime);
}
inline std::string arith_extras(uint64_t delta, uint64_t initial, uint32_t exptime) {
  return be64(delta) + be64(initial) + be32(exptime);
}

// Runs `input` on a fresh Env at every binary split size; each answer must equal `expected`.
inline void expect_binary(std::string_view input, std::string_view expected,
                          const Settings& settings = {}) {
  expect_at_splits(kBinarySplitSizes, input, expected, settings);
}

}  // namespace cuckood::proto::testing
