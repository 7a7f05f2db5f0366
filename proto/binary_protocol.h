// memcached's binary protocol: decodes every complete request packet in the input, runs it
// through the command layer (proto/commands.h) and appends the response packets in request
// order. The opcode table, the per-opcode shape checks and the handlers live in
// binary_protocol.cc; the wire layout in binary_header.h; response shapes in binary_replies.h.
//
// Connection behaviour follows memcached 1.6.18: a malformed header (bad magic, key + extras
// longer than the body, a key over 250 bytes, extras/key/value lengths wrong for the opcode)
// is answered (bad magic: not answered) and the connection closed; an unknown opcode is
// answered with 0x81 and its body skipped; a value too large for the item limit is refused
// with 0x03 as soon as its key has arrived and its bytes are discarded as they come, never
// buffered. Under -S a connection must authenticate by SASL first (proto/binary_sasl.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/binary_header.h"
#include "proto/binary_sasl.h"
#include "proto/output.h"
#include "proto/session_control.h"
#include "proto/worker.h"

namespace cuckood::proto {

class RequestLog;

namespace binary {
// Whether the opcode's request names a key the cache looks up (every keyed command but SASL's,
// whose key is a mechanism): what the pre-scan of a read's requests takes
// (proto/request_keys.h).
bool looks_up_key(Opcode opcode) noexcept;
}  // namespace binary

class BinaryProtocol {
 public:
  // Same contract as Session::process.
  size_t process(Worker& w, std::string_view input, Output& output, SessionControl& control,
                 RequestLog* log) noexcept;

  // A refused request's body is still being discarded.
  bool swallowing() const noexcept { return swallow_ != 0; }

 private:
  // Decodes the packet at the front of `input` (at least a header), answers it when it is
  // complete or can be refused early. Returns the bytes consumed, 0 when more are needed
  // (control.bytes_wanted then says how many in all).
  size_t dispatch(Worker& w, const binary::RequestHeader& header, std::string_view input,
                  Output& output, SessionControl& control) noexcept;

  // Bytes of a refused or unknown request's body still to discard as they arrive.
  uint64_t swallow_ = 0;
  BinarySasl sasl_;
};

}  // namespace cuckood::proto
