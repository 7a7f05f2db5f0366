// libFuzzer target: arbitrary bytes into a protocol Session over our CuckooCache, as net/
// would hand them over, with a fake clock that the input moves (tests/fuzz/fuzz_input.h).
// Under ASan + UBSan it finds crashes, overreads and undefined behaviour in the text, meta and
// binary decoders; beyond that it checks two properties of every input:
//   - process() never claims more bytes than it was given;
//   - the answer does not depend on how the input was split into reads, nor on whether values
//     were copied or sent from item memory: each segment in one read into a plain string, and
//     the same bytes in chunks (the chunk size is the input's first byte) into a proto::Output
//     that sends values of kSliceFrom bytes and more as pinned slices (flattened and released
//     after every read, as net/ sends them), produce the same bytes on two identical, fresh
//     servers whose clocks move alike.
// `stats` answers carry the process's CPU time and uptime, so inputs that can ask for them
// (the text word "stats", a binary Stat opcode byte) skip the second check; so do inputs after
// which the chunked session closed on memcached's long-line rule (kMaxLineWithoutNewline), a
// rule that depends on read boundaries in memcached too.
//
// Build and run: `bash scripts/fuzz.sh [seconds]` (clang, -fsanitize=fuzzer).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cache/cuckoo_cache.h"
#include "proto/binary_header.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_server.h"

namespace {

using namespace cuckood;

// Values from this size on are sent as slices in feed_in_chunks (small, to reach the slice
// paths and the pin cap often).
constexpr size_t kSliceFrom = 2;

// -m 4 -I 64k: small limits, so that eviction and "too large" are reachable.
proto::Settings small_limits() {
  proto::Settings settings;
  settings.memory_limit = size_t{4} << 20;
  settings.max_item_size = size_t{64} << 10;
  return settings;
}

bool may_ask_for_stats(std::string_view input) {
  return input.find("stats") != std::string_view::npos ||
         input.find(static_cast<char>(proto::binary::Opcode::kStat)) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const fuzz::FuzzInput input = fuzz::parse_fuzz_input(data, size);
  const std::string whole = fuzz::FuzzServer<cache::CuckooCache>(small_limits()).feed_whole(input);
  bool closed_on_long_line = false;
  const std::string split = fuzz::FuzzServer<cache::CuckooCache>(small_limits())
                                .feed_in_chunks(input, kSliceFrom, closed_on_long_line);
  const std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (!may_ask_for_stats(raw) && !closed_on_long_line && whole != split) std::abort();
  return 0;
}
