// Prints a RunResult for people (aligned text) or for scripts (one JSON object, stable keys:
// bench/compare.sh and tests/integration/test_load_smoke.py read it).
#pragma once

#include <string>

#include "bench/load/options.h"
#include "bench/load/run.h"

namespace cuckood::load {

std::string format_human(const Options& options, const RunResult& result);
std::string format_json(const Options& options, const RunResult& result);

}  // namespace cuckood::load
