// A get, gets, gat or gats line longer than kMaxLineWithoutNewline (text_protocol.h), answered
// key by key as it arrives. memcached holds such a line whole (its multi-gets are unbounded,
// e.g. a client's get_many of thousands of keys) and builds the whole reply before sending
// any of it; here each call answers the keys its input completes and leaves a partial key
// unconsumed, so a line of any length takes bounded memory and net/'s backpressure applies to
// its reply between calls. A line that arrives whole goes through the same code, so the answer
// does not depend on how the line was split into reads.
//
// Deliberate difference: memcached voids the hits it answered before a too-long key and sends
// only "CLIENT_ERROR bad command line format"; here those hits may be sent already, so they
// stand and the error ends the reply in place of END. Shorter lines keep memcached's rule.
// Unlike memcached, which hangs up on a long gat/gats line split across reads, gat and gats are
// streamed as get and gets are.
//
// Threading: one per connection's TextProtocol, used by its worker's thread only.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/text_handlers.h"

namespace cuckood::proto::text {

class LongRetrieval {
 public:
  // Whether a line starting with `line` (complete or not) is one this class answers: after at
  // most 100 spaces (memcached's bound), "get ", "gets ", "gat " or "gats ".
  static bool matches(std::string_view line) noexcept;

  // A line is being answered: feed() takes the input until its newline is consumed.
  bool active() const noexcept { return phase_ != Phase::kIdle; }

  // Begins a line that matches(); the next feed() starts at the line's first byte.
  void start() noexcept;

  // Answers what `input` (the unconsumed bytes from where the line stands) completes, into
  // r.out / r.output, and returns the bytes consumed: complete tokens, the spaces between
  // them and, at the line's end, its newline (then active() turns false). A partial token is
  // left for the next call, unless it is already too long to be a key; so are the keys after
  // the output passed r.control.output_limit.
  size_t feed(TextRequest& r, std::string_view input) noexcept;

 private:
  enum class Phase : uint8_t { kIdle, kCommand, kExptime, kKeys, kDiscard };

  void take(TextRequest& r, std::string_view token) noexcept;
  void fail(TextRequest& r, std::string_view reply) noexcept;
  void finish(TextRequest& r) noexcept;

  Phase phase_ = Phase::kIdle;
  bool with_cas_ = false;
  bool touch_ = false;
  int32_t exptime_ = 0;
  // memcached's token count check: get/gets need a key, gat/gats an exptime (ERROR without).
  bool enough_tokens_ = false;
};

}  // namespace cuckood::proto::text
