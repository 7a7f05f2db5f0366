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
// Before the comparison, `stats` answers are masked where they legitimately differ between the
// two servers (split_rule below); every other byte is compared, unless an execution took so
// long that CuckooCache's background reclaimer may have run (fuzz_server.h). When the chunked
// session closed on memcached's long-line rule (kMaxLineWithoutNewline), a rule that depends
// on read boundaries in memcached too, the check is weaker: what it answered until then must
// be the start of the other session's answer.
//
// At exit it prints how many executions checked the property (and how many would have under
// the former rule, which skipped every input that might ask for `stats`).
//
// Build and run: `bash scripts/fuzz.sh [seconds]` (clang, -fsanitize=fuzzer).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cache/cuckoo_cache.h"
#include "proto/binary_header.h"
#include "tests/fuzz/difference.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_server.h"
#include "tests/fuzz/reply_mask.h"
#include "tests/fuzz/split_compare.h"

namespace {

using namespace cuckood;
using fuzz::StatMask;

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

// What differs between the two servers although they run the same requests:
//   rusage_user, rusage_system  the process's CPU time, read at each `stats`;
//   uptime                      the fake clock less the wall-clock second each server started;
//   bytes_read, bytes_written   counted after each read (as memcached does), so a `stats` in
//                               the middle of a read does not see that read's bytes yet;
//   total_malloced              a segment emptied by a flush, crawl or eviction counts until
//                               its grace period has ended and its last pin is gone, which
//                               the worker's quiescent points (one after each read) and the
//                               slices it sent decide.
// pid (one process) and time (the shared fake clock) are the same on both and compared.
StatMask split_rule(std::string_view name) {
  if (name == "rusage_user" || name == "rusage_system" || name == "uptime" ||
      name == "bytes_read" || name == "bytes_written" || name == "total_malloced") {
    return StatMask::kValue;
  }
  return StatMask::kKeep;
}

// The former exemption: inputs that might ask for `stats`.
bool may_ask_for_stats(std::string_view input) {
  return input.find("stats") != std::string_view::npos ||
         input.find(static_cast<char>(proto::binary::Opcode::kStat)) != std::string_view::npos;
}

// Counted per execution, printed at exit (libFuzzer exits through exit()).
struct Tally {
  size_t executions = 0;
  fuzz::AgreementCounts agreed;  // a prefix: closed on the long-line rule
  size_t clock_moved = 0;        // the input moved the clock
  size_t slow = 0;               // not compared: a server lived over a second
  size_t formerly_checked = 0;
  ~Tally() {
    const auto percent = [this](size_t count) {
      return executions == 0 ? 0.0 : 100.0 * static_cast<double>(count) / executions;
    };
    std::fprintf(stderr,
                 "session_fuzz: %zu executions; split invariance checked in %zu (%.2f%%), as a "
                 "prefix in %zu (long-line close) and %zu (watch/metadump behind pipelined "
                 "requests), not in %zu (a server lived over a second) "
                 "and %zu (input < 2 bytes); the clock moved in %zu (%.2f%%); the former rule "
                 "(no check if the input may ask for stats) would have checked %zu (%.2f%%)\n",
                 executions, agreed.equal, percent(agreed.equal), agreed.prefix, agreed.pipelined,
                 slow, executions - agreed.equal - agreed.prefix - agreed.pipelined - slow,
                 clock_moved, percent(clock_moved), formerly_checked, percent(formerly_checked));
  }
};
Tally tally;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ++tally.executions;
  if (size < 2) return 0;
  const fuzz::FuzzInput input = fuzz::parse_fuzz_input(data, size);
  fuzz::FuzzServer<cache::CuckooCache> whole_server(small_limits());
  const std::string whole = whole_server.feed_whole(input);
  fuzz::FuzzServer<cache::CuckooCache> split_server(small_limits());
  bool closed_on_long_line = false;
  const std::string split = split_server.feed_in_chunks(input, kSliceFrom, closed_on_long_line);
  fuzz::show_reply("whole", whole);
  fuzz::show_reply("chunked", split);
  if (input.clock_moves) ++tally.clock_moved;
  if (whole_server.background_pass_possible() || split_server.background_pass_possible()) {
    ++tally.slow;  // answers may differ by the background reclaimer (fuzz_server.h)
    return 0;
  }
  const std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  const fuzz::Agreement agreement =
      fuzz::compare_with_reference(whole, split, input.binary(), closed_on_long_line, split_rule);
  if (agreement == fuzz::Agreement::kEqual && !may_ask_for_stats(raw)) ++tally.formerly_checked;
  if (tally.agreed.add(agreement)) return 0;
  fuzz::abort_on_difference(
      closed_on_long_line ? "split invariance (prefix, long-line close)" : "split invariance",
      whole, split, input.binary(), split_rule);
}
