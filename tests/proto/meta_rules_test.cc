// The command layer's stale-while-revalidate rules (proto/commands.h: meta_get, invalidate,
// MetaStoreOptions) called directly: what each shows, the item marks they leave, and the
// statistics memcached 1.6.18 counts for them (each checked against its `stats`).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "proto/commands.h"
#include "tests/proto/worker_fixture.h"

namespace cuckood::proto {
namespace {

using testing::WorkerFixture;

struct Shown {
  std::string value;
  uint64_t cas = 0;
  cache::Marks marks = 0;
  cache::Time exptime = 0;
  cache::Time exptime_before = 0;
  bool created = false;
  bool won = false;
  bool win_sent = false;
  bool stale = false;
};

// meta_get with the given steps (T, N, R values from `args`); nullopt on a miss.
std::optional<Shown> meta(Worker& w, MetaGetArgs args) {
  std::optional<Shown> shown;
  const bool hit = meta_get(w, args, [&](const MetaGetHit& h) {
    EXPECT_FALSE(shown.has_value()) << "shown twice";
    shown = Shown{std::string(h.item.value),
                  h.item.cas,
                  h.item.marks,
                  h.item.exptime,
                  h.exptime_before,
                  h.created,
                  h.won,
                  h.win_sent,
                  h.stale};
  });
  EXPECT_EQ(hit, shown.has_value());
  return shown;
}

MetaGetArgs args_for(std::string_view key, std::initializer_list<MetaGetStep> steps = {}) {
  MetaGetArgs args;
  args.key = key;
  for (MetaGetStep step : steps) args.steps[args.step_count++] = step;
  return args;
}

TEST(MetaRules, PlainReadOfAFreshItemChangesNothing) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  const uint64_t cas = store(w, StoreMode::kSet, "k", 0, 100, "v", 0).cas;
  MetaGetArgs args = args_for("k", {MetaGetStep::kRecache});
  args.recache_below = 30;  // 100 s left: no win
  for (int i = 0; i < 3; ++i) {
    const auto shown = meta(w, args);
    ASSERT_TRUE(shown.has_value());
    EXPECT_EQ(shown->cas, cas);
    EXPECT_EQ(shown->marks, 0);
    EXPECT_FALSE(shown->won || shown->win_sent || shown->stale);
  }
  EXPECT_EQ(w.stats.cmd_get.load(), 3u);
  EXPECT_EQ(w.stats.get_hits.load(), 3u);
}

TEST(MetaRules, VivifyCreatesAnEmptyItemWhoseCreatorWins) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  MetaGetArgs args = args_for("nv", {MetaGetStep::kVivify});
  args.vivify_exptime = 30;
  const auto first = meta(w, args);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->created && first->won && !first->win_sent);
  EXPECT_EQ(first->value, "");
  EXPECT_EQ(first->exptime, f.now() + 30);
  EXPECT_EQ(first->exptime_before, 0u);
  EXPECT_EQ(first->marks, item_marks::kWinSent);
  const auto second = meta(w, args);
  EXPECT_TRUE(!second->created && !second->won && second->win_sent);
  // As memcached: a created item counts as a get hit and a new item, not as a set.
  EXPECT_EQ(w.stats.cmd_get.load(), 2u);
  EXPECT_EQ(w.stats.get_hits.load(), 2u);
  EXPECT_EQ(w.stats.get_misses.load(), 0u);
  EXPECT_EQ(w.stats.cmd_set.load(), 0u);
  EXPECT_EQ(f.cache().stats().total_items, 1u);
}

TEST(MetaRules, TouchCountsAHitAsATouchAndAMissAsAGet) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  MetaGetArgs args = args_for("k", {MetaGetStep::kTouch});
  args.touch_exptime = 30;
  EXPECT_FALSE(meta(w, args).has_value());
  EXPECT_EQ(w.stats.cmd_get.load(), 1u);
  EXPECT_EQ(w.stats.get_misses.load(), 1u);
  EXPECT_EQ(w.stats.cmd_touch.load(), 0u);
  store(w, StoreMode::kSet, "k", 0, 100, "v", 0);
  const auto shown = meta(w, args);
  EXPECT_EQ(shown->exptime, f.now() + 30);
  EXPECT_EQ(shown->exptime_before, f.now() + 100);
  EXPECT_EQ(w.stats.cmd_touch.load(), 1u);
  EXPECT_EQ(w.stats.touch_hits.load(), 1u);
  EXPECT_EQ(w.stats.cmd_get.load(), 1u);
}

TEST(MetaRules, RecacheJudgesTheDeadlineLeftByEarlierSteps) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  store(w, StoreMode::kSet, "k", 0, 100, "v", 0);
  MetaGetArgs touch_then_recache = args_for("k", {MetaGetStep::kTouch, MetaGetStep::kRecache});
  touch_then_recache.touch_exptime = 10;
  touch_then_recache.recache_below = 30;
  MetaGetArgs recache_then_touch = touch_then_recache;
  recache_then_touch.steps = {MetaGetStep::kRecache, MetaGetStep::kTouch};
  EXPECT_FALSE(meta(w, recache_then_touch)->won);  // judged 100 s
  store(w, StoreMode::kSet, "k", 0, 100, "v", 0);
  EXPECT_TRUE(meta(w, touch_then_recache)->won);  // judged 10 s
  EXPECT_TRUE(meta(w, touch_then_recache)->win_sent);
}

TEST(MetaRules, InvalidateCountsOnlyItsFailuresAsDeleteMisses) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  const uint64_t cas = store(w, StoreMode::kSet, "k", 7, 0, "v", 0).cas;
  EXPECT_EQ(invalidate(w, "nokey", std::nullopt, std::nullopt), StoreStatus::kNotFound);
  EXPECT_EQ(invalidate(w, "k", cas + 1, std::nullopt), StoreStatus::kExists);
  EXPECT_EQ(w.stats.delete_misses.load(), 2u);
  EXPECT_EQ(invalidate(w, "k", cas, 50), StoreStatus::kStored);
  EXPECT_EQ(w.stats.delete_misses.load(), 2u);
  EXPECT_EQ(w.stats.delete_hits.load(), 0u);
  const auto shown = meta(w, args_for("k"));
  ASSERT_TRUE(shown.has_value());
  EXPECT_NE(shown->cas, cas);  // a new cas
  EXPECT_EQ(shown->exptime, f.now() + 50);
  EXPECT_EQ(shown->value, "v");
  EXPECT_TRUE(shown->stale && shown->won);
  EXPECT_EQ(f.cache().stats().total_items, 1u);  // the stale copy is no new item
}

TEST(MetaRules, DeleteCountsACasMismatchAsMemcachedCountsIt) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  const uint64_t cas = store(w, StoreMode::kSet, "k", 0, 0, "v", 0).cas;
  EXPECT_EQ(remove(w, "k", cas + 1), DeleteStatus::kExists);  // binary: counts nothing
  EXPECT_EQ(w.stats.delete_hits.load() + w.stats.delete_misses.load(), 0u);
  EXPECT_EQ(remove(w, "k", cas + 1, Family::kMeta), DeleteStatus::kExists);  // md
  EXPECT_EQ(w.stats.delete_misses.load(), 1u);
  EXPECT_EQ(w.stats.delete_hits.load(), 0u);
}

TEST(MetaRules, StaleStoreIsACasHitThatKeepsDeadlineAndWinState) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  const uint64_t first = store(w, StoreMode::kSet, "k", 0, 0, "v", 0).cas;
  ASSERT_EQ(invalidate(w, "k", std::nullopt, 40), StoreStatus::kStored);
  ASSERT_TRUE(meta(w, args_for("k"))->won);
  const MetaStoreOptions stale{.invalidate = true};
  EXPECT_EQ(store(w, StoreMode::kCas, "k", 0, 90, "s", 0, stale).status, StoreStatus::kExists);
  const StoreResult stored = store(w, StoreMode::kCas, "k", 0, 90, "s", first, stale);
  EXPECT_EQ(stored.status, StoreStatus::kStored);
  EXPECT_EQ(w.stats.cas_hits.load(), 1u);
  EXPECT_EQ(w.stats.cas_badval.load(), 1u);
  const auto shown = meta(w, args_for("k"));
  EXPECT_EQ(shown->value, "s");
  EXPECT_EQ(shown->exptime, f.now() + 40);  // the item's deadline, not the request's
  EXPECT_TRUE(shown->stale && shown->win_sent && !shown->won);
  // I only applies to a cas compare: a set with a newer cas, or an add, are as without it.
  EXPECT_EQ(store(w, StoreMode::kCas, "k", 0, 0, "n", stored.cas + 1, stale).status,
            StoreStatus::kExists);
  EXPECT_EQ(store(w, StoreMode::kAdd, "k", 0, 0, "n", 1, stale).status, StoreStatus::kNotStored);
  EXPECT_EQ(store(w, StoreMode::kSet, "k", 0, 0, "n", 0, stale).status, StoreStatus::kStored);
  EXPECT_EQ(meta(w, args_for("k"))->marks, 0);
}

TEST(MetaRules, BinaryKeyIsMarkedExceptOnJoins) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  const MetaStoreOptions binary{.binary_key = true};
  store(w, StoreMode::kSet, "k", 0, 0, "v", 0, binary);
  EXPECT_EQ(meta(w, args_for("k"))->marks, item_marks::kBinaryKey);
  store(w, StoreMode::kAppend, "k", 0, 0, "w", 0, binary);
  EXPECT_EQ(meta(w, args_for("k"))->marks, 0);  // memcached builds the joined item afresh
}

TEST(MetaRules, WithoutCasTheViewShowsNone) {
  Settings settings;
  settings.cas_enabled = false;  // -C
  WorkerFixture<> f(settings);
  Worker& w = f.worker();
  store(w, StoreMode::kSet, "k", 0, 0, "v", 0);
  EXPECT_EQ(meta(w, args_for("k"))->cas, 0u);
  ASSERT_EQ(invalidate(w, "k", std::nullopt, std::nullopt), StoreStatus::kStored);
  EXPECT_EQ(meta(w, args_for("k"))->cas, 0u);  // the win path shows none either
}

// md C0 asks for an item whose cas is 0, as memcached compares it: none is, unless cas is off
// (-C), where every item shows 0.
TEST(MetaRules, DeleteWithCasZeroDemandsCasZero) {
  WorkerFixture<> f;
  Worker& w = f.worker();
  store(w, StoreMode::kSet, "k", 0, 0, "v", 0);
  EXPECT_EQ(remove(w, "k", uint64_t{0}, Family::kMeta), DeleteStatus::kExists);
  EXPECT_EQ(invalidate(w, "k", uint64_t{0}, std::nullopt), StoreStatus::kExists);
  EXPECT_EQ(w.stats.delete_misses.load(), 2u);
  EXPECT_EQ(remove(w, "k", std::nullopt, Family::kMeta), DeleteStatus::kDeleted);
  EXPECT_EQ(remove(w, "k", uint64_t{0}, Family::kMeta), DeleteStatus::kNotFound);

  Settings settings;
  settings.cas_enabled = false;  // -C
  WorkerFixture<> without_cas(settings);
  Worker& c = without_cas.worker();
  store(c, StoreMode::kSet, "k", 0, 0, "v", 0);
  EXPECT_EQ(invalidate(c, "k", uint64_t{0}, std::nullopt), StoreStatus::kStored);
  EXPECT_EQ(remove(c, "k", uint64_t{1}, Family::kMeta), DeleteStatus::kExists);
  EXPECT_EQ(remove(c, "k", uint64_t{0}, Family::kMeta), DeleteStatus::kDeleted);
}

}  // namespace
}  // namespace cuckood::proto
