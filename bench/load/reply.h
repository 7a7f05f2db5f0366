// What a protocol client makes of one response, shared by the text and binary clients.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cuckood::load {

enum class ReplyKind : uint8_t {
  kHit,        // get found the key; Reply::value is its data
  kMiss,       // get: no such key
  kStored,     // set succeeded
  kNotStored,  // set refused without an error (NOT_STORED, EXISTS, NOT_FOUND)
  kError,      // ERROR / CLIENT_ERROR / SERVER_ERROR, or a binary error status
};

enum class ParseStatus : uint8_t {
  kComplete,  // one response decoded into Reply
  kNeedMore,  // the input holds only part of the next response
  kInvalid,   // not a well-formed response to the request we sent: the stream is unusable
};

// value views the parser's input: valid until the caller consumes those bytes.
struct Reply {
  ReplyKind kind = ReplyKind::kError;
  std::string_view value;
  size_t consumed = 0;  // bytes of input this response occupied
};

// The request a response is matched against: responses arrive in request order.
struct Expected {
  bool is_get;
  std::string_view key;
  uint32_t opaque;  // binary protocol only: echoed by the server, checked on the way back
};

}  // namespace cuckood::load
