// The server's statistics in the Prometheus text exposition format (version 0.0.4), under the
// metric names, types and labels that prometheus/memcached_exporter publishes for memcached
// (memcached_commands_total{command,status}, memcached_current_items, memcached_slab_*{slab},
// ...), so dashboards built on the exporter read cuckood's --metrics-port with no exporter in
// between. The figures are those `stats`, `stats settings` and `stats items` print, mapped as
// the exporter maps them (set hits are cmd_set less the cas requests, as it counts them).
// cuckood's own figures follow under cuckood_*: the key index (buckets, slots, bytes, load
// factor, doublings, growing), item memory in use and pinned by replies in flight, requests per
// worker, and the most read keys (hot_keys.h).
//
// Threading: any thread with its own Worker (a registered cache context); it reads the
// per-worker counters without writing them, so a scrape never touches the request path.
#pragma once

#include <string>

#include "proto/worker.h"

namespace cuckood::proto {

std::string prometheus_metrics(Worker& w);

}  // namespace cuckood::proto
