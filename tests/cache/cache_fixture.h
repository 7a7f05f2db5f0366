// The fixture of the Cache conformance suites (cache_conformance*.h): a cache built by a
// factory type (`static std::unique_ptr<Cache> make(const CacheConfig&)`), one registered
// worker, a fake clock injected via CacheConfig::clock, and one-line helpers per operation.
// advance() moves the clock and calls quiescent() so that ctx.now() sees it, as a worker's
// event-loop turn would.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cache.h"
#include "cache/expiry.h"

namespace cuckood::cache::testing {

inline constexpr Time kStartTime = 1'700'000'000;

// A copy of what a visitor saw.
struct Got {
  std::string value;
  uint32_t flags = 0;
  Time exptime = 0;
  uint64_t cas = 0;
  bool fetched = false;
};

template <class Factory>
class CacheFixture : public ::testing::Test {
 protected:
  CacheFixture() { reset(CacheConfig{}); }

  // A fresh cache with `config` (its clock replaced by the fake clock) and one worker.
  void reset(CacheConfig config) {
    ctx_.reset();
    cache_.reset();
    config.clock = [this] { return now_.load(std::memory_order_relaxed); };
    config.hash_seed = 42;
    cache_ = Factory::make(config);
    ctx_ = cache_->register_worker();
  }

  Cache& cache() { return *cache_; }
  WorkerContext& ctx() { return *ctx_; }
  Time now() const { return now_.load(std::memory_order_relaxed); }
  void advance(Time seconds) {
    now_.fetch_add(seconds, std::memory_order_relaxed);
    cache_->quiescent(*ctx_);
  }
  // A client's exptime (relative, absolute or negative) as the protocol layer converts it.
  Time deadline(int64_t exptime) const { return expiry_deadline(exptime, now()); }

  StoreResult store(StoreMode mode, std::string_view key, std::string_view value,
                    uint32_t flags = 0, Time exptime = 0, uint64_t cas = 0) {
    return store_with(*ctx_, mode, key, value, flags, exptime, cas);
  }
  StoreResult store_with(WorkerContext& ctx, StoreMode mode, std::string_view key,
                         std::string_view value, uint32_t flags = 0, Time exptime = 0,
                         uint64_t cas = 0) {
    return cache_->store(ctx, StoreRequest{cache_->hash(key), value, flags, exptime, cas, mode});
  }
  StoreResult set(std::string_view key, std::string_view value, uint32_t flags = 0,
                  Time exptime = 0) {
    return store(StoreMode::kSet, key, value, flags, exptime);
  }
  // Sets and checks it was stored; returns the new cas.
  uint64_t must_set(std::string_view key, std::string_view value, uint32_t flags = 0,
                    Time exptime = 0) {
    const StoreResult result = set(key, value, flags, exptime);
    EXPECT_EQ(result.status, StoreStatus::kStored) << key;
    EXPECT_NE(result.cas, 0u) << key;
    return result.cas;
  }

  std::optional<Got> get(std::string_view key) { return get_with(*ctx_, key); }
  std::optional<Got> get_with(WorkerContext& ctx, std::string_view key) {
    std::optional<Got> got;
    const bool hit = cache_->get(ctx, cache_->hash(key), [&](const ItemView& item) {
      EXPECT_FALSE(got.has_value()) << "visitor called twice";
      EXPECT_EQ(item.key, key);
      got = Got{std::string(item.value), item.flags, item.exptime, item.cas, item.fetched};
    });
    EXPECT_EQ(hit, got.has_value()) << key;
    return got;
  }
  std::optional<Got> gat(std::string_view key, Time exptime) {
    std::optional<Got> got;
    const bool hit =
        cache_->get_and_touch(*ctx_, cache_->hash(key), exptime, [&](const ItemView& item) {
          got = Got{std::string(item.value), item.flags, item.exptime, item.cas, item.fetched};
        });
    EXPECT_EQ(hit, got.has_value()) << key;
    return got;
  }
  // The value, or nullopt on a miss.
  std::optional<std::string> value(std::string_view key) {
    const std::optional<Got> got = get(key);
    if (!got) return std::nullopt;
    return got->value;
  }
  uint64_t cas_of(std::string_view key) {
    const std::optional<Got> got = get(key);
    EXPECT_TRUE(got.has_value()) << key;
    return got ? got->cas : 0;
  }

  bool touch(std::string_view key, Time exptime) {
    return cache_->touch(*ctx_, cache_->hash(key), exptime);
  }
  DeleteStatus remove(std::string_view key, uint64_t cas = 0) {
    return cache_->remove(*ctx_, cache_->hash(key), cas);
  }
  ArithResult arith(std::string_view key, uint64_t delta, bool increment, uint64_t cas = 0) {
    return cache_->arith(*ctx_, ArithRequest{cache_->hash(key), delta, increment, cas});
  }
  ArithResult incr(std::string_view key, uint64_t delta) { return arith(key, delta, true); }
  ArithResult decr(std::string_view key, uint64_t delta) { return arith(key, delta, false); }
  ArithResult create(std::string_view key, uint64_t delta, uint64_t initial, Time exptime = 0) {
    return cache_->arith(*ctx_,
                         ArithRequest{cache_->hash(key), delta, true, 0, true, initial, exptime});
  }
  void flush_all(Time when = 0) { cache_->flush_all(*ctx_, when); }

 private:
  std::atomic<Time> now_{kStartTime};
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<WorkerContext> ctx_;
};

}  // namespace cuckood::cache::testing
