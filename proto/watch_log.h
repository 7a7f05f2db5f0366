// memcached's live log (`watch`, its logger.c): producers raise entries (a fetch, a store, an
// eviction, a connection opened or closed) and watchers — connections that sent `watch` —
// receive those of the kinds they asked for as text lines, "ts=<sec>.<usec> gid=<n> ...\n".
//
// Cost: with no watcher of a kind attached, a producer pays one relaxed load (wants()). While
// one is, an entry takes a global id (one atomic increment, as memcached's gid), is formatted
// once and copied into one ring per watcher that asked for its kind: a ring per (producer,
// watcher) pair with a single writer and a single reader (proto/log_ring.h), so a producer
// never takes a lock and never waits for a watcher. A full ring drops the line and counts it;
// the next line that fits is preceded by memcached's "skipped=<n>" line.
//
// Producers: one per worker thread (add_producer), its only writer. Entries raised inside the
// cache on whichever thread evicts go through write_shared(), which serialises its writers
// with a mutex taken only while someone watches evictions.
//
// Watchers: attach/detach/drain run on the watching connections' threads, under the log's
// mutex (never on a producer's path). A watcher sees entries whose gid is at least the one it
// was attached at, in gid order across producers.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proto/log_ring.h"
#include "proto/stat_counter.h"

namespace cuckood::proto {

// What a watcher asks to see: memcached's LOG_* bits, named as `watch` names them.
using LogFlags = uint16_t;
inline constexpr LogFlags kLogSysEvents = 1 << 1;
inline constexpr LogFlags kLogFetchers = 1 << 2;
inline constexpr LogFlags kLogMutations = 1 << 3;
inline constexpr LogFlags kLogConnEvents = 1 << 5;
inline constexpr LogFlags kLogEvictions = 1 << 6;
inline constexpr LogFlags kLogRawCmds = 1 << 9;
inline constexpr LogFlags kLogProxyReqs = 1 << 10;
inline constexpr LogFlags kLogProxyEvents = 1 << 11;
inline constexpr LogFlags kLogProxyUser = 1 << 12;

// The flags of `watch`'s arguments (memcached's names; none = fetchers); nullopt when one is
// unknown.
std::optional<LogFlags> parse_watch_flags(std::span<const std::string_view> words) noexcept;

// Summed over producers for `stats`, under memcached's names.
struct LogStats {
  uint64_t worker_written = 0;   // entries raised while watched
  uint64_t watcher_skipped = 0;  // lines a full watcher ring could not take
  uint64_t watcher_sent = 0;     // lines handed to watchers
  uint64_t watchers = 0;         // watchers attached now
};

// memcached's WATCHER_LIMIT.
inline constexpr size_t kMaxWatchers = 20;

class WatchLog;

// One producer's side of the log. Threading: write() from its one writer thread (or under
// WatchLog's shared mutex for the shared producer); wants() from any thread.
class LogProducer {
 public:
  explicit LogProducer(WatchLog& log) noexcept : log_(log) {}
  LogProducer(const LogProducer&) = delete;
  LogProducer& operator=(const LogProducer&) = delete;

  // Whether some watcher wants entries of `flag`: one relaxed load.
  bool wants(LogFlags flag) const noexcept;

  // Hands "ts=<now> gid=<next> <body>\n" to every watcher of `flag`.
  void write(LogFlags flag, std::string_view body) noexcept;

 private:
  friend class WatchLog;
  // This producer's ring towards one watcher slot.
  struct Channel {
    std::atomic<LogRing*> ring{nullptr};  // set once, under WatchLog's mutex
    std::unique_ptr<LogRing> owned;
    // Bumped by each attach to the slot (release): a new watcher, so the skip count restarts.
    std::atomic<uint32_t> generation{0};
    uint32_t seen_generation = 0;  // writer's
    uint64_t skipped = 0;          // writer's: lines this watcher lost since its last line
  };

  WatchLog& log_;
  std::array<Channel, kMaxWatchers> channels_;
  Counter written_;
  Counter skipped_;
  Counter sent_;
};

class WatchLog {
 public:
  // A ring never shrinks below this, so that any one line fits.
  static constexpr size_t kMinRingBytes = 4096;

  WatchLog() = default;
  WatchLog(const WatchLog&) = delete;
  WatchLog& operator=(const WatchLog&) = delete;

  // A new producer (a worker thread, at start-up); the reference lives as long as the log.
  LogProducer& add_producer();

  bool wants(LogFlags flag) const noexcept {
    return (flags_.load(std::memory_order_relaxed) & flag) != 0;
  }

  // write() for entries raised outside a worker's own producer (evictions, see above).
  void write_shared(LogFlags flag, std::string_view body) noexcept;

  // A new watcher of `flags` whose rings hold `ring_bytes` each (at least kMinRingBytes); its
  // id, or nullopt when kMaxWatchers are attached.
  std::optional<size_t> attach(LogFlags flags, size_t ring_bytes);
  // The watcher is gone: its slot may be reused.
  void detach(size_t watcher) noexcept;
  // Moves whole lines for `watcher` into `out`, oldest gid first, until `max_bytes` were added
  // or none is left. Returns the bytes added.
  size_t drain(size_t watcher, std::string& out, size_t max_bytes);

  LogStats stats() const;

 private:
  friend class LogProducer;
  struct Watcher {
    bool active = false;
    uint64_t min_gid = 0;
  };
  uint64_t next_gid() noexcept { return gid_.fetch_add(1, std::memory_order_relaxed) + 1; }
  void give_ring_locked(LogProducer& producer, size_t watcher, size_t ring_bytes);
  void publish_flags_locked() noexcept;

  std::atomic<LogFlags> flags_{0};                                   // union over watchers
  std::array<std::atomic<LogFlags>, kMaxWatchers> watcher_flags_{};  // per slot, 0 = free
  std::atomic<uint64_t> gid_{0};

  mutable std::mutex mutex_;  // producers_ membership, rings' reader side, watchers_
  std::deque<LogProducer> producers_;
  std::array<Watcher, kMaxWatchers> watchers_{};
  size_t ring_bytes_ = 0;  // of the rings handed out so far

  std::mutex shared_mutex_;
  LogProducer shared_{*this};
};

}  // namespace cuckood::proto
