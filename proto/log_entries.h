// The entries of memcached's live log (`watch`, proto/watch_log.h) in memcached 1.6.18's exact
// words (its logger.c), raised where memcached raises them: item_get for every lookup of a
// key by a command (stores, deletes, incr/decr and touches look first too), item_store for
// each store the cache decided on, eviction for each live item dropped to make room, and
// conn_new/conn_close from net/. Each inline entry point costs one relaxed load while nobody
// watches its kind.
//
// Threading: a LogProducer's entries from its own thread only (see watch_log.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cache/cache.h"
#include "proto/command_results.h"
#include "proto/watch_log.h"

namespace cuckood::proto {

// memcached's uriencode: every byte but [A-Za-z0-9-._~] as %XX (upper-case hex).
void append_uri_encoded(std::string& out, std::string_view bytes);

// item_get: `value_size` of the item found (ignored when not found); `fd` the client's.
void write_item_get(LogProducer& log, std::string_view key, bool found, size_t value_size,
                    int fd) noexcept;
inline void log_item_get(LogProducer& log, std::string_view key, bool found, size_t value_size,
                         int fd) noexcept {
  if (log.wants(kLogFetchers)) write_item_get(log, key, found, value_size, fd);
}

// item_store: `ttl` is the seconds the item has left (0: never expires).
void write_item_store(LogProducer& log, std::string_view key, StoreStatus status, StoreMode mode,
                      int64_t ttl, size_t value_size, int fd) noexcept;
inline void log_item_store(LogProducer& log, std::string_view key, StoreStatus status,
                           StoreMode mode, int64_t ttl, size_t value_size, int fd) noexcept {
  if (log.wants(kLogMutations)) write_item_store(log, key, status, mode, ttl, value_size, fd);
}

// How a client is connected, and why its connection closed (memcached's words).
enum class Transport : uint8_t { kLocal, kTcp, kUdp };
enum class CloseReason : uint8_t { kError, kNormal, kIdleTimeout, kShutdown };

// conn_new / conn_close: `address` is the peer's numeric address ("unix" for a unix socket),
// `port` its port (0 for a unix socket).
void write_conn_event(LogProducer& log, bool opened, std::string_view address, uint16_t port,
                      Transport transport, CloseReason reason, int fd) noexcept;

// The cache's evictions as `watch evictions` entries (through WatchLog::write_shared).
class EvictionLog final : public cache::EvictionObserver {
 public:
  explicit EvictionLog(WatchLog& log) noexcept : log_(log) {}
  bool watching() const noexcept override { return log_.wants(kLogEvictions); }
  void evicted(const cache::ItemView& item, cache::Time now) noexcept override;

 private:
  WatchLog& log_;
};

}  // namespace cuckood::proto
