// libFuzzer target: arbitrary bytes into a protocol Session over our CuckooCache, as net/
// would hand them over. Under ASan + UBSan it finds crashes, overreads and undefined behaviour
// in the text, meta and binary decoders; beyond that it checks two properties of every input:
//   - process() never claims more bytes than it was given;
//   - the answer does not depend on how the input was split into reads, nor on whether values
//     were copied or sent from item memory: the whole input at once into a plain string, and
//     the same bytes in chunks (the chunk size is the input's first byte) into a proto::Output
//     that sends values of kSliceFrom bytes and more as pinned slices (flattened and released
//     after every read, as net/ sends them), produce the same bytes on two identical, fresh
//     servers.
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

#include "proto/binary_header.h"
#include "proto/output.h"
#include "proto/session.h"
#include "proto/text_protocol.h"
#include "tests/proto/worker_fixture.h"

namespace {

using namespace cuckood;

// Values from this size on are sent as slices in feed_in_chunks (small, to reach the slice
// paths and the pin cap often).
constexpr size_t kSliceFrom = 2;

void check_consumed(size_t consumed, size_t offered) {
  if (consumed > offered) std::abort();
}

// -m 4 -I 64k: small limits, so that eviction and "too large" are reachable.
proto::Settings small_limits() {
  proto::Settings settings;
  settings.memory_limit = size_t{4} << 20;
  settings.max_item_size = size_t{64} << 10;
  return settings;
}

// A fresh single-worker server.
class Server {
 public:
  Server() : fixture_(small_limits(), /*hash_seed=*/7), session_(fixture_.worker()) {}

  // The whole input in one read, every value copied; returns everything it answered.
  std::string feed_whole(std::string_view input) {
    std::string output;
    check_consumed(session_.process(input, output), input.size());
    return output;
  }

  // `input` in reads of `chunk` bytes, keeping what process() leaves unconsumed, until the
  // input ends or the session asks to close; large values go out as slices.
  // `closed_on_long_line` tells whether it closed holding a line too long to wait for.
  std::string feed_in_chunks(std::string_view input, size_t chunk, bool& closed_on_long_line) {
    std::string pending;
    std::string sent;
    proto::Output output;
    output.enable_slices(fixture_.cache(), fixture_.ctx(), kSliceFrom);
    for (size_t pos = 0; pos < input.size() && !session_.should_close(); pos += chunk) {
      pending.append(input.substr(pos, chunk));
      const size_t consumed = session_.process(pending, output);
      check_consumed(consumed, pending.size());
      pending.erase(0, consumed);
      sent += output.flatten();
      output.clear();  // unpins, as a completed send does
      fixture_.quiescent();
    }
    closed_on_long_line = session_.should_close() &&
                          pending.size() > proto::kMaxLineWithoutNewline &&
                          pending.find('\n') == std::string::npos;
    return sent;
  }

 private:
  proto::testing::WorkerFixture<> fixture_;  // its clock stays at kStartTime
  proto::Session session_;
};

bool may_ask_for_stats(std::string_view input) {
  return input.find("stats") != std::string_view::npos ||
         input.find(static_cast<char>(proto::binary::Opcode::kStat)) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t chunk = data[0] == 0 ? 1 : data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string whole = Server().feed_whole(input);
  bool closed_on_long_line = false;
  const std::string split = Server().feed_in_chunks(input, chunk, closed_on_long_line);
  if (!may_ask_for_stats(input) && !closed_on_long_line && whole != split) std::abort();
  return 0;
}
