// Which keys are read most: `stats hotkeys [N]` and the cuckood_hot_key_reads metric (memcached
// has neither). Each worker samples about one get hit in kSampleEvery (the gap between samples
// varies, so a client cycling through keys does not alias with it) into a Space-Saving summary
// of kCapacity keys (Metwally, Agrawal, El Abbadi 2005): a key's count bounds its sampled reads
// from above and is exact for the keys read far more than the summary's smallest count, which
// are the ones asked for. Sampling writes only the worker's own memory, never a line another
// core reads on its request path. Every kInterval seconds of the cache clock the worker hands
// the interval's summary over to readers and starts afresh, under a mutex readers take too
// (the worker takes it once per interval, not per read). Readers merge the workers' summaries
// of the last complete interval; a worker whose last interval ended longer ago than that saw
// no sampled read since, and counts nothing.
//
// Thread-safety: sample() by the owning worker only; merge_into() from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/types.h"

namespace cuckood::proto {

class HotKeys {
 public:
  static constexpr uint32_t kSampleEvery = 16;  // mean gap between sampled reads
  static constexpr size_t kCapacity = 32;       // keys a worker's summary tracks
  static constexpr cache::Time kInterval = 10;  // seconds per summary

  // A get hit on `key` at cache time `now`.
  void sample(std::string_view key, cache::Time now) noexcept {
    if (--countdown_ != 0) return;
    countdown_ = next_gap();
    record(key, now);
  }

  // Adds the estimated reads (sampled count × kSampleEvery) of the last complete interval
  // before `now` to `into`, per key.
  void merge_into(std::unordered_map<std::string, uint64_t>& into, cache::Time now) const;

 private:
  struct Entry {
    std::string key;
    uint64_t count = 0;
  };
  void record(std::string_view key, cache::Time now);
  uint32_t next_gap() noexcept;

  uint32_t countdown_ = kSampleEvery;
  uint32_t random_ = 0x9e3779b9;  // xorshift32 state for the gaps
  cache::Time interval_start_ = 0;
  std::vector<Entry> current_;  // the owner's summary of the interval under way

  mutable std::mutex mutex_;
  std::vector<Entry> published_;   // the last complete interval's summary
  cache::Time published_end_ = 0;  // when that interval ended
};

// The `n` keys of the merged estimate with the most reads, most first (ties by key).
struct HotKey {
  std::string key;
  uint64_t reads = 0;
};
std::vector<HotKey> hottest(const std::unordered_map<std::string, uint64_t>& merged, size_t n);

}  // namespace cuckood::proto
