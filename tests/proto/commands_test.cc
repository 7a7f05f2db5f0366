// The command layer's own rules (proto/commands.h) beyond what the cache conformance suites
// run through it: cas promotion per protocol, me's look that records nothing, meta ma's new
// deadline in the same step as the arithmetic, the statistics each command counts, and what
// -C, -F, -X and -M change.
#include "proto/commands.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "cache/expiry.h"
#include "tests/proto/worker_fixture.h"

namespace cuckood::proto {
namespace {

using testing::WorkerFixture;

TEST(ModeWithCas, SetAndReplaceBecomeCasAddOnlyInBinary) {
  WorkerFixture<> f;
  const Worker& w = f.worker();
  EXPECT_EQ(mode_with_cas(w, StoreMode::kSet, CasOnAdd::kIgnored), StoreMode::kCas);
  EXPECT_EQ(mode_with_cas(w, StoreMode::kReplace, CasOnAdd::kIgnored), StoreMode::kCas);
  EXPECT_EQ(mode_with_cas(w, StoreMode::kAdd, CasOnAdd::kIgnored), StoreMode::kAdd);
  EXPECT_EQ(mode_with_cas(w, StoreMode::kAdd, CasOnAdd::kCompared), StoreMode::kCas);
  EXPECT_EQ(mode_with_cas(w, StoreMode::kAppend, CasOnAdd::kCompared), StoreMode::kAppend);
  EXPECT_EQ(mode_with_cas(w, StoreMode::kPrepend, CasOnAdd::kIgnored), StoreMode::kPrepend);
  EXPECT_EQ(mode_with_cas(w, StoreMode::kCas, CasOnAdd::kIgnored), StoreMode::kCas);
}

TEST(ModeWithCas, WithoutCasOnlyTheMetaFlagPromotes) {
  Settings settings;
  settings.cas_enabled = false;  // -C
  WorkerFixture<> f(settings);
  const Worker& w = f.worker();
  // memcached -C drops a binary request's cas (the new item has none to hold it)...
  EXPECT_EQ(mode_with_cas(w, StoreMode::kSet, CasOnAdd::kCompared), StoreMode::kSet);
  EXPECT_EQ(mode_with_cas(w, StoreMode::kAdd, CasOnAdd::kCompared), StoreMode::kAdd);
  EXPECT_EQ(mode_with_cas(w, StoreMode::kReplace, CasOnAdd::kCompared), StoreMode::kReplace);
  // ...while ms with C still becomes a cas, which then cannot match.
  EXPECT_EQ(mode_with_cas(w, StoreMode::kSet, CasOnAdd::kIgnored), StoreMode::kCas);
}

TEST(Commands, AddIgnoresACasItDoesNotCompare) {
  WorkerFixture<> f;
  EXPECT_EQ(store(f.worker(), StoreMode::kAdd, "k", 0, 0, "v", 12345).status, StoreStatus::kStored);
  EXPECT_EQ(store(f.worker(), StoreMode::kAdd, "k", 0, 0, "v", 0).status, StoreStatus::kNotStored);
}

// Meta's N in append/prepend mode: a miss stores the value with the request's flags and
// deadline (even when a cas was given); a hit joins as a plain append, keeping both.
TEST(Commands, VivifyingAppendCreatesOnAMissAndJoinsOnAHit) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  const MetaStoreOptions vivify{.vivify = true};
  EXPECT_EQ(store(w, StoreMode::kAppend, "a", 0, 0, "x", 0).status, StoreStatus::kNotStored);
  EXPECT_EQ(store(w, StoreMode::kAppend, "a", 7, 100, "x", 0, vivify).status, StoreStatus::kStored);
  EXPECT_EQ(store(w, StoreMode::kAppend, "a", 9, 5, "y", 0, vivify).status, StoreStatus::kStored);
  EXPECT_EQ(store(w, StoreMode::kPrepend, "a", 9, 5, "w", 0, vivify).status, StoreStatus::kStored);
  EXPECT_EQ(store(w, StoreMode::kPrepend, "p", 3, 0, "z", 12345, vivify).status,
            StoreStatus::kStored);
  std::optional<cache::ItemView> seen;
  std::string value;
  auto keep = [&](const cache::ItemView& item) {
    seen = item;
    value = std::string(item.value);
  };
  ASSERT_TRUE(get(w, "a", keep));
  EXPECT_EQ(value, "wxy");
  EXPECT_EQ(seen->flags, 7u);
  EXPECT_EQ(seen->exptime, cache::expiry_deadline(100, w.ctx.now()));
  ASSERT_TRUE(get(w, "p", keep));
  EXPECT_EQ(value, "z");
  EXPECT_EQ(seen->flags, 3u);
  EXPECT_EQ(seen->exptime, 0u);
}

TEST(Commands, PeekRecordsNoAccessAndCountsOnlyCmdMeta) {
  WorkerFixture<> f;
  ASSERT_EQ(store(f.worker(), StoreMode::kSet, "k", 0, 0, "v", 0).status, StoreStatus::kStored);
  bool fetched = true;
  EXPECT_TRUE(peek(f.worker(), "k", [&](const cache::ItemView& item) { fetched = item.fetched; }));
  EXPECT_FALSE(fetched);
  EXPECT_FALSE(peek(f.worker(), "absent", [](const cache::ItemView&) {}));
  EXPECT_EQ(f.worker().stats.cmd_get.load(), 0u);
  EXPECT_TRUE(get(f.worker(), "k", [&](const cache::ItemView& item) { fetched = item.fetched; }));
  EXPECT_FALSE(fetched);
  EXPECT_TRUE(peek(f.worker(), "k", [&](const cache::ItemView& item) { fetched = item.fetched; }));
  EXPECT_TRUE(fetched);
  EXPECT_EQ(f.worker().stats.cmd_get.load(), 1u);
  EXPECT_EQ(f.worker().stats.cmd_meta.load(), 3u);
}

TEST(Commands, ArithWithANewExptimeSetsItInTheSameStep) {
  WorkerFixture<> f;
  ASSERT_EQ(store(f.worker(), StoreMode::kSet, "n", 5, 100, "41", 0).status, StoreStatus::kStored);
  ArithArgs args;
  args.key = "n";
  args.delta = 1;
  args.new_exptime = 500;
  const ArithResult result = arith(f.worker(), args);
  ASSERT_EQ(result.status, ArithStatus::kOk);
  EXPECT_EQ(result.value, 42u);
  EXPECT_EQ(result.exptime, f.now() + 500);
  cache::Time exptime = 0;
  uint32_t flags = 0;
  get(f.worker(), "n", [&](const cache::ItemView& item) {
    exptime = item.exptime;
    flags = item.flags;
  });
  EXPECT_EQ(exptime, f.now() + 500);
  EXPECT_EQ(flags, 5u);  // incr keeps the flags
  // Without one, the deadline stays.
  args.new_exptime.reset();
  EXPECT_EQ(arith(f.worker(), args).exptime, f.now() + 500);
}

// A created counter takes the create exptime, an existing one the new exptime (meta's codec
// picks which deadline a created counter keeps when both T and N are given).
TEST(Commands, ArithCreatesWithTheCreateExptimeAndUpdatesWithTheNewOne) {
  WorkerFixture<> f;
  ArithArgs args;
  args.key = "a";
  args.create = true;
  args.initial = 7;
  args.delta = 1;
  args.exptime = 60;
  args.new_exptime = 90;
  ArithResult result = arith(f.worker(), args);
  ASSERT_EQ(result.status, ArithStatus::kOk);
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.value, 7u);
  EXPECT_EQ(result.exptime, f.now() + 60);
  result = arith(f.worker(), args);
  ASSERT_EQ(result.status, ArithStatus::kOk);
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.value, 8u);
  EXPECT_EQ(result.exptime, f.now() + 90);
}

TEST(Commands, EachCommandCountsItsStatistics) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  store(w, StoreMode::kSet, "k", 0, 0, "1", 0);
  store(w, StoreMode::kCas, "k", 0, 0, "2", 999);       // badval
  store(w, StoreMode::kCas, "absent", 0, 0, "2", 999);  // miss
  uint64_t cas = 0;
  get(w, "k", [&](const cache::ItemView& item) { cas = item.cas; });
  store(w, StoreMode::kCas, "k", 0, 0, "3", cas);  // hit
  get(w, "absent", [](const cache::ItemView&) {});
  touch(w, "k", 10);
  touch(w, "absent", 10);
  remove(w, "absent", std::nullopt);
  ArithArgs args;
  args.key = "k";
  args.delta = 1;
  arith(w, args);
  args.increment = false;
  args.key = "absent";
  arith(w, args);
  remove(w, "k", std::nullopt);
  const CommandStats& s = w.stats;
  EXPECT_EQ(s.cmd_set.load(), 4u);
  EXPECT_EQ(s.cas_badval.load(), 1u);
  EXPECT_EQ(s.cas_misses.load(), 1u);
  EXPECT_EQ(s.cas_hits.load(), 1u);
  EXPECT_EQ(s.cmd_get.load(), 2u);
  EXPECT_EQ(s.get_hits.load(), 1u);
  EXPECT_EQ(s.get_misses.load(), 1u);
  EXPECT_EQ(s.cmd_touch.load(), 2u);
  EXPECT_EQ(s.touch_hits.load(), 1u);
  EXPECT_EQ(s.touch_misses.load(), 1u);
  EXPECT_EQ(s.incr_hits.load(), 1u);
  EXPECT_EQ(s.decr_misses.load(), 1u);
  EXPECT_EQ(s.delete_hits.load(), 1u);
  EXPECT_EQ(s.delete_misses.load(), 1u);
}

// memcached's do_add_delta counts a hit only for a delta applied to a number, a miss only for
// a missing key it does not create.
TEST(Commands, ArithCountsNeitherNonNumericNorCasMismatchNorCreation) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  store(w, StoreMode::kSet, "text", 0, 0, "abc", 0);
  store(w, StoreMode::kSet, "n", 0, 0, "1", 0);
  ArithArgs args;
  args.key = "text";
  EXPECT_EQ(arith(w, args).status, ArithStatus::kNonNumeric);
  args.key = "n";
  args.cas = 1u << 30;
  EXPECT_EQ(arith(w, args).status, ArithStatus::kExists);
  args.cas = 0;
  args.key = "created";
  args.create = true;
  EXPECT_EQ(arith(w, args).status, ArithStatus::kOk);
  args.increment = false;
  args.key = "created2";
  EXPECT_EQ(arith(w, args).status, ArithStatus::kOk);
  EXPECT_EQ(w.stats.incr_hits.load() + w.stats.incr_misses.load(), 0u);
  EXPECT_EQ(w.stats.decr_hits.load() + w.stats.decr_misses.load(), 0u);
  args.create = false;
  EXPECT_EQ(arith(w, args).status, ArithStatus::kOk);  // created2 exists now
  EXPECT_EQ(w.stats.decr_hits.load(), 1u);
}

TEST(Commands, ATooLargeSetRemovesTheOldValue) {
  Settings settings;
  settings.max_item_size = 4096;
  WorkerFixture<> f(settings);
  Worker& w = f.worker();
  ASSERT_EQ(store(w, StoreMode::kSet, "k", 0, 0, "small", 0).status, StoreStatus::kStored);
  EXPECT_FALSE(fits(w, 1, 5000));
  EXPECT_EQ(store(w, StoreMode::kSet, "k", 0, 0, std::string(5000, 'x'), 0).status,
            StoreStatus::kTooLarge);
  EXPECT_FALSE(get(w, "k", [](const cache::ItemView&) {}));
  EXPECT_EQ(w.stats.store_too_large.load(), 1u);
  // Other modes keep what is there.
  ASSERT_EQ(store(w, StoreMode::kSet, "k", 0, 0, "small", 0).status, StoreStatus::kStored);
  refuse_too_large(w, StoreMode::kReplace, "k", Family::kClassic);
  EXPECT_TRUE(get(w, "k", [](const cache::ItemView&) {}));
  // meta's ms removes it whatever its mode.
  refuse_too_large(w, StoreMode::kAppend, "k", Family::kMeta);
  EXPECT_FALSE(get(w, "k", [](const cache::ItemView&) {}));
}

// memcached's do_store_item: an append or prepend needs an item, whatever cas it carries, and
// its miss is no cas miss.
TEST(Commands, AppendWithACasOnAMissIsNotStored) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  EXPECT_EQ(store(w, StoreMode::kAppend, "absent", 0, 0, "x", 5).status, StoreStatus::kNotStored);
  EXPECT_EQ(store(w, StoreMode::kPrepend, "absent", 0, 0, "x", 5).status, StoreStatus::kNotStored);
  EXPECT_EQ(w.stats.cas_misses.load(), 0u);
  EXPECT_EQ(store(w, StoreMode::kCas, "absent", 0, 0, "x", 5).status, StoreStatus::kNotFound);
  EXPECT_EQ(w.stats.cas_misses.load(), 1u);
}

// memcached's do_add_delta: an empty value is non-numeric before any cas compare, a value
// that is not a number only after it.
TEST(Commands, ArithRefusesAnEmptyValueBeforeComparingTheCas) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  auto increment_with_cas = [&w](std::string_view key, uint64_t cas) {
    ArithArgs args;
    args.key = key;
    args.delta = 1;
    args.cas = cas;
    return arith(w, args).status;
  };
  store(w, StoreMode::kSet, "empty", 0, 0, "", 0);
  EXPECT_EQ(increment_with_cas("empty", 999), ArithStatus::kNonNumeric);
  store(w, StoreMode::kSet, "text", 0, 0, "abc", 0);
  EXPECT_EQ(increment_with_cas("text", 999), ArithStatus::kExists);
  EXPECT_EQ(increment_with_cas("text", 0), ArithStatus::kNonNumeric);
}

// memcached's do_add_delta marks nothing fetched: a result written in place keeps the item's
// read state, a longer one is a new item nothing has read.
TEST(Commands, ArithKeepsTheReadStateOnlyInPlace) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  auto read_before = [&w](std::string_view key) {
    bool fetched = false;
    EXPECT_TRUE(peek(w, key, [&](const cache::ItemView& item) { fetched = item.fetched; }));
    return fetched;
  };
  auto increment = [&w](std::string_view key) {
    ArithArgs args;
    args.key = key;
    args.delta = 1;
    return arith(w, args).status;
  };
  auto read = [&w](std::string_view key) { get(w, key, [](const cache::ItemView&) {}); };
  store(w, StoreMode::kSet, "unread", 0, 0, "5", 0);
  ASSERT_EQ(increment("unread"), ArithStatus::kOk);
  EXPECT_FALSE(read_before("unread"));
  store(w, StoreMode::kSet, "in-place", 0, 0, "10", 0);
  read("in-place");
  ASSERT_EQ(increment("in-place"), ArithStatus::kOk);  // 11: same length
  EXPECT_TRUE(read_before("in-place"));
  store(w, StoreMode::kSet, "grown", 0, 0, "9", 0);
  read("grown");
  ASSERT_EQ(increment("grown"), ArithStatus::kOk);  // 10: longer
  EXPECT_FALSE(read_before("grown"));
}

TEST(Commands, StatsDetailCountsClassicRequestsOnly) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  w.server.runtime.detail_enabled.store(true);
  const MetaStoreOptions meta{.family = Family::kMeta};
  store(w, StoreMode::kSet, "m:a", 0, 0, "v", 0, meta);
  refuse_too_large(w, StoreMode::kSet, "m:b", Family::kMeta);
  remove(w, "m:a", std::nullopt, Family::kMeta);
  store(w, StoreMode::kSet, "c:a", 0, 0, "v", 0);
  refuse_too_large(w, StoreMode::kSet, "c:b", Family::kClassic);
  remove(w, "c:a", std::nullopt);
  std::map<std::string, PrefixCounts, std::less<>> counts;
  w.stats.detail.dump_into(counts);
  EXPECT_EQ(counts.count("m"), 0u);
  ASSERT_EQ(counts.count("c"), 1u);
  EXPECT_EQ(counts.at("c").sets, 2u);
  EXPECT_EQ(counts.at("c").deletes, 1u);
}

TEST(Commands, WithoutCasEveryCasShownIsZero) {
  Settings settings;
  settings.cas_enabled = false;  // -C
  WorkerFixture<> f(settings);
  Worker& w = f.worker();
  EXPECT_EQ(store(w, StoreMode::kSet, "k", 0, 0, "1", 0).cas, 0u);
  uint64_t cas = 1;
  auto see = [&](const cache::ItemView& item) { cas = item.cas; };
  EXPECT_TRUE(get(w, "k", see));
  EXPECT_EQ(cas, 0u);
  cas = 1;
  EXPECT_TRUE(peek(w, "k", see));
  EXPECT_EQ(cas, 0u);
  cas = 1;
  EXPECT_TRUE(get_and_touch(w, "k", 0, see));
  EXPECT_EQ(cas, 0u);
  cas = 1;
  EXPECT_TRUE(touch(w, "k", 0, see));
  EXPECT_EQ(cas, 0u);
  ArithArgs args;
  args.key = "k";
  args.delta = 1;
  const ArithResult incremented = arith(w, args);
  EXPECT_EQ(incremented.status, ArithStatus::kOk);
  EXPECT_EQ(incremented.cas, 0u);
  // A request's cas is compared with the 0 an item shows: only "no cas" passes.
  args.cas = 1;
  EXPECT_EQ(arith(w, args).status, ArithStatus::kExists);
  EXPECT_EQ(store(w, StoreMode::kCas, "k", 0, 0, "3", 0).status, StoreStatus::kExists);
  EXPECT_EQ(store(w, StoreMode::kAppend, "k", 0, 0, "3", 7).status, StoreStatus::kStored);
  EXPECT_EQ(remove(w, "k", uint64_t{7}), DeleteStatus::kExists);
  EXPECT_EQ(remove(w, "k", uint64_t{0}), DeleteStatus::kDeleted);
}

TEST(Commands, FlushAllCountsAsEachProtocolDoes) {
  Settings settings;
  settings.flush_enabled = false;  // -F
  WorkerFixture<> off(settings);
  EXPECT_EQ(flush_all(off.worker(), 0, FlushCount::kEveryRequest), FlushStatus::kDisabled);
  EXPECT_EQ(flush_all(off.worker(), std::nullopt, FlushCount::kEveryRequest),
            FlushStatus::kDisabled);  // refused before the delay is looked at
  EXPECT_EQ(flush_all(off.worker(), 0, FlushCount::kWhenFlushed), FlushStatus::kDisabled);
  EXPECT_EQ(off.worker().stats.cmd_flush.load(), 2u);
  WorkerFixture<> on;
  EXPECT_EQ(flush_all(on.worker(), std::nullopt, FlushCount::kEveryRequest),
            FlushStatus::kBadDelay);
  EXPECT_EQ(flush_all(on.worker(), 0, FlushCount::kWhenFlushed), FlushStatus::kFlushed);
  EXPECT_EQ(on.worker().stats.cmd_flush.load(), 2u);
}

TEST(Commands, DumpAllowedUnlessX) {
  WorkerFixture<> on;
  EXPECT_TRUE(dump_allowed(on.worker()));
  Settings settings;
  settings.dump_enabled = false;  // -X
  WorkerFixture<> off(settings);
  EXPECT_FALSE(dump_allowed(off.worker()));
}

TEST(Commands, ASetWithoutMemoryRemovesTheOldValue) {
  Settings settings;
  settings.evictions = false;  // -M
  settings.memory_limit = 1 << 20;
  WorkerFixture<> f(settings);
  Worker& w = f.worker();
  const std::string value(1000, 'v');
  for (int i = 0;; ++i) {
    const StoreStatus status =
        store(w, StoreMode::kSet, "k" + std::to_string(i), 0, 0, value, 0).status;
    if (status == StoreStatus::kNoMemory) break;
    ASSERT_EQ(status, StoreStatus::kStored);
  }
  EXPECT_EQ(store(w, StoreMode::kReplace, "k1", 0, 0, value, 0).status, StoreStatus::kNoMemory);
  EXPECT_TRUE(get(w, "k1", [](const cache::ItemView&) {}));
  EXPECT_EQ(store(w, StoreMode::kSet, "k1", 0, 0, value, 0).status, StoreStatus::kNoMemory);
  EXPECT_FALSE(get(w, "k1", [](const cache::ItemView&) {}));
  EXPECT_EQ(w.stats.store_no_memory.load(), 3u);  // the one that ended the fill, and these
}

}  // namespace
}  // namespace cuckood::proto
