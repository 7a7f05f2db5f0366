// Conformance, part 0: the storage primitives themselves (cache/cache.h), driven by small test
// mutations rather than memcached's rules: what update() asks a Mutation and when, what each
// Change does, read() against peek(). Implementation-neutral: see cache_conformance.h.
#pragma once

#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/cache/cache_fixture.h"

namespace cuckood::cache::testing {

// A mutation that answers a fixed Change (or one computed from the live item) and records
// every call the cache made.
class ScriptedMutation final : public Mutation {
 public:
  using Decider = std::function<Change(const ItemView*)>;
  explicit ScriptedMutation(Decider decider, std::string value = {}, bool blind = false)
      : decider_(std::move(decider)), value_(std::move(value)), blind_(blind) {}

  Change decide(const ItemView* live) noexcept override {
    seen.push_back(live ? std::optional<Got>(copy_of(*live)) : std::nullopt);
    return decider_(live);
  }
  void write(const ItemView* live, char* value) noexcept override {
    written_from.push_back(live ? std::optional<Got>(copy_of(*live)) : std::nullopt);
    // Derived: the live value followed by ours; otherwise ours alone.
    size_t at = 0;
    if (live != nullptr) {
      std::memcpy(value, live->value.data(), live->value.size());
      at = live->value.size();
    }
    std::memcpy(value + at, value_.data(), value_.size());
  }
  void done(const ItemView& item) noexcept override { result = copy_of(item); }
  bool blind() const noexcept override { return blind_; }

  std::vector<std::optional<Got>> seen;          // what decide() was shown, per call
  std::vector<std::optional<Got>> written_from;  // what write() was shown, per call
  std::optional<Got> result;                     // what done() was shown

 private:
  Decider decider_;
  std::string value_;
  bool blind_;
};

template <class Factory>
class CachePrimitivesConformance : public CacheFixture<Factory> {
 protected:
  UpdateStatus update(std::string_view key, Mutation& mutation) {
    return this->cache().update(this->ctx(), this->cache().hash(key), mutation);
  }
  // Stores `value` under `key` with a blind kStore.
  Got put(std::string_view key, std::string_view value, uint32_t flags = 0, Time exptime = 0) {
    ScriptedMutation m([&](const ItemView*) { return Change::store(value.size(), flags, exptime); },
                       std::string(value), true);
    EXPECT_EQ(update(key, m), UpdateStatus::kDone);
    EXPECT_TRUE(m.result.has_value());
    return m.result.value_or(Got{});
  }
  std::optional<Got> read(std::string_view key) {
    std::optional<Got> got;
    this->cache().read(this->ctx(), this->cache().hash(key),
                       [&](const ItemView& item) { got = copy_of(item); });
    return got;
  }
  std::optional<Got> peek(std::string_view key) {
    std::optional<Got> got;
    this->cache().peek(this->ctx(), this->cache().hash(key),
                       [&](const ItemView& item) { got = copy_of(item); });
    return got;
  }
};
TYPED_TEST_SUITE_P(CachePrimitivesConformance);

TYPED_TEST_P(CachePrimitivesConformance, StoreOnAbsentKeyLinksANewItem) {
  ScriptedMutation m(
      [](const ItemView* live) {
        EXPECT_EQ(live, nullptr);
        return Change::store(5, 7, kStartTime + 60);
      },
      "hello");
  EXPECT_EQ(this->update("k", m), UpdateStatus::kDone);
  ASSERT_EQ(m.seen.size(), 1u);
  EXPECT_FALSE(m.seen[0].has_value());
  ASSERT_EQ(m.written_from.size(), 1u);
  EXPECT_FALSE(m.written_from[0].has_value());  // not derived: write() sees no item
  ASSERT_TRUE(m.result.has_value());
  EXPECT_EQ(m.result->value, "hello");
  EXPECT_EQ(m.result->flags, 7u);
  EXPECT_EQ(m.result->exptime, kStartTime + 60);
  EXPECT_NE(m.result->cas, 0u);
  const auto got = this->read("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "hello");
  EXPECT_EQ(got->cas, m.result->cas);
}

TYPED_TEST_P(CachePrimitivesConformance, DecideSeesTheLiveItem) {
  const Got stored = this->put("k", "v1", 3, kStartTime + 100);
  ScriptedMutation m([](const ItemView*) { return Change::keep(); });
  EXPECT_EQ(this->update("k", m), UpdateStatus::kDone);
  ASSERT_EQ(m.seen.size(), 1u);
  ASSERT_TRUE(m.seen[0].has_value());
  EXPECT_EQ(m.seen[0]->value, "v1");
  EXPECT_EQ(m.seen[0]->flags, 3u);
  EXPECT_EQ(m.seen[0]->exptime, kStartTime + 100);
  EXPECT_EQ(m.seen[0]->cas, stored.cas);
  EXPECT_FALSE(m.result.has_value());  // kKeep: done() is not called
  EXPECT_EQ(this->read("k")->cas, stored.cas);
}

TYPED_TEST_P(CachePrimitivesConformance, ExpiredItemsAreNotShownToDecide) {
  this->put("k", "v", 0, kStartTime + 5);
  this->advance(5);
  ScriptedMutation m([](const ItemView*) { return Change::keep(); });
  this->update("k", m);
  ASSERT_FALSE(m.seen.empty());
  for (const auto& seen : m.seen) EXPECT_FALSE(seen.has_value());
}

TYPED_TEST_P(CachePrimitivesConformance, DerivedStoreBuildsFromTheLiveItem) {
  const Got old = this->put("k", "abc", 9, kStartTime + 100);
  ScriptedMutation m(
      [](const ItemView* live) {
        Change change = Change::store(live->value.size() + 3, live->flags, 0);
        change.derived = true;
        change.keep_exptime = true;
        return change;
      },
      "def");
  EXPECT_EQ(this->update("k", m), UpdateStatus::kDone);
  ASSERT_FALSE(m.written_from.empty());
  ASSERT_TRUE(m.written_from.back().has_value());
  EXPECT_EQ(m.written_from.back()->cas, old.cas);
  const auto got = this->read("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "abcdef");
  EXPECT_EQ(got->flags, 9u);
  EXPECT_EQ(got->exptime, kStartTime + 100);  // keep_exptime
  EXPECT_NE(got->cas, old.cas);
  EXPECT_EQ(m.result->cas, got->cas);
}

TYPED_TEST_P(CachePrimitivesConformance, FetchedChangeMarksTheNewItemRead) {
  this->put("k", "1");
  ScriptedMutation m(
      [](const ItemView*) {
        Change change = Change::store(1, 0, 0);
        change.fetched = true;
        return change;
      },
      "2");
  this->update("k", m);
  EXPECT_TRUE(this->peek("k")->fetched);
  this->put("k", "3");
  EXPECT_FALSE(this->peek("k")->fetched);
}

TYPED_TEST_P(CachePrimitivesConformance, RemoveUnlinksTheLiveItem) {
  this->put("k", "v");
  ScriptedMutation m([](const ItemView* live) {
    EXPECT_NE(live, nullptr);
    return Change::remove();
  });
  EXPECT_EQ(this->update("k", m), UpdateStatus::kDone);
  EXPECT_FALSE(this->read("k").has_value());
  EXPECT_EQ(this->cache().stats().curr_items, 0u);
  // On an absent key a remove is nothing.
  ScriptedMutation again([](const ItemView*) { return Change::remove(); });
  EXPECT_EQ(this->update("k", again), UpdateStatus::kDone);
}

TYPED_TEST_P(CachePrimitivesConformance, TouchSetsTheDeadlineAndShowsTheItem) {
  const Got old = this->put("k", "v", 4, kStartTime + 10);
  ScriptedMutation m([](const ItemView*) { return Change::touch(kStartTime + 500); });
  EXPECT_EQ(this->update("k", m), UpdateStatus::kDone);
  ASSERT_TRUE(m.result.has_value());
  EXPECT_EQ(m.result->exptime, kStartTime + 500);
  EXPECT_EQ(m.result->value, "v");
  EXPECT_EQ(m.result->cas, old.cas);  // a touch is not a new version
  EXPECT_FALSE(m.result->fetched);    // not read before this touch
  const auto got = this->peek("k");
  EXPECT_EQ(got->exptime, kStartTime + 500);
  EXPECT_TRUE(got->fetched);  // a touch counts as a read
  this->advance(20);
  EXPECT_TRUE(this->read("k").has_value());
}

// An item stored without flags and deadline (which CuckooCache keeps without room for them)
// takes a deadline as any other: same version, value, marks and access state.
TYPED_TEST_P(CachePrimitivesConformance, TouchGivesADeadlineToAnItemStoredWithout) {
  const Got old = this->put("k", "value");
  ScriptedMutation mark([](const ItemView*) {
    Change change = Change::touch(0);
    change.keep_exptime = true;
    change.marks = 0b100;
    change.unread = true;
    return change;
  });
  this->update("k", mark);
  this->advance(3);
  ScriptedMutation m([](const ItemView*) {
    Change change = Change::touch(kStartTime + 500);
    change.unread = true;
    return change;
  });
  EXPECT_EQ(this->update("k", m), UpdateStatus::kDone);
  ASSERT_TRUE(m.result.has_value());
  EXPECT_EQ(m.result->exptime, kStartTime + 500);
  EXPECT_EQ(m.result->cas, old.cas);
  const auto got = this->peek("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "value");
  EXPECT_EQ(got->flags, 0u);
  EXPECT_EQ(got->exptime, kStartTime + 500);
  EXPECT_EQ(got->cas, old.cas);
  EXPECT_EQ(got->marks, 0b100);
  EXPECT_FALSE(got->fetched);
  EXPECT_EQ(got->last_access, kStartTime);  // the store, not the unread touch
  EXPECT_EQ(this->cache().stats().curr_items, 1u);
  // Back to "never", then a deadline again.
  ScriptedMutation never([](const ItemView*) { return Change::touch(0); });
  this->update("k", never);
  EXPECT_EQ(this->peek("k")->exptime, 0u);
  ScriptedMutation again([](const ItemView*) { return Change::touch(kStartTime + 10); });
  this->update("k", again);
  EXPECT_EQ(this->peek("k")->exptime, kStartTime + 10);
  this->advance(20);
  EXPECT_FALSE(this->read("k").has_value());
}

TYPED_TEST_P(CachePrimitivesConformance, TooLargeStoreIsRefusedAndKeepsTheItem) {
  this->put("k", "v");
  const size_t too_large = this->cache().max_value_size(1) + 1;
  ScriptedMutation m([&](const ItemView*) { return Change::store(too_large, 0, 0); },
                     std::string(too_large, 'x'));
  EXPECT_EQ(this->update("k", m), UpdateStatus::kTooLarge);
  EXPECT_FALSE(m.result.has_value());
  EXPECT_EQ(this->read("k")->value, "v");
}

TYPED_TEST_P(CachePrimitivesConformance, ReadRecordsTheAccessAndPeekDoesNot) {
  this->put("k", "v");
  EXPECT_FALSE(this->peek("k")->fetched);
  EXPECT_FALSE(this->peek("k")->fetched);
  EXPECT_FALSE(this->read("k")->fetched);  // not fetched before this read
  EXPECT_TRUE(this->read("k")->fetched);
  EXPECT_TRUE(this->peek("k")->fetched);
  EXPECT_FALSE(this->peek("absent").has_value());
  EXPECT_FALSE(this->read("absent").has_value());
}

// A prefetch is a hint: it shows nothing, records no access, reclaims nothing and counts
// nothing, whether the keys are live, expired or absent, and reads see what they saw before.
TYPED_TEST_P(CachePrimitivesConformance, PrefetchChangesNothingVisible) {
  this->put("live", "v");
  this->put("dying", "d", 0, kStartTime + 10);
  this->advance(100);  // "dying" has expired; no look-up has found it yet
  const CacheStats before = this->cache().stats();
  std::vector<HashedKey> keys;
  for (std::string_view k : {"live", "dying", "absent", "live"}) {
    keys.push_back(this->cache().hash(k));
  }
  this->cache().prefetch(this->ctx(), keys);
  this->cache().prefetch(this->ctx(), {});
  const CacheStats after = this->cache().stats();
  EXPECT_EQ(after.curr_items, before.curr_items);
  EXPECT_EQ(after.found_expired, before.found_expired);
  EXPECT_EQ(after.reclaimed, before.reclaimed);
  EXPECT_EQ(after.bytes, before.bytes);
  const std::optional<Got> live = this->peek("live");
  ASSERT_TRUE(live.has_value());
  EXPECT_FALSE(live->fetched);
  EXPECT_EQ(live->last_access, kStartTime);
  EXPECT_FALSE(this->read("live")->fetched);
  EXPECT_FALSE(this->read("dying").has_value());
  EXPECT_FALSE(this->read("absent").has_value());
}

// The view shows the access before this one; an access is recorded only once the last one is
// kAccessUpdateInterval old (memcached's ITEM_UPDATE_INTERVAL).
TYPED_TEST_P(CachePrimitivesConformance, LastAccessIsTheStoreTimeThenEveryMinuteAtMost) {
  this->put("k", "v");
  EXPECT_EQ(this->read("k")->last_access, kStartTime);
  this->advance(100);
  EXPECT_EQ(this->peek("k")->last_access, kStartTime);
  EXPECT_EQ(this->read("k")->last_access, kStartTime);  // recorded now: 100 s >= 60 s
  EXPECT_EQ(this->read("k")->last_access, kStartTime + 100);
  this->advance(30);
  EXPECT_EQ(this->read("k")->last_access, kStartTime + 100);  // 30 s: not recorded
  this->advance(30);
  EXPECT_EQ(this->read("k")->last_access, kStartTime + 100);  // 60 s: recorded
  EXPECT_EQ(this->peek("k")->last_access, kStartTime + 160);
  // A touch is an access; a new version starts at its store time.
  this->advance(100);
  ScriptedMutation touch([](const ItemView*) { return Change::touch(0); });
  this->update("k", touch);
  EXPECT_EQ(touch.result->last_access, kStartTime + 160);
  EXPECT_EQ(this->peek("k")->last_access, kStartTime + 260);
  this->advance(5);
  EXPECT_EQ(this->put("k", "w").last_access, kStartTime + 265);
}

// Marks: a store sets the new item's, taking keep_marks from the item it replaces; a touch
// adds to them in place; a plain store starts afresh; reads and peeks show them.
TYPED_TEST_P(CachePrimitivesConformance, StoresSetMarksAndInheritOnlyKeepMarks) {
  ScriptedMutation first([](const ItemView*) {
    Change change = Change::store(1, 0, 0);
    change.marks = 0b101;
    return change;
  });
  this->update("k", first);
  EXPECT_EQ(this->peek("k")->marks, 0b101);
  EXPECT_EQ(this->read("k")->marks, 0b101);
  ScriptedMutation inherit([](const ItemView*) {
    Change change = Change::store(1, 0, 0);
    change.marks = 0b010;
    change.keep_marks = 0b001;
    return change;
  });
  this->update("k", inherit);
  EXPECT_EQ(inherit.result->marks, 0b011);
  EXPECT_EQ(this->peek("k")->marks, 0b011);
  ScriptedMutation on_absent([](const ItemView*) {
    Change change = Change::store(1, 0, 0);
    change.keep_marks = 0b111;
    return change;
  });
  this->update("absent", on_absent);
  EXPECT_EQ(this->peek("absent")->marks, 0);
  EXPECT_EQ(this->put("k", "v").marks, 0);  // a plain store: a fresh item
}

TYPED_TEST_P(CachePrimitivesConformance, TouchAddsMarksInPlace) {
  const Got old = this->put("k", "v", 0, kStartTime + 10);
  ScriptedMutation mark([](const ItemView*) {
    Change change = Change::touch(0);
    change.keep_exptime = true;
    change.marks = 0b010;
    change.unread = true;
    return change;
  });
  EXPECT_EQ(this->update("k", mark), UpdateStatus::kDone);
  EXPECT_EQ(mark.result->marks, 0b010);
  EXPECT_EQ(mark.result->exptime, kStartTime + 10);  // keep_exptime
  EXPECT_EQ(mark.result->cas, old.cas);              // the same version
  const auto got = this->peek("k");
  EXPECT_EQ(got->marks, 0b010);
  EXPECT_EQ(got->exptime, kStartTime + 10);
  EXPECT_FALSE(got->fetched);  // unread: the access is not recorded
  ScriptedMutation more([](const ItemView*) {
    Change change = Change::touch(kStartTime + 99);
    change.marks = 0b001;
    return change;
  });
  this->update("k", more);
  EXPECT_EQ(this->peek("k")->marks, 0b011);
  EXPECT_EQ(this->peek("k")->exptime, kStartTime + 99);
  EXPECT_TRUE(this->peek("k")->fetched);
  ScriptedMutation plain_touch([](const ItemView*) { return Change::touch(0); });
  this->update("k", plain_touch);
  EXPECT_EQ(this->peek("k")->marks, 0b011);  // a touch without marks keeps them
}

TYPED_TEST_P(CachePrimitivesConformance, MeasureIsWhatAWalkReports) {
  this->put("key", std::string(300, 'v'));
  WalkCursor cursor;
  size_t seen = 0;
  while (!cursor.done) {
    this->cache().walk(this->ctx(), cursor, 7, [&](const ItemView& item, const WalkedItem& info) {
      const WalkedItem measured = this->cache().measure(item);
      EXPECT_EQ(measured.size_class, info.size_class);
      EXPECT_EQ(measured.size, info.size);
      EXPECT_GE(measured.size, item.key.size() + item.value.size());
      ++seen;
    });
  }
  EXPECT_EQ(seen, 1u);
}

TYPED_TEST_P(CachePrimitivesConformance, WalkVisitsEveryLiveItem) {
  for (int i = 0; i < 100; ++i) this->put("k" + std::to_string(i), "v");
  this->put("dead", "v", 0, this->now() + 5);
  this->advance(10);
  std::set<std::string> keys;
  WalkCursor cursor;
  while (!cursor.done) {
    this->cache().walk(this->ctx(), cursor, 7, [&](const ItemView& item, const WalkedItem& info) {
      EXPECT_GT(info.size, item.key.size() + item.value.size());
      keys.insert(std::string(item.key));
    });
  }
  EXPECT_EQ(keys.size(), 100u);
  EXPECT_EQ(keys.count("dead"), 0u);
}

TYPED_TEST_P(CachePrimitivesConformance, CancelFlushWithdrawsAPendingFlush) {
  this->put("a", "1");
  this->cache().flush_all(this->ctx(), this->now() + 10);
  this->cache().cancel_flush(this->ctx());
  this->advance(20);
  EXPECT_TRUE(this->get("a").has_value());
}

// A flush due at the next second is in force at once, also for what is stored later in this
// second (memcached's it->time <= oldest_live); cancelled, it spares what is stored after the
// cancel and keeps what it flushed flushed.
TYPED_TEST_P(CachePrimitivesConformance, CancelFlushKeepsAFlushInForceAndSparesLaterStores) {
  this->put("a", "1");
  this->cache().flush_all(this->ctx(), this->now() + 1);
  this->put("b", "2");
  this->cache().cancel_flush(this->ctx());
  this->put("c", "3");
  this->advance(3);
  EXPECT_FALSE(this->get("a").has_value());
  EXPECT_FALSE(this->get("b").has_value());
  EXPECT_TRUE(this->get("c").has_value());
}

REGISTER_TYPED_TEST_SUITE_P(CachePrimitivesConformance, StoreOnAbsentKeyLinksANewItem,
                            StoresSetMarksAndInheritOnlyKeepMarks, TouchAddsMarksInPlace,
                            DecideSeesTheLiveItem, ExpiredItemsAreNotShownToDecide,
                            DerivedStoreBuildsFromTheLiveItem, FetchedChangeMarksTheNewItemRead,
                            RemoveUnlinksTheLiveItem, TouchSetsTheDeadlineAndShowsTheItem,
                            TouchGivesADeadlineToAnItemStoredWithout,
                            TooLargeStoreIsRefusedAndKeepsTheItem,
                            ReadRecordsTheAccessAndPeekDoesNot, PrefetchChangesNothingVisible,
                            LastAccessIsTheStoreTimeThenEveryMinuteAtMost,
                            MeasureIsWhatAWalkReports, WalkVisitsEveryLiveItem,
                            CancelFlushWithdrawsAPendingFlush,
                            CancelFlushKeepsAFlushInForceAndSparesLaterStores);

}  // namespace cuckood::cache::testing
