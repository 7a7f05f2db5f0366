// The soak workload (--workload soak): --connections client slots, one thread each, half
// speaking text and half binary, run mixed verified operations for --duration seconds
// (soak_client.h). Shared keys are 's' + --keys numbers with --value-size values.
#pragma once

#include <string>

#include "bench/load/options.h"
#include "bench/load/soak_client.h"

namespace cuckood::load::soak {

struct SoakResult {
  double seconds = 0;
  SoakCounters counters;

  // Anything wrong read back, or any error: the soak fails.
  bool failed() const noexcept;
};

SoakResult run(const Options& o);

// A short table: operations by type, verified reads, misses, wrong values, errors, reconnects.
std::string format_table(const SoakResult& r);

}  // namespace cuckood::load::soak
