// The fixture of the Cache conformance suites (cache_conformance*.h): a cache built by a
// factory type (`static std::unique_ptr<Cache> make(const CacheConfig&)`), a fake clock
// injected via CacheConfig::clock, and memcached's commands run on it the way the server runs
// them: through proto's command layer (proto/commands.h), which builds every command from the
// cache's storage primitives. So the suites check both the primitives of each implementation
// and the rules written over them. advance() moves the clock and calls quiescent() so that
// ctx.now() sees it, as a worker's event-loop turn would.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cache.h"
#include "cache/expiry.h"
#include "proto/commands.h"
#include "tests/proto/worker_fixture.h"

namespace cuckood::cache::testing {

using proto::ArithResult;
using proto::ArithStatus;
using proto::DeleteStatus;
using proto::StoreMode;
using proto::StoreResult;
using proto::StoreStatus;

inline constexpr Time kStartTime = 1'700'000'000;

// A copy of what a visitor saw.
struct Got {
  std::string value;
  uint32_t flags = 0;
  Time exptime = 0;
  uint64_t cas = 0;
  bool fetched = false;
  Time last_access = 0;
  Marks marks = 0;
};

inline Got copy_of(const ItemView& item) {
  return Got{std::string(item.value), item.flags, item.exptime, item.cas, item.fetched,
             item.last_access,        item.marks};
}

// One worker thread as the server runs one (proto::testing::ThreadWorker), with memcached's
// commands as one-line calls. Used by one thread at a time. Exptimes are as a client sends
// them (relative up to 30 days, else absolute; negative = expired).
class CommandThread : public proto::testing::ThreadWorker {
 public:
  explicit CommandThread(Cache& cache) : ThreadWorker(cache) {}

  StoreResult store(StoreMode mode, std::string_view key, std::string_view value,
                    uint32_t flags = 0, int64_t exptime = 0, uint64_t cas = 0) {
    return proto::store(worker(), mode, key, flags, exptime, value, cas);
  }
  std::optional<Got> get(std::string_view key) {
    std::optional<Got> got;
    const bool hit = proto::get(worker(), key, [&](const ItemView& item) {
      EXPECT_FALSE(got.has_value()) << "visitor called twice";
      EXPECT_EQ(item.key, key);
      got = copy_of(item);
    });
    EXPECT_EQ(hit, got.has_value()) << key;
    return got;
  }
  std::optional<Got> gat(std::string_view key, int64_t exptime) {
    std::optional<Got> got;
    const bool hit = proto::get_and_touch(worker(), key, exptime,
                                          [&](const ItemView& item) { got = copy_of(item); });
    EXPECT_EQ(hit, got.has_value()) << key;
    return got;
  }
  bool touch(std::string_view key, int64_t exptime) { return proto::touch(worker(), key, exptime); }
  // As the binary protocol asks: a cas of 0 is none.
  DeleteStatus remove(std::string_view key, uint64_t cas = 0) {
    return proto::remove(worker(), key, cas != 0 ? std::optional<uint64_t>(cas) : std::nullopt);
  }
  ArithResult arith(std::string_view key, uint64_t delta, bool increment, uint64_t cas = 0) {
    proto::ArithArgs args;
    args.key = key;
    args.delta = delta;
    args.increment = increment;
    args.cas = cas;
    return proto::arith(worker(), args);
  }
  ArithResult create(std::string_view key, uint64_t delta, uint64_t initial, int64_t exptime = 0) {
    proto::ArithArgs args;
    args.key = key;
    args.delta = delta;
    args.create = true;
    args.initial = initial;
    args.exptime = exptime;
    return proto::arith(worker(), args);
  }
  // flush_all with memcached's delay argument (0 = now; an absolute time is allowed).
  void flush_all(int64_t delay = 0) {
    proto::flush_all(worker(), delay, proto::FlushCount::kWhenFlushed);
  }
};

template <class Factory>
class CacheFixture : public ::testing::Test {
 protected:
  CacheFixture() { reset(CacheConfig{}); }

  // A fresh cache with `config` (its clock replaced by the fake clock) and one worker.
  void reset(CacheConfig config) {
    main_.reset();
    cache_.reset();
    config.clock = [this] { return now_.load(std::memory_order_relaxed); };
    config.hash_seed = 42;
    cache_ = Factory::make(config);
    main_ = std::make_unique<CommandThread>(*cache_);
  }

  Cache& cache() { return *cache_; }
  WorkerContext& ctx() { return main_->ctx(); }
  CommandThread& main_thread() { return *main_; }
  // Another worker of the same cache (for another thread, or a second worker's view).
  std::unique_ptr<CommandThread> new_thread() { return std::make_unique<CommandThread>(*cache_); }
  Time now() const { return now_.load(std::memory_order_relaxed); }
  void advance(Time seconds) {
    now_.fetch_add(seconds, std::memory_order_relaxed);
    main_->quiescent();
  }
  // A client's exptime (relative, absolute or negative) as the protocol layer converts it.
  Time deadline(int64_t exptime) const { return expiry_deadline(exptime, now()); }

  StoreResult store(StoreMode mode, std::string_view key, std::string_view value,
                    uint32_t flags = 0, int64_t exptime = 0, uint64_t cas = 0) {
    return main_->store(mode, key, value, flags, exptime, cas);
  }
  StoreResult set(std::string_view key, std::string_view value, uint32_t flags = 0,
                  int64_t exptime = 0) {
    return store(StoreMode::kSet, key, value, flags, exptime);
  }
  // Sets and checks it was stored; returns the new cas.
  uint64_t must_set(std::string_view key, std::string_view value, uint32_t flags = 0,
                    int64_t exptime = 0) {
    const StoreResult result = set(key, value, flags, exptime);
    EXPECT_EQ(result.status, StoreStatus::kStored) << key;
    EXPECT_NE(result.cas, 0u) << key;
    return result.cas;
  }

  std::optional<Got> get(std::string_view key) { return main_->get(key); }
  std::optional<Got> gat(std::string_view key, int64_t exptime) { return main_->gat(key, exptime); }
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

  bool touch(std::string_view key, int64_t exptime) { return main_->touch(key, exptime); }
  DeleteStatus remove(std::string_view key, uint64_t cas = 0) { return main_->remove(key, cas); }
  ArithResult arith(std::string_view key, uint64_t delta, bool increment, uint64_t cas = 0) {
    return main_->arith(key, delta, increment, cas);
  }
  ArithResult incr(std::string_view key, uint64_t delta) { return arith(key, delta, true); }
  ArithResult decr(std::string_view key, uint64_t delta) { return arith(key, delta, false); }
  ArithResult create(std::string_view key, uint64_t delta, uint64_t initial, int64_t exptime = 0) {
    return main_->create(key, delta, initial, exptime);
  }
  void flush_all(int64_t delay = 0) { main_->flush_all(delay); }

 private:
  std::atomic<Time> now_{kStartTime};
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<CommandThread> main_;
};

}  // namespace cuckood::cache::testing
