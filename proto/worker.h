// Everything a protocol handler needs from its worker thread, passed explicitly (no globals).
#pragma once

#include "cache/cache.h"
#include "proto/settings.h"
#include "proto/stats.h"

namespace cuckood::proto {

struct Worker {
  cache::Cache& cache;
  cache::WorkerContext& ctx;  // this thread's cache context
  const Settings& settings;
  ServerState& server;
  CommandStats& stats;  // this thread's counters
};

}  // namespace cuckood::proto
