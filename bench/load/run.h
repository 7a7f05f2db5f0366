// A whole run: preload, then `threads` client threads under one shared measured window, then
// the sum.
#pragma once

#include <string>

#include "bench/load/counters.h"
#include "bench/load/histogram.h"
#include "bench/load/options.h"
#include "bench/load/server_cpu.h"

namespace cuckood::load {

struct RunResult {
  bool ok = false;
  std::string error;     // why the run could not start (connect failure...)
  Counters counters;     // the load phase
  Histogram latency;     // the load phase, nanoseconds
  double seconds = 0;    // length of the measured window
  ServerCpu server_cpu;  // over the measured window, when options.server_pids is not empty
  Counters preload;      // the preload phase (sets only)
  double preload_seconds = 0;
};

// Runs the workload described by `options`. Blocks for warm-up + duration (+ preload).
RunResult run(const Options& options);

}  // namespace cuckood::load
