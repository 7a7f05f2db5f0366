// Prints a bigmem run (bench/load/bigmem_run.h) for people or as one JSON object (stable keys:
// bench/bigmem.sh and tests/integration/test_bigmem.py read it), with the per-window rates and
// how far the slowest window falls below the median.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/load/bigmem_run.h"
#include "bench/load/options.h"

namespace cuckood::load::bigmem {

// Rates (records/s) over the whole windows: the last window is partial and left out, unless
// it is the only one.
struct WindowSummary {
  double median = 0;
  double slowest = 0;
  double ratio = 0;  // slowest / median (0 without windows)
};
WindowSummary summarize(const std::vector<uint64_t>& windows, double window_seconds);

std::string format_human(const Options& options, const Result& result);
std::string format_json(const Options& options, const Result& result);

}  // namespace cuckood::load::bigmem
