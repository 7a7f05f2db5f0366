// See watch_log.h.
#include "proto/watch_log.h"

#include <sys/time.h>

#include <cinttypes>
#include <cstdio>

namespace cuckood::proto {

namespace {

struct FlagName {
  std::string_view name;
  LogFlags flag;
};

// memcached 1.6.18's process_watch_command.
constexpr FlagName kFlagNames[] = {
    {"rawcmds", kLogRawCmds},     {"evictions", kLogEvictions},     {"fetchers", kLogFetchers},
    {"mutations", kLogMutations}, {"sysevents", kLogSysEvents},     {"connevents", kLogConnEvents},
    {"proxyreqs", kLogProxyReqs}, {"proxyevents", kLogProxyEvents}, {"proxyuser", kLogProxyUser},
};

}  // namespace

std::optional<LogFlags> parse_watch_flags(std::span<const std::string_view> words) noexcept {
  if (words.empty()) return kLogFetchers;
  LogFlags flags = 0;
  for (const std::string_view word : words) {
    bool known = false;
    for (const FlagName& f : kFlagNames) {
      if (f.name == word) {
        flags |= f.flag;
        known = true;
      }
    }
    if (!known) return std::nullopt;
  }
  return flags;
}

bool LogProducer::wants(LogFlags flag) const noexcept {
  return log_.wants(flag);
}

void LogProducer::write(LogFlags flag, std::string_view body) noexcept {
  const uint64_t gid = log_.next_gid();
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  // memcached prints the microseconds without zero padding; so do we.
  char prefix[64];
  const int n = std::snprintf(prefix, sizeof(prefix), "ts=%lld.%d gid=%" PRIu64 " ",
                              static_cast<long long>(tv.tv_sec), static_cast<int>(tv.tv_usec), gid);
  const std::string_view head(prefix, static_cast<size_t>(n));
  const size_t line = head.size() + body.size() + 1;
  written_.add();
  for (size_t w = 0; w < kMaxWatchers; ++w) {
    if ((log_.watcher_flags_[w].load(std::memory_order_acquire) & flag) == 0) continue;
    Channel& c = channels_[w];
    LogRing* ring = c.ring.load(std::memory_order_acquire);
    if (ring == nullptr) continue;
    const uint32_t generation = c.generation.load(std::memory_order_acquire);
    if (generation != c.seen_generation) {
      c.seen_generation = generation;
      c.skipped = 0;
    }
    if (c.skipped > 0) {
      char note[40];
      const int k = std::snprintf(note, sizeof(note), "skipped=%" PRIu64 "\n", c.skipped);
      if (!ring->fits(static_cast<size_t>(k) + line, 2)) {
        ++c.skipped;
        skipped_.add();
        continue;
      }
      ring->push(gid, {std::string_view(note, static_cast<size_t>(k))});
      c.skipped = 0;
    }
    if (!ring->push(gid, {head, body, "\n"})) {
      ++c.skipped;
      skipped_.add();
      continue;
    }
    sent_.add();
  }
}

LogProducer& WatchLog::add_producer() {
  std::lock_guard lock(mutex_);
  LogProducer& producer = producers_.emplace_back(*this);
  for (size_t w = 0; w < kMaxWatchers; ++w) {
    if (watchers_[w].active) give_ring_locked(producer, w, ring_bytes_);
  }
  return producer;
}

void WatchLog::write_shared(LogFlags flag, std::string_view body) noexcept {
  std::lock_guard lock(shared_mutex_);
  shared_.write(flag, body);
}

void WatchLog::give_ring_locked(LogProducer& producer, size_t watcher, size_t ring_bytes) {
  LogProducer::Channel& c = producer.channels_[watcher];
  if (c.owned == nullptr) {
    c.owned = std::make_unique<LogRing>(ring_bytes);
    c.ring.store(c.owned.get(), std::memory_order_release);
  }
  c.owned->clear();
  c.generation.store(c.generation.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

std::optional<size_t> WatchLog::attach(LogFlags flags, size_t ring_bytes) {
  std::lock_guard lock(mutex_);
  size_t w = 0;
  while (w < kMaxWatchers && watchers_[w].active) ++w;
  if (w == kMaxWatchers) return std::nullopt;
  // Every ring has the size of the first watcher's (the setting is fixed at start-up); a
  // writer may still hold a ring of an earlier watcher of the slot, so rings are never freed.
  if (ring_bytes_ == 0) ring_bytes_ = ring_bytes < kMinRingBytes ? kMinRingBytes : ring_bytes;
  watchers_[w] = {true, next_gid()};
  for (LogProducer& producer : producers_) give_ring_locked(producer, w, ring_bytes_);
  give_ring_locked(shared_, w, ring_bytes_);
  watcher_flags_[w].store(flags, std::memory_order_release);
  publish_flags_locked();
  return w;
}

void WatchLog::detach(size_t watcher) noexcept {
  std::lock_guard lock(mutex_);
  watchers_[watcher].active = false;
  watcher_flags_[watcher].store(0, std::memory_order_release);
  publish_flags_locked();
}

void WatchLog::publish_flags_locked() noexcept {
  LogFlags all = 0;
  for (const auto& f : watcher_flags_) all |= f.load(std::memory_order_relaxed);
  flags_.store(all, std::memory_order_release);
}

size_t WatchLog::drain(size_t watcher, std::string& out, size_t max_bytes) {
  std::lock_guard lock(mutex_);
  const uint64_t min_gid = watchers_[watcher].min_gid;
  const size_t start = out.size();
  while (out.size() - start < max_bytes) {
    LogRing* oldest = nullptr;
    uint64_t oldest_gid = 0;
    const auto consider = [&](LogProducer& producer) {
      LogRing* ring = producer.channels_[watcher].owned.get();
      uint64_t gid = 0;
      if (ring != nullptr && ring->front_gid(gid) && (oldest == nullptr || gid < oldest_gid)) {
        oldest = ring;
        oldest_gid = gid;
      }
    };
    for (LogProducer& producer : producers_) consider(producer);
    consider(shared_);
    if (oldest == nullptr) break;
    // Lines older than the watcher were written for an earlier watcher of the slot.
    oldest->pop(out, oldest_gid >= min_gid);
  }
  return out.size() - start;
}

LogStats WatchLog::stats() const {
  std::lock_guard lock(mutex_);
  LogStats s;
  const auto add = [&s](const LogProducer& p) {
    s.worker_written += p.written_.load();
    s.watcher_skipped += p.skipped_.load();
    s.watcher_sent += p.sent_.load();
  };
  for (const LogProducer& p : producers_) add(p);
  add(shared_);
  for (const Watcher& w : watchers_) s.watchers += w.active ? 1 : 0;
  return s;
}

}  // namespace cuckood::proto
