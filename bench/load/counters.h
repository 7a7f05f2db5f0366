// What a run counts, per client thread while it runs and summed afterwards.
#pragma once

#include <cstdint>

namespace cuckood::load {

struct Counters {
  uint64_t requests = 0;  // responses received in the measured window
  uint64_t gets = 0;
  uint64_t sets = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t not_stored = 0;       // NOT_STORED/EXISTS/NOT_FOUND: refused, not an error
  uint64_t server_errors = 0;    // ERROR, CLIENT_ERROR, SERVER_ERROR or a binary error status
  uint64_t protocol_errors = 0;  // a response we could not parse or match: connection dropped
  uint64_t disconnects = 0;      // the server closed a connection (or it failed) mid-run
  uint64_t timeouts = 0;         // requests still unanswered when the drain period ended
  uint64_t mismatches = 0;       // values read back that are not what was written for the key

  uint64_t errors() const noexcept {
    return server_errors + protocol_errors + disconnects + timeouts;
  }

  void add(const Counters& o) noexcept {
    requests += o.requests;
    gets += o.gets;
    sets += o.sets;
    hits += o.hits;
    misses += o.misses;
    not_stored += o.not_stored;
    server_errors += o.server_errors;
    protocol_errors += o.protocol_errors;
    disconnects += o.disconnects;
    timeouts += o.timeouts;
    mismatches += o.mismatches;
  }
};

}  // namespace cuckood::load
