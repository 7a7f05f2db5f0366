// Everything a protocol handler needs from its worker thread, passed explicitly (no globals).
#pragma once

#include "cache/cache.h"
#include "proto/prefetched_keys.h"
#include "proto/settings.h"
#include "proto/stats.h"
#include "proto/watch_log.h"

namespace cuckood::proto {

class StateTrace;

struct Worker {
  cache::Cache& cache;
  cache::WorkerContext& ctx;  // this thread's cache context
  const Settings& settings;
  ServerState& server;
  CommandStats& stats;  // this thread's counters
  LogProducer& log;     // this thread's entries for `watch` (proto/log_entries.h)
  // The connection being served (its fd, memcached's connection id): the `cfd` of its log
  // entries. Set by its Session for each call.
  int client_fd = -1;
  // -vvv: the connection's trace, told of each lookup as memcached prints it
  // (proto/state_trace.h); null below verbosity 3. Set by its Session for each call.
  StateTrace* state_trace = nullptr;
  // The keys of the read being served, hashed and loading (proto::prefetch).
  PrefetchedKeys prefetched{};
};

}  // namespace cuckood::proto
