// The soak workload's requests on the wire, text and binary: get, set, append, incr, delete,
// touch, and the decoding of their replies. parse() is resumable like text_client.h: it either
// decodes one whole reply or asks for more bytes without consuming any.
#pragma once

#include <cstdint>
#include <string_view>

#include "bench/load/buffer.h"
#include "bench/load/reply.h"

namespace cuckood::load::soak {

enum class Op : uint8_t { kGet, kSet, kAppend, kIncr, kDelete, kTouch };
constexpr int kOpCount = 6;
std::string_view to_string(Op op) noexcept;

enum class WireProtocol : uint8_t { kText, kBinary };

struct Request {
  Op op;
  std::string_view key;
  std::string_view value;  // set, append
  uint64_t delta = 0;      // incr
  uint32_t opaque = 0;     // binary: echoed by the server and checked
};

// One decoded reply. kFound: DELETED/TOUCHED; kNumber: an incr result.
enum class Answer : uint8_t {
  kValue,
  kMiss,
  kStored,
  kNotStored,
  kFound,
  kNotFound,
  kNumber,
  kError
};

struct SoakReply {
  Answer answer = Answer::kError;
  std::string_view value;  // kValue: views the parser's input
  uint64_t number = 0;     // kNumber
  size_t consumed = 0;
};

void append_request(Buffer& out, WireProtocol protocol, const Request& r);

ParseStatus parse(WireProtocol protocol, std::string_view in, const Request& r,
                  SoakReply& reply) noexcept;

}  // namespace cuckood::load::soak
