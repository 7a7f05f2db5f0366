// memcached's text protocol (classic and meta commands): frames the input into command lines
// and data blocks, hands each line to its handler (proto/text_handlers.h, one table from
// command name to handler) and appends the text responses.
//
// Resumable: a Session presents the unconsumed input again with more bytes appended, so the
// codec remembers only what spares it rescanning — how far a partial line is known to hold no
// newline, how many bytes a storage command waits for, how many refused bytes are still to be
// swallowed, where a long retrieval line answered in parts stands. A value is never buffered
// here; it is a view into the input once complete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/output.h"
#include "proto/session_control.h"
#include "proto/text_long_retrieval.h"
#include "proto/worker.h"

namespace cuckood::proto {

class RequestLog;

// memcached closes a connection whose buffered input holds more than this many bytes without a
// newline, unless the line is a multi-get (which may legitimately be long); no reply is sent.
// Like memcached's, the rule depends on how the bytes arrived: a longer line that comes whole
// with its newline in one read is answered as a command. A longer get/gets/gat/gats line is
// answered as it arrives (proto/text_long_retrieval.h).
inline constexpr size_t kMaxLineWithoutNewline = 2048;

class TextProtocol {
 public:
  // Same contract as Session::process.
  size_t process(Worker& w, std::string_view input, Output& output, SessionControl& control,
                 RequestLog* log) noexcept;

  // A refused value's bytes are still being discarded.
  bool swallowing() const noexcept { return swallow_ > 0; }

 private:
  // Bytes of a refused (too large) value still to discard as they arrive.
  uint64_t swallow_ = 0;
  // A storage command line whose value is incomplete is left unconsumed; this is how many
  // bytes (line + value + "\r\n") it needs, so that a call with fewer returns at once.
  size_t waiting_for_ = 0;
  // Bytes at the front of the unconsumed input already known to contain no '\n'.
  size_t scanned_ = 0;
  // A long retrieval line partly answered: the input continues inside it.
  text::LongRetrieval long_retrieval_;
};

}  // namespace cuckood::proto
