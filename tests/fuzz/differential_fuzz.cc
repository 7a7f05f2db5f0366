// libFuzzer target: the same input (tests/fuzz/fuzz_input.h, the corpus of session_fuzz) into a
// Session over CuckooCache, the cache the server ships, and a Session over LibcuckooCache, the
// oracle; both fed alike (the same reads, the same clock moves, values of kSliceFrom bytes and
// more sent as slices where the cache pins them). Their replies must be equal once what
// legitimately differs between the two caches is presented alike or masked:
//   - in the caches (comparable_cache.h): cas uniques renamed in order of first appearance;
//     the oracle's largest value set to the shipped cache's (item headers differ in size); the
//     oracle's peek (`me`) takes back a dead item as CuckooCache's does;
//   - in `stats` answers (implementation_rule below);
//   - one known difference of delayed flush_all (comparable_cache.h: the items it brings back
//     when it replaces a flush in force): replies are compared up to the read in which the
//     caches part.
// Eviction would be a legitimate difference too (the oracle never evicts), so -m is large
// enough that an input of at most 4 KiB cannot fill it; the target aborts if the shipped cache
// evicted after all, since the comparison would then be void. Executions so slow that
// CuckooCache's background reclaimer may have run are not compared (fuzz_server.h).
//
// Build and run: `bash scripts/fuzz.sh [seconds]` (clang, -fsanitize=fuzzer).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cache/baseline/libcuckoo_cache.h"
#include "cache/cuckoo_cache.h"
#include "tests/fuzz/comparable_cache.h"
#include "tests/fuzz/difference.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_server.h"
#include "tests/fuzz/reply_mask.h"

namespace {

using namespace cuckood;
using fuzz::StatMask;

constexpr size_t kSliceFrom = 2;

// -m 64: an input writes less than 1 MiB of items (each request at most one item of at most
// -I; superseded copies stay in CuckooCache's log until their segment is reused) and opens at
// most one fresh segment per immediate flush_all (fewer than 410 in 4 KiB), while -m 64 holds
// 1024 segments: no eviction. -I 2k: "too large" stays reachable, by a value or by appends.
proto::Settings limits() {
  proto::Settings settings;
  settings.memory_limit = size_t{64} << 20;
  settings.max_item_size = size_t{2} << 10;
  return settings;
}

// What differs between the two caches although they run the same requests:
//   rusage_user, rusage_system, uptime  CPU time and wall-clock start (as in session_fuzz);
//   bytes, items:1:mem_requested        each cache counts its own item header in an item's size;
//   bytes_written                       counts the answers before, masked figures included, whose
//                                       lengths differ (`bytes 72` vs `bytes 136`);
//   get_expired, get_flushed            the oracle's reads do not say why they missed;
//   curr_items, reclaimed, expired_unfetched
//                                       CuckooCache takes dead items back when it reuses their
//                                       segment, the oracle only when a request meets them;
//   hash_power_level, hash_bytes, stats index's index_*
//                                       each cache's own index;
//   stats items / stats slabs           the oracle keeps no per-class figures.
StatMask implementation_rule(std::string_view name) {
  if (name == "rusage_user" || name == "rusage_system" || name == "uptime" || name == "bytes" ||
      name == "bytes_written" || name == "get_expired" || name == "get_flushed" ||
      name == "hash_power_level" || name == "hash_bytes" || name == "curr_items" ||
      name == "reclaimed" || name == "expired_unfetched" || name.starts_with("index_")) {
    return StatMask::kValue;
  }
  // Per-class groups: "items:<class>:<figure>" and "<class>:<figure>", plus the slab totals.
  if (name.starts_with("items:") || (!name.empty() && name.front() >= '0' && name.front() <= '9') ||
      name == "active_slabs" || name == "total_malloced") {
    return StatMask::kDrop;
  }
  return StatMask::kKeep;
}

struct Tally {
  size_t executions = 0;
  size_t compared = 0;
  size_t cut = 0;  // compared up to a known difference of delayed flush_all
  size_t clock_moved = 0;
  size_t slow = 0;  // not compared: CuckooCache lived over a second
  ~Tally() {
    const auto percent = [this](size_t count) {
      return executions == 0 ? 0.0 : 100.0 * static_cast<double>(count) / executions;
    };
    std::fprintf(stderr,
                 "differential_fuzz: %zu executions; CuckooCache and LibcuckooCache compared in "
                 "%zu (%.2f%%), %zu of them (%.2f%%) only up to a known difference of delayed "
                 "flush_all; not compared in %zu (CuckooCache lived over a second); the clock "
                 "moved in %zu (%.2f%%)\n",
                 executions, compared, percent(compared), cut, percent(cut), slow, clock_moved,
                 percent(clock_moved));
  }
};
Tally tally;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ++tally.executions;
  if (size < 2) return 0;
  const fuzz::FuzzInput input = fuzz::parse_fuzz_input(data, size);
  bool shipped_closed = false;
  bool oracle_closed = false;
  fuzz::FuzzServer<fuzz::ComparableCache<cache::CuckooCache>> shipped_server(limits());
  std::string shipped = shipped_server.feed_in_chunks(input, kSliceFrom, shipped_closed);
  fuzz::FuzzServer<fuzz::ComparableCache<cache::LibcuckooCache>> oracle_server(limits());
  std::string oracle = oracle_server.feed_in_chunks(input, kSliceFrom, oracle_closed);
  fuzz::show_reply("CuckooCache", shipped);
  fuzz::show_reply("LibcuckooCache", oracle);
  if (shipped_server.cache().stats().evictions != 0) {
    std::fprintf(stderr, "differential_fuzz: CuckooCache evicted: -m is too small\n");
    std::abort();
  }
  if (input.clock_moves) ++tally.clock_moved;
  if (shipped_server.background_pass_possible()) {
    ++tally.slow;  // answers may differ by the background reclaimer (fuzz_server.h)
    return 0;
  }
  ++tally.compared;
  // Both caches saw the same calls, so both cut after the same read (at their own byte count:
  // masked figures may differ in length).
  if (shipped_server.comparable_size() != std::string::npos) {
    ++tally.cut;
    shipped.resize(shipped_server.comparable_size());
    oracle.resize(std::min(oracle.size(), oracle_server.comparable_size()));
  }
  if (shipped == oracle) return 0;
  const std::string masked_shipped = fuzz::mask_stats(shipped, input.binary(), implementation_rule);
  const std::string masked_oracle = fuzz::mask_stats(oracle, input.binary(), implementation_rule);
  if (masked_shipped == masked_oracle) return 0;
  fuzz::print_difference("CuckooCache = LibcuckooCache", "CuckooCache", masked_shipped,
                         "LibcuckooCache", masked_oracle);
  std::abort();
}
