// Conformance, part 2: expiry and flush_all as memcached 1.6 does them. Exptimes go through
// expiry_deadline() as the protocol layer converts them; the fake clock moves with advance().
#pragma once

#include <string>

#include "tests/cache/cache_fixture.h"

namespace cuckood::cache::testing {

template <class Factory>
class CacheTimeConformance : public CacheFixture<Factory> {};
TYPED_TEST_SUITE_P(CacheTimeConformance);

TYPED_TEST_P(CacheTimeConformance, RelativeExptimeExpiresAtTheDeadline) {
  this->must_set("k", "v", 0, this->deadline(10));
  this->advance(9);
  EXPECT_EQ(this->value("k"), "v");
  this->advance(1);
  EXPECT_FALSE(this->get("k").has_value());
}

TYPED_TEST_P(CacheTimeConformance, ZeroExptimeNeverExpires) {
  this->must_set("k", "v", 0, 0);
  this->advance(100'000'000);
  EXPECT_EQ(this->value("k"), "v");
}

TYPED_TEST_P(CacheTimeConformance, AbsoluteExptime) {
  this->must_set("future", "v", 0, this->deadline(kStartTime + 100));
  this->must_set("past", "v", 0, this->deadline(kStartTime - 100));
  EXPECT_FALSE(this->get("past").has_value());
  this->advance(99);
  EXPECT_TRUE(this->get("future").has_value());
  this->advance(1);
  EXPECT_FALSE(this->get("future").has_value());
}

TYPED_TEST_P(CacheTimeConformance, NegativeExptimeIsExpiredAtOnce) {
  const StoreResult result = this->set("k", "v", 0, -1);
  EXPECT_EQ(result.status, StoreStatus::kStored);  // memcached stores it, then never finds it
  EXPECT_FALSE(this->get("k").has_value());
  // Setting an expired item over a live one removes the live one.
  this->must_set("live", "v");
  this->set("live", "v", 0, -1);
  EXPECT_FALSE(this->get("live").has_value());
}

TYPED_TEST_P(CacheTimeConformance, ThirtyDayBoundary) {
  this->must_set("30d", "v", 0, this->deadline(kMaxRelativeExptime));
  // One second more is an absolute time in January 1970: long past.
  this->must_set("30d+1", "v", 0, this->deadline(kMaxRelativeExptime + 1));
  EXPECT_FALSE(this->get("30d+1").has_value());
  this->advance(kMaxRelativeExptime - 1);
  EXPECT_TRUE(this->get("30d").has_value());
  this->advance(1);
  EXPECT_FALSE(this->get("30d").has_value());
}

// An expired item is absent for every command: add stores, replace/append/cas/incr/touch/
// delete miss, and its cas is dead.
TYPED_TEST_P(CacheTimeConformance, ExpiredItemIsAbsentForEveryCommand) {
  const Time deadline = this->deadline(5);
  for (const char* key : {"add", "replace", "append", "cas", "incr", "touch", "delete", "gat"}) {
    this->must_set(key, "1", 0, deadline);
  }
  const uint64_t cas = this->cas_of("cas");
  this->advance(5);
  EXPECT_EQ(this->store(StoreMode::kAdd, "add", "new").status, StoreStatus::kStored);
  EXPECT_EQ(this->value("add"), "new");
  EXPECT_EQ(this->store(StoreMode::kReplace, "replace", "x").status, StoreStatus::kNotStored);
  EXPECT_EQ(this->store(StoreMode::kAppend, "append", "x").status, StoreStatus::kNotStored);
  EXPECT_EQ(this->store(StoreMode::kCas, "cas", "x", 0, 0, cas).status, StoreStatus::kNotFound);
  EXPECT_EQ(this->incr("incr", 1).status, ArithStatus::kNotFound);
  EXPECT_FALSE(this->touch("touch", 0));
  EXPECT_EQ(this->remove("delete"), DeleteStatus::kNotFound);
  EXPECT_FALSE(this->gat("gat", 0).has_value());
  for (const char* key : {"replace", "append", "cas", "incr", "touch", "delete", "gat"}) {
    EXPECT_FALSE(this->get(key).has_value()) << key;
  }
}

TYPED_TEST_P(CacheTimeConformance, FlushAllInvalidatesEverything) {
  for (int i = 0; i < 100; ++i) this->must_set("k" + std::to_string(i), "v");
  this->flush_all();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(this->get("k" + std::to_string(i)).has_value()) << i;
  this->advance(1);
  EXPECT_FALSE(this->get("k0").has_value());
  EXPECT_EQ(this->store(StoreMode::kAdd, "k1", "new").status, StoreStatus::kStored);
  EXPECT_EQ(this->store(StoreMode::kReplace, "k2", "new").status, StoreStatus::kNotStored);
  EXPECT_EQ(this->incr("k3", 1).status, ArithStatus::kNotFound);
  EXPECT_EQ(this->remove("k4"), DeleteStatus::kNotFound);
}

// memcached's t/flush-all.t: an item stored right after flush_all, in the same second, stays.
TYPED_TEST_P(CacheTimeConformance, StoreRightAfterImmediateFlushIsVisible) {
  this->must_set("old", "v");
  this->flush_all();
  this->must_set("new", "v");
  EXPECT_FALSE(this->get("old").has_value());
  EXPECT_EQ(this->value("new"), "v");
  this->advance(1);
  EXPECT_EQ(this->value("new"), "v");
  // Twice in the same second: the second flush takes the item stored after the first.
  this->flush_all();
  EXPECT_FALSE(this->get("new").has_value());
  this->must_set("newer", "v");
  EXPECT_EQ(this->value("newer"), "v");
}

// Workers hand out cas uniques from private ranges; a flush must still separate "before" from
// "after" for a worker that took its range before the flush and stores after it.
TYPED_TEST_P(CacheTimeConformance, ImmediateFlushSeparatesStoresOfEveryWorker) {
  auto other = this->new_thread();
  EXPECT_EQ(other->store(StoreMode::kSet, "before", "v").status, StoreStatus::kStored);
  this->flush_all();
  EXPECT_FALSE(other->get("before").has_value());
  EXPECT_EQ(other->store(StoreMode::kSet, "after", "v").status, StoreStatus::kStored);
  EXPECT_TRUE(this->get("after").has_value());
  EXPECT_TRUE(other->get("after").has_value());
  // The flushing worker's own next store survives too.
  this->must_set("mine", "v");
  EXPECT_TRUE(other->get("mine").has_value());
}

TYPED_TEST_P(CacheTimeConformance, DelayedFlushInvalidatesItemsStoredBeforeItsDeadline) {
  this->must_set("early", "v");
  this->flush_all(this->deadline(10));
  EXPECT_TRUE(this->get("early").has_value());
  this->advance(5);
  this->must_set("during", "v");
  EXPECT_TRUE(this->get("early").has_value());
  EXPECT_TRUE(this->get("during").has_value());
  this->advance(5);
  EXPECT_FALSE(this->get("early").has_value());
  EXPECT_FALSE(this->get("during").has_value());
  this->must_set("late", "v");
  EXPECT_TRUE(this->get("late").has_value());
  this->advance(100);
  EXPECT_TRUE(this->get("late").has_value());
}

// memcached: `flush_all N` kills items stored up to and including second now + N - 1, even
// those stored within that second after it came; from the next second stores live.
TYPED_TEST_P(CacheTimeConformance, StoresInTheSecondADelayedFlushTakesEffectAreDead) {
  this->flush_all(this->deadline(10));
  this->advance(9);
  this->must_set("edge", "v");
  EXPECT_FALSE(this->get("edge").has_value());
  this->advance(1);
  EXPECT_FALSE(this->get("edge").has_value());
  this->must_set("after", "v");
  EXPECT_TRUE(this->get("after").has_value());
  // `flush_all 1`: that second is the current one.
  this->flush_all(1);
  this->must_set("now", "v");
  EXPECT_FALSE(this->get("now").has_value());
  EXPECT_FALSE(this->get("after").has_value());
  this->advance(1);
  this->must_set("next", "v");
  EXPECT_TRUE(this->get("next").has_value());
}

TYPED_TEST_P(CacheTimeConformance, FlushWithAPastTimeIsImmediate) {
  this->must_set("k", "v");
  // A time before the server started flushes nothing (memcached's realtime() makes it its
  // first second); one since, as here, flushes at once.
  this->flush_all(kStartTime - 100);
  EXPECT_TRUE(this->get("k").has_value());
  this->flush_all(kStartTime - 10);
  EXPECT_FALSE(this->get("k").has_value());
  this->must_set("after", "v");
  EXPECT_TRUE(this->get("after").has_value());
}

// memcached keeps one flush time: a later flush_all replaces a pending delayed one.
TYPED_TEST_P(CacheTimeConformance, ImmediateFlushReplacesAPendingDelayedOne) {
  this->flush_all(this->deadline(100));
  this->flush_all();
  this->advance(10);
  this->must_set("k", "v");
  this->advance(200);
  EXPECT_TRUE(this->get("k").has_value());
}

// register_worker() starts a worker at the clock's time; quiescent() catches up with it.
TYPED_TEST_P(CacheTimeConformance, WorkerTimeFollowsTheClock) {
  EXPECT_EQ(this->ctx().now(), kStartTime);
  this->advance(7);
  EXPECT_EQ(this->ctx().now(), kStartTime + 7);
  auto other = this->new_thread();
  EXPECT_EQ(other->ctx().now(), kStartTime + 7);
}

REGISTER_TYPED_TEST_SUITE_P(CacheTimeConformance, WorkerTimeFollowsTheClock,
                            RelativeExptimeExpiresAtTheDeadline, ZeroExptimeNeverExpires,
                            AbsoluteExptime, NegativeExptimeIsExpiredAtOnce, ThirtyDayBoundary,
                            ExpiredItemIsAbsentForEveryCommand, FlushAllInvalidatesEverything,
                            StoreRightAfterImmediateFlushIsVisible,
                            ImmediateFlushSeparatesStoresOfEveryWorker,
                            DelayedFlushInvalidatesItemsStoredBeforeItsDeadline,
                            StoresInTheSecondADelayedFlushTakesEffectAreDead,
                            FlushWithAPastTimeIsImmediate,
                            ImmediateFlushReplacesAPendingDelayedOne);

}  // namespace cuckood::cache::testing
