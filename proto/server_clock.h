// The server's clock: wall-clock Unix seconds, which `debugtime` (allowed only with
// --debug-time, a test aid like memcached-debug's command of that name) may shift forward or
// backward, pause and resume, so that tests of expiry, delayed flush and last access move time
// instead of sleeping. Every worker's cache context reads it through CacheConfig::clock.
//
// Threading: now() from any thread; the debugtime operations are rare and may race each
// other only as two clients racing to move a clock would.
#pragma once

#include <atomic>
#include <cstdint>

#include "cache/cache.h"

namespace cuckood::proto {

class ServerClock {
 public:
  cache::Time now() const noexcept {
    const int64_t paused = paused_at_.load(std::memory_order_relaxed);
    if (paused != 0) return static_cast<cache::Time>(paused);
    return static_cast<cache::Time>(cache::wall_clock_now() +
                                    offset_.load(std::memory_order_relaxed));
  }
  void shift(int64_t seconds) noexcept {
    const int64_t paused = paused_at_.load(std::memory_order_relaxed);
    if (paused != 0) {
      paused_at_.store(paused + seconds, std::memory_order_relaxed);
    } else {
      offset_.fetch_add(seconds, std::memory_order_relaxed);
    }
  }
  // Time stands still until resume(), then runs on from where it stood.
  void pause() noexcept {
    if (paused_at_.load(std::memory_order_relaxed) == 0) {
      paused_at_.store(now(), std::memory_order_relaxed);
    }
  }
  void resume() noexcept {
    const int64_t paused = paused_at_.load(std::memory_order_relaxed);
    if (paused == 0) return;
    offset_.store(paused - cache::wall_clock_now(), std::memory_order_relaxed);
    paused_at_.store(0, std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> offset_{0};     // seconds added to the wall clock
  std::atomic<int64_t> paused_at_{0};  // the time while paused, 0 = running
};

}  // namespace cuckood::proto
