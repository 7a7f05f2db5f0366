// Reporting lookups as memcached's item_get: see lookup_log.h.
#include "proto/lookup_log.h"

#include "proto/log_entries.h"

namespace cuckood::proto {

void observe_lookup(Worker& w, std::string_view key, bool hit, size_t value_size) noexcept {
  if (w.log.wants(kLogFetchers)) write_item_get(w.log, key, hit, value_size, w.client_fd);
  if (w.state_trace != nullptr) w.state_trace->looked_up(key, hit);
}

void log_lookup(Worker& w, std::string_view key) noexcept {
  if (!lookups_observed(w)) return;
  size_t size = 0;
  const bool hit = w.cache.peek(w.ctx, w.cache.hash(key),
                                [&size](const cache::ItemView& item) { size = item.value.size(); });
  observe_lookup(w, key, hit, size);
}

}  // namespace cuckood::proto
