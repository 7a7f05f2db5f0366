// Runs the bigmem workload (bench/load/bigmem_records.h) against one server and verifies a
// sample of keys afterwards.
//
// Each connection is one lane; a thread drives its connections in turns: it sends a batch of
// up to --depth records on each, then reads each batch's replies (blocking sockets, so a slow
// server slows the generator instead of piling up requests). Records acknowledged are counted
// per 0.5-s window from the start of the load, so stalls (a table doubling, a compaction) show
// as slow windows. Modes: classic (`set` for a key's first record, `append` after) and meta
// (`ms <key> 16 MA N0` for every record: append-or-create in one request).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/load/options.h"

namespace cuckood::load::bigmem {

constexpr double kWindowSeconds = 0.5;

struct Result {
  bool ok = false;
  std::string error;              // why the run stopped (connect failure, connection lost)
  uint64_t stored = 0;            // records the server acknowledged
  uint64_t failed = 0;            // records answered with anything else
  std::string first_failure;      // the first such answer
  uint64_t keys_written = 0;      // keys with at least one record
  double seconds = 0;             // from the first request to the last reply
  std::vector<uint64_t> windows;  // records acknowledged per kWindowSeconds, the last partial
  // Verification of the sampled keys (bench/load/bigmem_records.h: Check).
  uint64_t verified = 0;
  uint64_t matched = 0;
  uint64_t missing = 0;
  uint64_t unexpected = 0;
  uint64_t wrong = 0;
};

// Blocks until every record is answered and the sample is checked. Uses options.servers[0],
// threads, connections (lanes), depth, keys, records, bigmem_mode, verify and seed.
Result run(const Options& options);

}  // namespace cuckood::load::bigmem
