// Reporting a lookup's outcome as memcached's item_get does: to clients watching fetchers and
// to -vvv's "> FOUND KEY" lines (Worker::state_trace). Internal to the command layer
// (commands.cc); the codecs never call it.
//
// Threading: called on the worker's own thread with its Worker.
#pragma once

#include <cstddef>
#include <string_view>

#include "cache/function_ref.h"
#include "proto/commands.h"
#include "proto/state_trace.h"
#include "proto/worker.h"

namespace cuckood::proto {

// Whether a lookup's outcome is wanted: by someone watching fetchers or by -vvv. One branch on
// the request path.
inline bool lookups_observed(const Worker& w) noexcept {
  return w.log.wants(kLogFetchers) | (w.state_trace != nullptr);
}

// Reports a lookup of `key` that found an item with a value of `value_size` bytes (`hit`) or
// nothing.
void observe_lookup(Worker& w, std::string_view key, bool hit, size_t value_size) noexcept;

// memcached looks a key up before it stores, deletes, increments or touches it, and reports
// that lookup: while lookups are observed, peeks at `key` and reports what it found.
void log_lookup(Worker& w, std::string_view key) noexcept;

inline size_t value_size_of(const cache::ItemView& item) noexcept {
  return item.value.size();
}
inline size_t value_size_of(const MetaGetHit& hit) noexcept {
  return hit.item.value.size();
}

// Runs `call` (a lookup through the visitor it is given) and, while lookups are observed,
// reports what it found as memcached's item_get. `Hit` is what the lookup shows a visitor: an
// ItemView (get, gat) or a MetaGetHit (mg).
template <class Hit, class Call>
bool logged_lookup(Worker& w, std::string_view key, FunctionRef<void(const Hit&)> visit,
                   Call call) noexcept {
  if (!lookups_observed(w)) return call(visit);
  if (w.state_trace != nullptr) w.state_trace->lookup_starts();
  size_t size = 0;
  auto seen = [&size, visit](const Hit& hit) {
    size = value_size_of(hit);
    visit(hit);
  };
  const bool hit = call(FunctionRef<void(const Hit&)>(seen));
  observe_lookup(w, key, hit, size);
  return hit;
}

}  // namespace cuckood::proto
