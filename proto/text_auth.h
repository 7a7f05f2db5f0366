// memcached's -Y gate in front of the text protocol (proto_text.c, try_read_command_asciiauth):
// until a connection authenticates, the only request it may send is
//   set <any key> <any flags> <any exptime> <bytes>\r\n<user> <password>\r\n
// answered STORED when the pair is in the -Y file (the connection is then served as any
// other), else CLIENT_ERROR authentication failure; any other line is answered
// CLIENT_ERROR unauthenticated and nothing is done.
//
// Resumable like the codecs: a Session presents the unconsumed input again with more bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/output.h"
#include "proto/session_control.h"
#include "proto/worker.h"

namespace cuckood::proto {

class TextAuth {
 public:
  // A credentials block longer than this cannot match a -Y entry (memcached reads at most 256
  // bytes per line); it is discarded as it arrives instead of being buffered.
  static constexpr size_t kMaxCredentials = 1024;

  // Consumes at most one authentication request at the front of `input` and answers it;
  // returns the bytes consumed (0: incomplete, with control.bytes_wanted set when the length
  // is known). Sets `authenticated` on success.
  size_t process(Worker& w, std::string_view input, Output& output, SessionControl& control,
                 bool& authenticated) noexcept;

 private:
  // Bytes of an over-long credentials block still to discard.
  uint64_t discard_ = 0;
};

}  // namespace cuckood::proto
