// How a fuzz target's reference answer (each segment in one read, tests/fuzz/fuzz_server.h)
// and the same input's answer fed another way (in chunks, through net/'s Connection) must
// agree. `stats` answers are masked where they legitimately differ (a StatRule, reply_mask.h);
// every other byte is compared. Two rules of memcached's depend on read boundaries, so where
// they apply the check is weaker:
//   - a line too long to wait for closes the connection only when it arrives without its
//     newline: when the other side stopped early, its answer must be the start of the
//     reference's;
//   - `watch` and `lru_crawler metadump` are refused while other replies are unsent: the two
//     answers must agree up to such a refusal (also when the side that ran it then closed).
#pragma once

#include <cstddef>
#include <string_view>

#include "tests/fuzz/reply_mask.h"

namespace cuckood::fuzz {

enum class Agreement {
  kEqual,                  // byte for byte, after masking
  kPrefix,                 // the other side stopped early, and its answer starts the reference's
  kRefusedBehindPipeline,  // equal up to a watch/metadump refusal
  kDiffer,                 // a finding
};

// How often each agreement was seen, for a target's report at exit.
struct AgreementCounts {
  size_t equal = 0;
  size_t prefix = 0;
  size_t pipelined = 0;

  // Counts `agreement`; false for kDiffer (a finding).
  bool add(Agreement agreement) noexcept;
};

// `other_stopped`: the other side closed before the input ended, on a rule that depends on
// read boundaries; `binary`: the session spoke the binary protocol.
Agreement compare_with_reference(std::string_view reference, std::string_view other, bool binary,
                                 bool other_stopped, StatRule rule);

// Prints the masked answers where they part (difference.h) and aborts: a finding.
[[noreturn]] void abort_on_difference(std::string_view what, std::string_view reference,
                                      std::string_view other, bool binary, StatRule rule);

}  // namespace cuckood::fuzz
