// Statistics of the protocol layer. Counters are per worker thread and written only by their
// owner (a relaxed load + store, never a shared read-modify-write); `stats` sums them on demand.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <deque>
#include <mutex>
#include <vector>

#include "proto/auth_file.h"
#include "proto/certificate_reloader.h"
#include "proto/connection_directory.h"
#include "proto/detail_stats.h"
#include "proto/hot_keys.h"
#include "proto/sasl.h"
#include "proto/server_clock.h"
#include "proto/settings.h"
#include "proto/stat_counter.h"
#include "proto/watch_log.h"

namespace cuckood::proto {

// X-macro: one list drives the struct, the sum and the `stats` output in the same order
// (memcached's). One group of counters per line (clang-format would run them together).
// cmd_meta counts `me` only, as memcached 1.6.18 does; auth_cmds/auth_errors count -Y
// and -S authentication attempts and failures (proto/text_auth.h, proto/binary_sasl.h).
// clang-format off
// get_expired and get_flushed, which memcached prints between the two groups, are the cache's
// (CacheStats::found_expired, found_flushed): only the cache sees why a key was missing.
#define CUCKOOD_GET_COUNTERS(X)                                             \
  X(cmd_get) X(cmd_set) X(cmd_flush) X(cmd_touch) X(cmd_meta)               \
  X(get_hits) X(get_misses)
#define CUCKOOD_UPDATE_COUNTERS(X)                                          \
  X(delete_misses) X(delete_hits) X(incr_misses) X(incr_hits)               \
  X(decr_misses) X(decr_hits) X(cas_misses) X(cas_hits) X(cas_badval)       \
  X(touch_hits) X(touch_misses) X(store_too_large) X(store_no_memory)       \
  X(auth_cmds) X(auth_errors) X(bytes_read) X(bytes_written)
#define CUCKOOD_COMMAND_COUNTERS(X) CUCKOOD_GET_COUNTERS(X) CUCKOOD_UPDATE_COUNTERS(X)
// Counters of net/'s connection handling, summed and reset with the others but printed where
// memcached prints them: idle_kicks (-o idle_timeout closed an idle client) before bytes_read,
// conn_yields (-R: a connection stopped for others with requests left) after threads,
// ssl_handshake_errors (-Z: a TLS handshake failed) and ssl_new_sessions (-o
// ssl_session_cache: a session was cached) after the watchers' figures.
#define CUCKOOD_CONNECTION_COUNTERS(X) \
  X(idle_kicks) X(conn_yields) X(ssl_handshake_errors) X(ssl_new_sessions)
// clang-format on

// One per worker, cache-line aligned so that two workers never share a line.
struct alignas(64) CommandStats {
#define CUCKOOD_DECLARE_COUNTER(name) Counter name;
  CUCKOOD_COMMAND_COUNTERS(CUCKOOD_DECLARE_COUNTER)
  CUCKOOD_CONNECTION_COUNTERS(CUCKOOD_DECLARE_COUNTER)
#undef CUCKOOD_DECLARE_COUNTER
  DetailStats detail;  // `stats detail`, while it is on
  HotKeys hot_keys;    // `stats hotkeys`
};

// Settings the text protocol changes at run time (memcached keeps them in its settings):
// start values from Settings (apply()), then read and written by any worker.
struct RuntimeSettings {
  std::atomic<bool> detail_enabled{false};  // stats detail on|off
  std::atomic<bool> lru_crawler{true};      // lru_crawler enable|disable
  std::atomic<uint32_t> lru_crawler_sleep{100};
  std::atomic<uint32_t> lru_crawler_tocrawl{0};
  // The last flush_all's cutoff, memcached's oldest_live as Unix time (0: none).
  std::atomic<int64_t> oldest_live{0};

  void apply(const Settings& s) noexcept {
    detail_enabled.store(s.detail_enabled, std::memory_order_relaxed);
    lru_crawler.store(s.lru_crawler, std::memory_order_relaxed);
    lru_crawler_sleep.store(s.lru_crawler_sleep, std::memory_order_relaxed);
    lru_crawler_tocrawl.store(s.lru_crawler_tocrawl, std::memory_order_relaxed);
  }
};

// Process-wide state shared by every worker: connection counts (touched on accept and close,
// not per request), the registry of per-worker counters, and requests that stop the server.
class ServerState {
 public:
  // `started`: when the server started, on the clock the cache reads (tests give a fake one).
  explicit ServerState(std::time_t started = std::time(nullptr)) : started_(started) {}

  // Adds a worker's counters; called at start-up, before requests flow. The reference stays
  // valid for the life of the ServerState.
  CommandStats& add_worker() {
    std::lock_guard lock(mutex_);
    return workers_.emplace_back();
  }
  template <class F>
  void for_each_worker(F&& f) const {
    std::lock_guard lock(mutex_);
    for (const CommandStats& w : workers_) f(w);
  }
  template <class F>
  void for_each_worker(F&& f) {
    std::lock_guard lock(mutex_);
    for (CommandStats& w : workers_) f(w);
  }

  std::time_t started() const noexcept { return started_; }
  // memcached's process_started, which it sets ITEM_UPDATE_INTERVAL + 2 seconds before it
  // really started: the base of its relative times (oldest_live; absolute times before it).
  std::time_t memcached_process_started() const noexcept { return started_ - 62; }

  std::atomic<uint64_t> curr_connections{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  // Accepting paused for want of descriptors or memory (memcached's listen_disabled): how
  // often, for how long in all (added when it resumes), and how many workers are paused now.
  std::atomic<uint64_t> listen_disabled_num{0};
  std::atomic<uint64_t> time_in_listen_disabled_us{0};
  std::atomic<uint32_t> workers_not_accepting{0};
  // `stats conns`' source, set by net/ while it serves; null before and after.
  std::atomic<const ConnectionDirectory*> connections{nullptr};
  WatchLog watch_log;  // `watch`
  // The cache's cumulative counters (they only grow) as they stood at the last `stats reset`,
  // which memcached zeroes: `stats` reports what was counted since.
  // Per size class, the cumulative ClassStats figures; the totals are their sums. Guarded by
  // reset_mutex.
  struct ClassCountersAtReset {
    uint64_t evicted = 0, evicted_nonzero = 0, evicted_unfetched = 0, expired_unfetched = 0;
    uint64_t reclaimed = 0, crawler_reclaimed = 0, crawler_items_checked = 0, outofmemory = 0;
  };
  struct CacheCountersAtReset {
    uint64_t total_items = 0;
    uint64_t found_flushed = 0;
    uint64_t found_expired = 0;
    std::vector<ClassCountersAtReset> classes;
  } cache_at_reset;
  mutable std::mutex reset_mutex;
  RuntimeSettings runtime;
  std::atomic<uint64_t> lru_crawler_starts{0};
  std::atomic<int> verbosity{0};
  std::atomic<bool> shutdown_requested{false};
  ServerClock clock;   // the cache's clock (CacheConfig::clock), moved by `debugtime`
  AuthFile auth_file;  // -Y's credentials, reloaded on SIGHUP
  // -S's mechanisms (proto/sasl.h), set before workers serve; null: no SASL exchange opens.
  SaslServer* sasl = nullptr;
  // -Z's context, set before workers serve; null: TLS is off. And when its certificates were
  // last loaded (server clock), for `stats`.
  CertificateReloader* certificates = nullptr;
  std::atomic<uint32_t> certificates_loaded_at{0};

 private:
  mutable std::mutex mutex_;
  std::deque<CommandStats> workers_;  // deque: references stay valid as workers are added
  std::time_t started_;
};

}  // namespace cuckood::proto
