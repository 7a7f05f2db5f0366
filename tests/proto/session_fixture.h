// Test plumbing for the protocol codecs: a complete Worker (LibcuckooCache, fake clock,
// settings, stats) and helpers that feed input to a Session the way net/ does — in chunks of
// a given size, keeping unconsumed bytes and presenting them again with the next chunk.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "cache/baseline/libcuckoo_cache.h"
#include "proto/session.h"

namespace cuckood::proto::testing {

// Every decoder case runs at each of these chunk sizes (0 = the whole input at once).
inline constexpr std::array<size_t, 7> kSplitSizes = {0, 1000, 100, 10, 5, 2, 1};

// One server's worth of state for one worker thread.
class Env {
 public:
  static constexpr cache::Time kStartTime = 1'700'000'000;

  explicit Env(Settings settings = {}) : settings_(std::move(settings)) {
    cache::CacheConfig config;
    config.memory_limit = settings_.memory_limit;
    config.max_item_size = settings_.max_item_size;
    config.clock = [this] { return now_; };
    config.hash_seed = 42;
    cache_ = std::make_unique<cache::LibcuckooCache>(config);
    ctx_ = cache_->register_worker();
    worker_ =
        std::make_unique<Worker>(Worker{*cache_, *ctx_, settings_, server_, server_.add_worker()});
    session_ = std::make_unique<Session>(*worker_);
  }

  // Feeds `input` in chunks of `split` bytes (0 = at once) to this Env's session; returns
  // what it answered. Unconsumed bytes stay pending for the next call, as on a connection.
  std::string feed(std::string_view input, size_t split = 0) {
    std::string output;
    const size_t step = split == 0 ? std::max<size_t>(input.size(), 1) : split;
    for (size_t pos = 0; pos < input.size(); pos += step) {
      pending_.append(input.substr(pos, step));
      const size_t consumed = session_->process(pending_, output);
      EXPECT_LE(consumed, pending_.size());
      pending_.erase(0, consumed);
    }
    return output;
  }

  // Moves the fake clock and lets the cache see it (as a worker's loop turn would).
  void advance(cache::Time seconds) {
    now_ += seconds;
    cache_->quiescent(*ctx_);
  }

  Session& session() { return *session_; }
  Worker& worker() { return *worker_; }
  const std::string& pending() const { return pending_; }
  cache::Time now() const { return now_; }

 private:
  cache::Time now_ = kStartTime;
  Settings settings_;
  ServerState server_;
  std::unique_ptr<cache::LibcuckooCache> cache_;
  std::unique_ptr<cache::WorkerContext> ctx_;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<Session> session_;
  std::string pending_;
};

// Runs `input` on a fresh Env at every split size and checks each answer equals `expected`.
inline void expect_response(std::string_view input, std::string_view expected,
                            const Settings& settings = {}) {
  for (size_t split : kSplitSizes) {
    Env env(settings);
    EXPECT_EQ(env.feed(input, split), expected) << "split size " << split;
  }
}

}  // namespace cuckood::proto::testing
