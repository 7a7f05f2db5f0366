// One worker's protocol Worker (proto/worker.h) over a fresh cache, for tests that drive a
// Session or a Connection without a server: the cache built from Settings' limits, one
// registered worker, and the Settings, ServerState and CommandStats that the Worker refers to.
// The cache type is a template parameter; the default is the one the server ships, so that
// protocol tests run on it. The clock is fake: it starts at kStartTime and moves only by
// advance(); a crawl (lru_crawler crawl) runs at once, on the calling thread.
// Shared by the GoogleTest suites and the libFuzzer target (tests/fuzz, clang, no GoogleTest):
// it must not include <gtest/gtest.h>.
//
// Threading: one thread, like the worker it stands for. Not copyable or movable (the cache's
// clock points at the fixture).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "cache/cache.h"
#include "cache/cuckoo_cache.h"
#include "proto/settings.h"
#include "proto/slab_classes.h"
#include "proto/stats.h"
#include "proto/worker.h"

namespace cuckood::proto::testing {

// A protocol Worker for the calling thread over an existing cache: its registered context and
// the Settings, ServerState and CommandStats the Worker refers to. Several may share a cache,
// one per thread, like a server's workers.
class ThreadWorker {
 public:
  explicit ThreadWorker(cache::Cache& cache, Settings settings = {})
      : cache_(cache),
        settings_(std::move(settings)),
        server_(cache.config().clock()),
        ctx_(cache.register_worker()),
        worker_{cache,
                *ctx_,
                settings_,
                server_,
                server_.add_worker(),
                server_.watch_log.add_producer()} {
    server_.runtime.apply(settings_);
  }
  ThreadWorker(const ThreadWorker&) = delete;
  ThreadWorker& operator=(const ThreadWorker&) = delete;

  Worker& worker() { return worker_; }
  cache::WorkerContext& ctx() { return *ctx_; }
  const Settings& settings() const { return settings_; }
  ServerState& server() { return server_; }

  // A worker's event-loop turn ended: it holds no item, reclamation may progress, and
  // ctx.now() is read from the clock again.
  void quiescent() { cache_.quiescent(*ctx_); }

 private:
  cache::Cache& cache_;
  Settings settings_;
  ServerState server_;
  std::unique_ptr<cache::WorkerContext> ctx_;
  Worker worker_;
};

// A fresh cache of `CacheType` with a fake clock and one ThreadWorker over it.
template <class CacheType = cache::CuckooCache>
class WorkerFixture {
 public:
  static constexpr cache::Time kStartTime = 1'700'000'000;
  static constexpr uint64_t kHashSeed = 42;

  // The cache gets settings.memory_limit, max_item_size, evictions (-m, -I, -M) and the size
  // classes of -n/-f/slab_chunk_max, as in main.
  explicit WorkerFixture(Settings settings = {}, uint64_t hash_seed = kHashSeed) {
    cache::CacheConfig config;
    config.memory_limit = settings.memory_limit;
    config.max_item_size = settings.max_item_size;
    config.evict = settings.evictions;
    config.size_classes = slab_classes(settings);
    config.clock = [this] { return now_; };
    config.hash_seed = hash_seed;
    config.crawl_in_caller = true;  // one thread: what a crawl did shows in the next reply
    cache_ = std::make_unique<CacheType>(config);
    thread_ = std::make_unique<ThreadWorker>(*cache_, std::move(settings));
  }
  WorkerFixture(const WorkerFixture&) = delete;
  WorkerFixture& operator=(const WorkerFixture&) = delete;

  Worker& worker() { return thread_->worker(); }
  CacheType& cache() { return *cache_; }
  cache::WorkerContext& ctx() { return thread_->ctx(); }
  const Settings& settings() const { return thread_->settings(); }
  ServerState& server() { return thread_->server(); }
  cache::Time now() const { return now_; }
  void quiescent() { thread_->quiescent(); }

  // Moves the fake clock; the next request sees it (as after a worker's loop turn).
  void advance(cache::Time seconds) {
    now_ += seconds;
    quiescent();
  }

 private:
  cache::Time now_ = kStartTime;
  std::unique_ptr<CacheType> cache_;
  std::unique_ptr<ThreadWorker> thread_;
};

}  // namespace cuckood::proto::testing
