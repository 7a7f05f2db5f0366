// CuckooIndex: single-threaded semantics, growth, and the concurrency promise that matters —
// a reader never misses a key that is present, while cuckoo moves and table growth run.
// The growth test also measures the worst lookup latency while the table doubles.
#include "cache/cuckoo_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache/epoch.h"
#include "cache/key_hasher.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {

// CuckooIndex's test seam: the hook in update()'s window between its two locks, and the
// doubling a grow() publishes once every stripe is in the current layout.
class CuckooIndexTestPeer {
 public:
  static void set_doubling_window_hook(CuckooIndex& index, const FunctionRef<void()>* hook) {
    index.doubling_window_hook_ = hook;
  }
  // Publishes a doubling as another writer's grow() does after its pass over every stripe's
  // lock; only when no migration is under way, so that the pass would have changed nothing.
  static bool publish_doubling(CuckooIndex& index) {
    if (index.growing()) return false;
    index.publish_doubling(index.generation_.load(std::memory_order_relaxed));
    return true;
  }
};

namespace {

using Decision = CuckooIndex::Decision;

// Every test runs on a table of kStripes buckets, whose stripes are single buckets, and on one
// of twice that, whose stripes take runs of two buckets (the parameter: the initial buckets).
class CuckooIndexTest : public ::testing::TestWithParam<size_t> {
 protected:
  // Migration reads an item to rehash its key only when its slot lacks the hash bit it needs:
  // the hook counts those reads.
  CuckooIndexTest()
      : index_(
            [this](std::string_view k) {
              rehashes_.fetch_add(1, std::memory_order_relaxed);
              return hasher_(k);
            },
            GetParam()) {}

  HashedKey key(const std::string& k) const { return hasher_.hashed(k); }
  // The initial table's size in tables of kStripes buckets: workloads meant to make it double
  // a given number of times scale with it.
  static int table_scale() { return static_cast<int>(GetParam() / CuckooIndex::kStripes); }
  // The hashed keys prefix0 .. prefix<n-1>; they point into `names`.
  std::vector<HashedKey> numbered_keys(std::string_view prefix, int n,
                                       std::vector<std::string>& names) const {
    for (int i = 0; i < n; ++i) names.push_back(testing::numbered(prefix, i));
    std::vector<HashedKey> keys;
    for (const auto& name : names) keys.push_back(key(name));
    return keys;
  }
  Item* make(const std::string& k, const std::string& v = "v") { return items_.make(k, v); }
  // Links `item` under its key unconditionally; returns the previous item.
  Item* put(Item* item) {
    EpochGuard guard(epoch_, *participant_);
    return index_.update(key(std::string(item->key())), [&](Item*) { return Decision::put(item); })
        .previous;
  }
  Item* find(const std::string& k) {
    EpochGuard guard(epoch_, *participant_);
    return index_.find(key(k));
  }
  // prefetch_buckets then prefetch_items, as a batch does; the items prefetched.
  size_t prefetch(const std::string& k) {
    EpochGuard guard(epoch_, *participant_);
    index_.prefetch_buckets(key(k));
    return index_.prefetch_items(key(k));
  }

  KeyHasher hasher_{7};
  EpochDomain epoch_;
  CuckooIndex index_;
  EpochParticipant* participant_ = epoch_.register_participant();
  testing::ItemArena items_;
  std::atomic<size_t> rehashes_{0};  // counted on whichever thread migrates
};

TEST_P(CuckooIndexTest, PutFindReplaceErase) {
  EXPECT_EQ(find("a"), nullptr);
  Item* a1 = make("a", "1");
  EXPECT_EQ(put(a1), nullptr);
  EXPECT_EQ(find("a"), a1);
  Item* a2 = make("a", "2");
  EXPECT_EQ(put(a2), a1);
  EXPECT_EQ(find("a"), a2);
  EXPECT_EQ(index_.count_slow(), 1u);
  {
    EpochGuard guard(epoch_, *participant_);
    EXPECT_FALSE(index_.unlink(a1, [] { return true; }));   // no longer linked
    EXPECT_FALSE(index_.unlink(a2, [] { return false; }));  // condition refuses
    EXPECT_TRUE(index_.unlink(a2, [] { return true; }));
  }
  EXPECT_EQ(find("a"), nullptr);
  EXPECT_EQ(index_.count_slow(), 0u);
}

TEST_P(CuckooIndexTest, KeepLeavesTheSlotAndRelinkSwapsACopy) {
  Item* a = make("a", "1");
  put(a);
  EpochGuard guard(epoch_, *participant_);
  const auto result = index_.update(key("a"), [&](Item* current) {
    EXPECT_EQ(current, a);
    return Decision::keep();
  });
  EXPECT_FALSE(result.changed);
  Item* copy = make("a", "1");
  a->set_exptime(99);
  a->mark_read();
  EXPECT_TRUE(index_.relink(a, copy));
  EXPECT_EQ(index_.find(key("a")), copy);
  EXPECT_EQ(copy->exptime(), 99u);  // the copy took the linked item's deadline
  EXPECT_TRUE(copy->fetched());     // and its read state, CLOCK bit included
  EXPECT_TRUE(copy->take_reference());
  EXPECT_FALSE(index_.relink(a, make("a", "1")));
}

TEST_P(CuckooIndexTest, KeyOfGivesTheHashedKeyThatUnlinkAndRelinkTake) {
  Item* a = make("a", "1");
  put(a);
  const HashedKey a_key = index_.key_of(a);
  EXPECT_EQ(a_key.key, "a");
  EXPECT_EQ(a_key.hash, key("a").hash);
  EpochGuard guard(epoch_, *participant_);
  Item* copy = make("a", "2");
  EXPECT_TRUE(index_.relink(a_key, a, copy));
  EXPECT_EQ(index_.find(key("a")), copy);
  EXPECT_FALSE(index_.unlink(a_key, a, [] { return true; }));  // a is no longer linked
  EXPECT_TRUE(index_.unlink(index_.key_of(copy), copy, [] { return true; }));
  EXPECT_EQ(index_.find(key("a")), nullptr);
}

// Links fresh items key0 .. key<n-1>, each holding `value`, and returns them in that order.
// The caller is inside a critical section.
std::vector<Item*> link_numbered(CuckooIndex& index, const KeyHasher& hasher,
                                 testing::ItemArena& items, size_t n, const std::string& value) {
  std::vector<Item*> linked;
  for (size_t i = 0; i < n; ++i) {
    Item* item = items.make(testing::numbered("key", i), value);
    index.update(hasher.hashed(item->key()), [&](Item*) { return Decision::put(item); });
    linked.push_back(item);
  }
  return linked;
}

// A table at its largest size, nearly full, holds many keys in their alternate bucket. update()
// takes a key found in its primary bucket under that bucket's stripe lock alone, and any other
// under both: replacing, keeping and erasing must act alike on either side.
TEST(CuckooIndexUpdateTest, ReplacesKeepsAndErasesKeysInEitherOfTheirBuckets) {
  KeyHasher hasher{7};
  EpochDomain epoch;
  constexpr size_t kBuckets = CuckooIndex::kStripes;
  CuckooIndex index([&](std::string_view k) { return hasher(k); }, kBuckets, kBuckets);
  EpochParticipant* participant = epoch.register_participant();
  testing::ItemArena items;
  const size_t n = kBuckets * CuckooIndex::kSlotsPerBucket * 95 / 100;
  EpochGuard guard(epoch, *participant);
  std::vector<Item*> linked = link_numbered(index, hasher, items, n, "0");
  ASSERT_EQ(index.bucket_count(), kBuckets);
  size_t in_primary = 0, in_alternate = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    size_t position = b, span = kBuckets;
    index.walk(position, span, 1, [&](Item* item) {
      ((hasher(item->key()) & (kBuckets - 1)) == b ? in_primary : in_alternate) += 1;
    });
  }
  ASSERT_GT(in_primary, n / 2);
  ASSERT_GT(in_alternate, n / 20);  // both paths are taken below

  for (Item*& item : linked) {
    Item* replacement = items.make(item->key(), "1");
    const auto result = index.update(hasher.hashed(item->key()), [&](Item* current) {
      EXPECT_EQ(current, item);
      return Decision::put(replacement);
    });
    EXPECT_EQ(result.previous, item);
    EXPECT_TRUE(result.changed);
    item = replacement;
  }
  for (Item* item : linked) {
    const auto result = index.update(hasher.hashed(item->key()), [&](Item* current) {
      EXPECT_EQ(current, item);
      return Decision::keep();
    });
    EXPECT_EQ(result.previous, item);
    EXPECT_FALSE(result.changed);
    ASSERT_EQ(index.find(hasher.hashed(item->key())), item) << item->key();
  }
  EXPECT_EQ(index.count_slow(), n);
  for (size_t i = 0; i < n; i += 2) {
    const auto result =
        index.update(hasher.hashed(linked[i]->key()), [](Item*) { return Decision::erase(); });
    EXPECT_EQ(result.previous, linked[i]);
    EXPECT_TRUE(result.changed);
  }
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(index.find(hasher.hashed(linked[i]->key())), i % 2 == 0 ? nullptr : linked[i]);
  }
  EXPECT_EQ(index.count_slow(), n / 2);
  // An erase of an absent key changes nothing, and its decision sees no item.
  const auto absent = index.update(hasher.hashed(linked[0]->key()), [](Item* current) {
    EXPECT_EQ(current, nullptr);
    return Decision::erase();
  });
  EXPECT_FALSE(absent.changed);
  EXPECT_EQ(absent.previous, nullptr);
}

// An insert scans its key's primary bucket under that stripe's lock alone, then takes the
// alternate stripe's. A doubling published in between (by a writer whose grow() passed our
// stripe's lock before we took it) sends half of the primary bucket's keys up, and the new key
// with them half the time: the insert must look at its primary bucket again. The hook publishes
// a doubling in that window whenever the previous one's migration is over; every key must then
// be found where it was put (without the second look, each doubling loses the key being
// inserted one time in two).
TEST(CuckooIndexUpdateTest, InsertsLookAgainAfterADoublingBetweenTheirTwoLocks) {
  KeyHasher hasher{7};
  EpochDomain epoch;
  CuckooIndex index([&](std::string_view k) { return hasher(k); }, CuckooIndex::kStripes);
  EpochParticipant* participant = epoch.register_participant();
  testing::ItemArena items;
  constexpr size_t kDoublings = 8;
  size_t doublings = 0;
  auto double_in_window = [&] {
    if (doublings < kDoublings && CuckooIndexTestPeer::publish_doubling(index)) ++doublings;
  };
  const FunctionRef<void()> hook(double_in_window);
  CuckooIndexTestPeer::set_doubling_window_hook(index, &hook);
  constexpr size_t kKeys = 16 * CuckooIndex::kStripes;
  EpochGuard guard(epoch, *participant);
  const std::vector<Item*> linked = link_numbered(index, hasher, items, kKeys, "v");
  CuckooIndexTestPeer::set_doubling_window_hook(index, nullptr);
  EXPECT_EQ(doublings, kDoublings);
  EXPECT_EQ(index.bucket_count(), CuckooIndex::kStripes << kDoublings);
  for (Item* item : linked) {
    ASSERT_EQ(index.find(hasher.hashed(item->key())), item) << item->key();
  }
  EXPECT_EQ(index.count_slow(), kKeys);
}

// Two writers count every present key up, round after round, while a third inserts fresh keys
// (keeping some, so that the table doubles and then fills at its largest size) and erases
// others, whose cuckoo paths move present keys between their two buckets: each count must end
// at twice the rounds (no increment lost to the other writer of the key or to a move, none
// applied twice), whichever bucket the key is in and whichever locks its update took.
TEST(CuckooIndexUpdateTest, ConcurrentIncrementsRaceCuckooMovesAndGrowthWithoutLosingOne) {
  KeyHasher hasher{7};
  EpochDomain epoch;
  constexpr size_t kBuckets = CuckooIndex::kStripes;
  constexpr int kWriters = 2, kRounds = 60;
  CuckooIndex index([&](std::string_view k) { return hasher(k); }, kBuckets, 4 * kBuckets);
  const size_t present = kBuckets * CuckooIndex::kSlotsPerBucket * 90 / 100;
  // Enough kept fresh keys to double the table twice and fill it to 3/4 of its largest size.
  const size_t keep = 4 * kBuckets * CuckooIndex::kSlotsPerBucket * 3 / 4 - present;
  testing::ItemArena setup;
  std::vector<std::string> names;
  {
    EpochParticipant* me = epoch.register_participant();
    EpochGuard guard(epoch, *me);
    for (size_t i = 0; i < present; ++i) {
      Item* item = setup.make(testing::numbered("present", i), "0");
      names.emplace_back(item->key());
      index.update(hasher.hashed(item->key()), [&](Item*) { return Decision::put(item); });
    }
  }
  std::atomic<bool> done{false};
  std::atomic<uint64_t> wrong{0};
  std::atomic<size_t> kept{0};
  // Outlive the threads: their items stay linked (or are read by the others) after they end.
  std::vector<testing::ItemArena> arenas(kWriters + 1);
  auto writer = [&](int w) {
    EpochParticipant* me = epoch.register_participant();
    testing::ItemArena& arena = arenas[static_cast<size_t>(w)];
    for (int round = 0; round < kRounds; ++round) {
      for (const std::string& name : names) {
        EpochGuard guard(epoch, *me);
        index.update(hasher.hashed(name), [&](Item* current) {
          if (current == nullptr) {
            wrong.fetch_add(1);
            return Decision::keep();
          }
          const int count = std::stoi(std::string(current->value()));
          return Decision::put(arena.make(name, std::to_string(count + 1)));
        });
      }
    }
    epoch.unregister_participant(me);
  };
  auto churner = [&] {
    EpochParticipant* me = epoch.register_participant();
    testing::ItemArena& arena = arenas[kWriters];
    for (uint64_t i = 0; !done.load(std::memory_order_relaxed); ++i) {
      EpochGuard guard(epoch, *me);
      Item* item = arena.make(testing::numbered("churn", i), "c");
      index.update(hasher.hashed(item->key()), [&](Item*) { return Decision::put(item); });
      if (i % 2 == 1 && kept.load(std::memory_order_relaxed) < keep) {
        kept.fetch_add(1, std::memory_order_relaxed);
      } else {
        index.unlink(item, [] { return true; });
      }
    }
    epoch.unregister_participant(me);
  };
  std::thread churn(churner);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back(writer, w);
  for (auto& t : writers) t.join();
  done = true;
  churn.join();

  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(index.growths(), 0u);
  EXPECT_EQ(index.count_slow(), present + kept.load());
  EpochParticipant* me = epoch.register_participant();
  EpochGuard guard(epoch, *me);
  for (const std::string& name : names) {
    const Item* found = index.find(hasher.hashed(name));
    ASSERT_NE(found, nullptr) << name;
    EXPECT_EQ(found->value(), std::to_string(kWriters * kRounds)) << name;
  }
}

TEST_P(CuckooIndexTest, GrowsFromSmallAndKeepsEveryKey) {
  const size_t initial = index_.bucket_count();
  const int n = static_cast<int>(initial * CuckooIndex::kSlotsPerBucket * 3);
  for (int i = 0; i < n; ++i) put(make(testing::numbered("key", i)));
  EXPECT_GT(index_.bucket_count(), initial);
  EXPECT_EQ(index_.count_slow(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_NE(find(testing::numbered("key", i)), nullptr) << i;
}

TEST_P(CuckooIndexTest, GrowingOnlyWhileStripesMigrate) {
  EXPECT_FALSE(index_.growing());
  EXPECT_EQ(index_.growths(), 0u);
  const size_t initial = index_.bucket_count();
  int i = 0;
  while (index_.bucket_count() == initial) put(make(testing::numbered("key", i++)));
  const size_t before_first = static_cast<size_t>(i - 1);  // the last insert came after it
  // The doubling insert migrated its own stripes and helped with one more, no others.
  EXPECT_TRUE(index_.growing());
  EXPECT_EQ(index_.growths(), 1u) << "counted when published, not when migrated";
  EXPECT_EQ(index_.count_slow(), static_cast<size_t>(i));
  // Every update helps migrate one stripe: all are in the new layout after kStripes more.
  for (size_t n = 0; n < CuckooIndex::kStripes; ++n) put(make(testing::numbered("key", i++)));
  EXPECT_FALSE(index_.growing());
  EXPECT_EQ(index_.bucket_count(), initial * 2);
  EXPECT_EQ(index_.count_slow(), static_cast<size_t>(i));
  for (int k = 0; k < i; ++k) ASSERT_NE(find(testing::numbered("key", k)), nullptr) << k;
  // Every slot written since the index was made noted the hash bits the doubling needed.
  EXPECT_EQ(rehashes_.load(), 0u);

  // A slot keeps the bits of its next kNextBitsKept doublings: the entries linked before the
  // first doubling are read at the doubling after those, each once, and no other entry is.
  for (uint32_t growths = 2; growths <= CuckooIndex::kNextBitsKept + 1; ++growths) {
    const size_t buckets = index_.bucket_count();
    while (index_.bucket_count() == buckets) put(make(testing::numbered("key", i++)));
    for (size_t n = 0; n < CuckooIndex::kStripes; ++n) put(make(testing::numbered("key", i++)));
    EXPECT_FALSE(index_.growing());
    EXPECT_EQ(index_.growths(), growths);
    EXPECT_EQ(rehashes_.load(), growths <= CuckooIndex::kNextBitsKept ? 0 : before_first)
        << growths;
  }
  EXPECT_EQ(index_.count_slow(), static_cast<size_t>(i));
  for (int k = 0; k < i; ++k) ASSERT_NE(find(testing::numbered("key", k)), nullptr) << k;
}

TEST_P(CuckooIndexTest, ReadsAndWritesFindKeysInEitherLayoutWhileMigrating) {
  const size_t initial = index_.bucket_count();
  int i = 0;
  while (index_.bucket_count() == initial) put(make(testing::numbered("key", i++)));
  ASSERT_TRUE(index_.growing());
  // Most stripes are still in the old layout: every key is found, replaced and erased there.
  for (int k = 0; k < i; ++k) ASSERT_NE(find(testing::numbered("key", k)), nullptr) << k;
  Item* replacement = make("key0", "new");
  Item* previous = put(replacement);
  ASSERT_NE(previous, nullptr);
  EXPECT_NE(previous, replacement);
  EXPECT_EQ(find("key0"), replacement);
  {
    EpochGuard guard(epoch_, *participant_);
    EXPECT_TRUE(index_.unlink(replacement, [] { return true; }));
  }
  EXPECT_EQ(find("key0"), nullptr);
  EXPECT_EQ(index_.count_slow(), static_cast<size_t>(i - 1));
  // A walk started before the migration ends sees every entry once when nothing else runs.
  size_t position = 0, span = 0, visited = 0;
  {
    EpochGuard guard(epoch_, *participant_);
    while (!index_.walk(position, span, 64, [&](Item*) { ++visited; })) {
    }
  }
  EXPECT_EQ(visited, static_cast<size_t>(i - 1));
  EXPECT_TRUE(index_.growing());
}

TEST_P(CuckooIndexTest, LoadFactorBeforeGrowthIsHigh) {
  // With 8-slot buckets and BFS paths, the table fills well before it has to double.
  const size_t slots = index_.bucket_count() * CuckooIndex::kSlotsPerBucket;
  size_t inserted = 0;
  while (index_.bucket_count() * CuckooIndex::kSlotsPerBucket == slots) {
    put(make(testing::numbered("fill", inserted++)));
  }
  const double load = static_cast<double>(inserted - 1) / static_cast<double>(slots);
  std::printf("[ metric ] load factor at first growth: %.3f\n", load);
  EXPECT_GT(load, 0.90);
}

// A walk that a doubling and its whole migration interrupt finishes over the doubled table
// and sees every entry linked when it began exactly once. A cuckoo move may carry an entry
// across a walk's position, so the keys here are ones no move can carry: their tags make both
// their buckets the same in tables of up to twice the initial size, so a full bucket doubles
// the table.
TEST_P(CuckooIndexTest, AWalkSurvivesADoublingAndItsMigration) {
  const uint64_t same_bucket_tags = 2 * index_.bucket_count();
  std::vector<std::string> names;
  for (uint64_t i = 0; names.size() < 4 * index_.bucket_count(); ++i) {
    std::string name = testing::numbered("key", i);
    const uint64_t tag = hasher_(name) >> 51;  // the top 13 bits
    if ((tag + 1) % same_bucket_tags == 0) names.push_back(std::move(name));
  }
  // The number of these keys whose insert doubles the table, learnt on a twin index.
  size_t doubling = 0;
  {
    CuckooIndex twin([this](std::string_view k) { return hasher_(k); }, GetParam());
    while (twin.bucket_count() == index_.bucket_count()) {
      Item* item = make(names.at(doubling++));
      EpochGuard guard(epoch_, *participant_);
      twin.update(key(std::string(item->key())), [&](Item*) { return Decision::put(item); });
    }
  }
  const size_t initial = index_.bucket_count();
  std::vector<Item*> linked;
  for (size_t i = 0; i + 1 < doubling; ++i) {
    linked.push_back(make(names[i]));
    put(linked.back());
  }
  std::map<const Item*, int> seen;
  size_t position = 0, span = 0;
  auto walk = [&](size_t count) {
    EpochGuard guard(epoch_, *participant_);
    return index_.walk(position, span, count, [&](Item* item) { ++seen[item]; });
  };
  EXPECT_FALSE(walk(initial / 2));
  put(make(names[doubling - 1]));
  ASSERT_EQ(index_.bucket_count(), 2 * initial);
  // Replacing an entry with itself moves nothing, and helps migrate one stripe.
  for (size_t k = 0; index_.growing(); ++k) put(linked[k % linked.size()]);
  while (!walk(64)) {
  }
  for (const Item* item : linked) EXPECT_EQ(seen[item], 1) << item->key();
}

// A table at its largest size makes room by cuckoo paths alone: it neither doubles nor faults
// in memory beyond its reservation, and keeps every key.
TEST(CuckooIndexGrowthTest, NeverGrowsPastItsLargestSize) {
  KeyHasher hasher{7};
  EpochDomain epoch;
  constexpr size_t kBuckets = 64 * CuckooIndex::kStripes;
  CuckooIndex index([&](std::string_view k) { return hasher(k); }, kBuckets, kBuckets);
  EpochParticipant* participant = epoch.register_participant();
  testing::ItemArena items;
  // Past the load at which a table this large doubles ahead of need.
  const size_t n = kBuckets * CuckooIndex::kSlotsPerBucket * 96 / 100;
  std::vector<Item*> linked;
  for (size_t i = 0; i < n; ++i) {
    linked.push_back(items.make(testing::numbered("key", i), "v"));
    EpochGuard guard(epoch, *participant);
    index.update(hasher.hashed(linked.back()->key()),
                 [&](Item*) { return Decision::put(linked.back()); });
  }
  EXPECT_EQ(index.bucket_count(), kBuckets);
  EXPECT_EQ(index.growths(), 0u);
  EXPECT_EQ(index.faulted_ahead(), 0u);
  EXPECT_EQ(index.count_slow(), n);
  EpochGuard guard(epoch, *participant);
  for (const Item* item : linked) {
    ASSERT_EQ(index.find(hasher.hashed(item->key())), item) << item->key();
  }
}

// A table large enough to judge its load doubles once it is nearly full, before cuckoo paths
// get long, and the doubling finds its fresh half's pages faulted in while the table filled;
// erased entries leave the count the load is judged by.
TEST(CuckooIndexGrowthTest, GrowsAheadOfNeedIntoASuccessorFaultedInWhileItFilled) {
  KeyHasher hasher{7};
  EpochDomain epoch;
  constexpr size_t kBuckets = 64 * CuckooIndex::kStripes;
  constexpr size_t kSlots = kBuckets * CuckooIndex::kSlotsPerBucket;
  CuckooIndex index([&](std::string_view k) { return hasher(k); }, kBuckets);
  EpochParticipant* participant = epoch.register_participant();
  testing::ItemArena items;
  auto apply = [&](Item* item, bool erase) {
    EpochGuard guard(epoch, *participant);
    index.update(hasher.hashed(item->key()),
                 [&](Item*) { return erase ? Decision::erase() : Decision::put(item); });
  };

  std::vector<Item*> first;
  for (size_t i = 0; i < kSlots * 85 / 100; ++i) {
    first.push_back(items.make(testing::numbered("first", i), "v"));
    apply(first.back(), false);
  }
  for (Item* item : first) apply(item, true);
  ASSERT_EQ(index.count_slow(), 0u);

  size_t inserted = 0, faulted_at_85 = 0, faulted_before_growth = 0;
  while (index.bucket_count() == kBuckets) {
    if (inserted == kSlots * 85 / 100) faulted_at_85 = index.faulted_ahead();
    faulted_before_growth = index.faulted_ahead();
    apply(items.make(testing::numbered("fill", inserted++), "v"), false);
  }
  const double load = static_cast<double>(inserted - 1) / static_cast<double>(kSlots);
  std::printf("[ metric ] load factor at growth ahead of need: %.3f\n", load);
  EXPECT_GT(load, 0.92);
  EXPECT_LT(load, 0.97);  // a table too small to judge fills to ~0.99 (test above)
  EXPECT_EQ(faulted_at_85, 0u);
  EXPECT_EQ(faulted_before_growth, kBuckets * 64);  // the whole fresh half
  EXPECT_EQ(index.faulted_ahead(), 0u);             // which the doubling took
  EXPECT_EQ(index.count_slow(), inserted);
}

// Two writers fill a large table past the load at which its fresh half is faulted in and the
// one at which it doubles ahead of need, erasing every third key they linked, while a reader
// looks up present keys: none is missed, and the count behind the judged load stays exact.
TEST(CuckooIndexGrowthTest, ConcurrentWritersGrowAheadOfNeedWithoutLosingAKey) {
  KeyHasher hasher{7};
  EpochDomain epoch;
  constexpr size_t kBuckets = 64 * CuckooIndex::kStripes;
  constexpr int kWriters = 2, kPresent = 1000;
  const int per_writer = static_cast<int>(kBuckets * CuckooIndex::kSlotsPerBucket * 3 / 4);
  CuckooIndex index([&](std::string_view k) { return hasher(k); }, kBuckets);
  testing::ItemArena present_items;
  std::vector<Item*> present;
  {
    EpochParticipant* me = epoch.register_participant();
    EpochGuard guard(epoch, *me);
    for (int i = 0; i < kPresent; ++i) {
      present.push_back(present_items.make(testing::numbered("present", i), "v"));
      index.update(hasher.hashed(present.back()->key()),
                   [&](Item*) { return Decision::put(present.back()); });
    }
  }
  std::vector<testing::ItemArena> arenas(kWriters);
  std::vector<std::vector<Item*>> linked(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    const std::string prefix = testing::numbered("w", static_cast<uint64_t>(w)) + ":";
    for (int i = 0; i < per_writer; ++i) {
      linked[w].push_back(arenas[w].make(testing::numbered(prefix, static_cast<uint64_t>(i)), "v"));
    }
  }
  std::atomic<bool> done{false};
  std::atomic<uint64_t> misses{0};
  auto writer = [&](int w) {
    EpochParticipant* me = epoch.register_participant();
    for (int i = 0; i < per_writer; ++i) {
      EpochGuard guard(epoch, *me);
      Item* item = linked[w][static_cast<size_t>(i)];
      index.update(hasher.hashed(item->key()), [&](Item*) { return Decision::put(item); });
      if (i % 3 == 2) {
        EXPECT_TRUE(index.unlink(linked[w][static_cast<size_t>(i - 1)], [] { return true; }));
      }
    }
    epoch.unregister_participant(me);
  };
  auto reader = [&] {
    EpochParticipant* me = epoch.register_participant();
    for (size_t i = 0; !done.load(std::memory_order_relaxed); i = (i + 1) % present.size()) {
      EpochGuard guard(epoch, *me);
      if (index.find(hasher.hashed(present[i]->key())) != present[i]) misses.fetch_add(1);
    }
    epoch.unregister_participant(me);
  };
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back(writer, w);
  std::thread r(reader);
  for (auto& t : writers) t.join();
  done = true;
  r.join();

  EXPECT_EQ(misses.load(), 0u);
  EXPECT_EQ(index.bucket_count(), 2 * kBuckets);
  size_t live = kPresent;
  EpochParticipant* me = epoch.register_participant();
  EpochGuard guard(epoch, *me);
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < per_writer; ++i) {
      Item* item = linked[w][static_cast<size_t>(i)];
      const bool erased = i % 3 == 1 && i + 1 < per_writer;
      ASSERT_EQ(index.find(hasher.hashed(item->key())), erased ? nullptr : item) << item->key();
      live += !erased;
    }
  }
  EXPECT_EQ(index.count_slow(), live);
}

// Readers look up a fixed set of present keys while a writer inserts and erases others,
// forcing cuckoo moves and several doublings. A present key must never be missed.
TEST_P(CuckooIndexTest, ReadersNeverMissAPresentKeyDuringMovesAndGrowth) {
  constexpr int kPresent = 2000;
  const int churn = (testing::kSanitized ? 20'000 : 200'000) * table_scale();
  for (int i = 0; i < kPresent; ++i) put(make(testing::numbered("present", i)));
  std::vector<Item*> churn_items;
  churn_items.reserve(churn);
  for (int i = 0; i < churn; ++i) churn_items.push_back(make(testing::numbered("churn", i)));

  using Clock = std::chrono::steady_clock;
  struct Span {
    Clock::time_point start, end;
  };
  std::atomic<bool> done{false};
  std::atomic<uint64_t> misses{0}, lookups{0};
  std::mutex slow_mutex;
  std::vector<Span> slow_lookups;  // lookups over 20 us, to match against growth windows
  auto reader = [&] {
    EpochParticipant* me = epoch_.register_participant();
    std::vector<std::string> names;
    const std::vector<HashedKey> keys = numbered_keys("present", kPresent, names);
    std::vector<Span> slow;
    uint64_t n = 0;
    for (size_t i = 0; !done.load(std::memory_order_relaxed); i = (i + 1) % keys.size()) {
      const auto start = Clock::now();
      bool hit;
      {
        EpochGuard guard(epoch_, *me);
        hit = index_.find(keys[i]) != nullptr;
      }
      const auto end = Clock::now();
      if (end - start > std::chrono::microseconds(20)) slow.push_back({start, end});
      ++n;
      if (!hit) misses.fetch_add(1, std::memory_order_relaxed);
    }
    lookups.fetch_add(n);
    std::lock_guard lock(slow_mutex);
    slow_lookups.insert(slow_lookups.end(), slow.begin(), slow.end());
    epoch_.unregister_participant(me);
  };
  std::thread r1(reader), r2(reader);
  const size_t before = index_.bucket_count();
  std::vector<Span> growths;
  for (int i = 0; i < churn; ++i) {
    const size_t buckets = index_.bucket_count();
    const auto start = Clock::now();
    put(churn_items[static_cast<size_t>(i)]);
    if (index_.bucket_count() != buckets) growths.push_back({start, Clock::now()});
    if (i % 3 == 0 && i > 0) {  // erase some, so that buckets churn and moves keep happening
      EpochGuard guard(epoch_, *participant_);
      Item* victim = churn_items[static_cast<size_t>(i - 1)];
      index_.unlink(victim, [] { return true; });
    }
    if (i % 1024 == 0) epoch_.reclaim();
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(misses.load(), 0u);
  EXPECT_GT(index_.bucket_count(), before);
  // On a shared 2-core machine a slow lookup is usually a preemption; comparing lookups that
  // overlapped a growth with those that did not separates the two.
  auto us = [](Clock::duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) /
           1e3;
  };
  double worst_during = 0, worst_outside = 0, worst_growth = 0;
  size_t slow_during = 0;
  for (const Span& g : growths) worst_growth = std::max(worst_growth, us(g.end - g.start));
  for (const Span& l : slow_lookups) {
    const bool overlaps = std::any_of(growths.begin(), growths.end(), [&](const Span& g) {
      return l.start < g.end && g.start < l.end;
    });
    double& worst = overlaps ? worst_during : worst_outside;
    worst = std::max(worst, us(l.end - l.start));
    slow_during += overlaps;
  }
  std::printf(
      "[ metric ] %zu -> %zu buckets in %zu doublings (longest insert %.1f ms); %llu "
      "lookups; lookups > 20 us: %zu during a doubling, worst %.1f us; worst outside %.1f us\n",
      before, index_.bucket_count(), growths.size(), worst_growth / 1e3,
      static_cast<unsigned long long>(lookups.load()), slow_during, worst_during, worst_outside);
  epoch_.reclaim();
}

// Several writers insert, replace and erase disjoint keys from the smallest table, so the
// table doubles several times and stripes migrate on every writer's path while others are
// still in the old layout; readers look up a fixed set of present keys and a walker walks the
// table meanwhile. No present key is ever missed, and every writer's final state is exact.
TEST_P(CuckooIndexTest, ConcurrentWritersGrowManyTimesWhileReadersNeverMiss) {
  constexpr int kPresent = 2000, kWriters = 2;
  const int per_writer = (testing::kSanitized ? 20'000 : 150'000) * table_scale();
  for (int i = 0; i < kPresent; ++i) put(make(testing::numbered("present", i)));
  std::vector<std::vector<Item*>> items(kWriters), replacements(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    const std::string prefix = testing::numbered("w", static_cast<uint64_t>(w)) + ":";
    for (int i = 0; i < per_writer; ++i) {
      items[w].push_back(make(testing::numbered(prefix, static_cast<uint64_t>(i))));
      replacements[w].push_back(make(testing::numbered(prefix, static_cast<uint64_t>(i))));
    }
  }
  // Writer w erases item i - 1 when i % 3 == 0 and replaces item i - 2 when i % 5 == 0.
  auto erased = [](int i) { return (i + 1) % 3 == 0; };
  auto replaced = [&](int i) { return (i + 2) % 5 == 0 && i + 2 < per_writer && !erased(i); };

  const size_t before = index_.bucket_count();
  std::atomic<bool> done{false};
  std::atomic<uint64_t> misses{0}, walked{0};
  std::atomic<int64_t> slowest_update_ns{0};
  auto writer = [&](int w) {
    EpochParticipant* me = epoch_.register_participant();
    auto link = [&](Item* item) {
      EpochGuard guard(epoch_, *me);
      const auto start = std::chrono::steady_clock::now();
      index_.update(key(std::string(item->key())), [&](Item*) { return Decision::put(item); });
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      int64_t seen = slowest_update_ns.load(std::memory_order_relaxed);
      while (ns > seen && !slowest_update_ns.compare_exchange_weak(seen, ns)) {
      }
    };
    for (int i = 0; i < per_writer; ++i) {
      link(items[w][static_cast<size_t>(i)]);
      if (i % 3 == 0 && i > 0) {
        EpochGuard guard(epoch_, *me);
        EXPECT_TRUE(index_.unlink(items[w][static_cast<size_t>(i - 1)], [] { return true; }));
      }
      if (i % 5 == 0 && i >= 2 && !erased(i - 2)) {
        EpochGuard guard(epoch_, *me);
        EXPECT_TRUE(index_.relink(items[w][static_cast<size_t>(i - 2)],
                                  replacements[w][static_cast<size_t>(i - 2)]));
      }
      if (i % 4096 == 0) epoch_.reclaim();
    }
    epoch_.unregister_participant(me);
  };
  auto reader = [&] {
    EpochParticipant* me = epoch_.register_participant();
    std::vector<std::string> names;
    const std::vector<HashedKey> keys = numbered_keys("present", kPresent, names);
    for (size_t i = 0; !done.load(std::memory_order_relaxed); i = (i + 1) % keys.size()) {
      EpochGuard guard(epoch_, *me);
      if (index_.find(keys[i]) == nullptr) misses.fetch_add(1, std::memory_order_relaxed);
    }
    epoch_.unregister_participant(me);
  };
  auto walker = [&] {
    EpochParticipant* me = epoch_.register_participant();
    size_t position = 0, span = 0, n = 0;
    while (!done.load(std::memory_order_relaxed)) {
      EpochGuard guard(epoch_, *me);
      if (index_.walk(position, span, 16, [&](Item* item) { n += item->key().size() != 0; })) {
        position = span = 0;
      }
    }
    walked = n;
    epoch_.unregister_participant(me);
  };
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back(writer, w);
  std::thread r1(reader), r2(reader), walk(walker);
  for (auto& t : writers) t.join();
  done = true;
  r1.join();
  r2.join();
  walk.join();

  EXPECT_EQ(misses.load(), 0u);
  EXPECT_GE(index_.bucket_count(), before * 4);  // at least two doublings
  EXPECT_GT(walked.load(), 0u);
  size_t live = kPresent;
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < per_writer; ++i) {
      const Item* item = items[w][static_cast<size_t>(i)];
      const Item* expected = erased(i) && i + 1 < per_writer ? nullptr
                             : replaced(i) ? replacements[w][static_cast<size_t>(i)]
                                           : item;
      ASSERT_EQ(find(std::string(item->key())), expected) << item->key();
      live += expected != nullptr;
    }
  }
  EXPECT_EQ(index_.count_slow(), live);
  std::printf("[ metric ] %d writers: %zu -> %zu buckets; slowest update %.2f ms\n", kWriters,
              before, index_.bucket_count(), static_cast<double>(slowest_update_ns.load()) / 1e6);
  epoch_.reclaim();
}

// Batch prefetches (prefetch_buckets, prefetch_items) find the candidates find() would
// compare, in either layout while a doubling migrates, and change nothing — no slot, no
// migration, no read of an item. prefetch_update neither.
TEST_P(CuckooIndexTest, PrefetchFindsThePresentKeysItemAndNothingInAnEmptyTable) {
  EXPECT_EQ(prefetch("absent"), 0u);
  put(make("present"));
  EXPECT_GE(prefetch("present"), 1u);
  // A 16-bit tag rarely matches a wrong key: of many absent keys almost none has a candidate.
  size_t candidates = 0;
  for (int i = 0; i < 1000; ++i) candidates += prefetch(testing::numbered("absent", i));
  EXPECT_LT(candidates, 5u);
}

TEST_P(CuckooIndexTest, PrefetchChangesNothing) {
  const int n = static_cast<int>(index_.bucket_count() * CuckooIndex::kSlotsPerBucket / 2);
  for (int i = 0; i < n; ++i) put(make(testing::numbered("key", i)));
  const size_t buckets = index_.bucket_count();
  for (int i = 0; i < 2 * n; ++i) {
    prefetch(testing::numbered("key", i));
    EpochGuard guard(epoch_, *participant_);
    index_.prefetch_update(key(testing::numbered("key", i)));
  }
  EXPECT_EQ(index_.bucket_count(), buckets);
  EXPECT_EQ(index_.count_slow(), static_cast<size_t>(n));
  EXPECT_EQ(rehashes_.load(), 0u);
  EpochGuard guard(epoch_, *participant_);
  for (int i = 0; i < n; ++i) ASSERT_NE(index_.find(key(testing::numbered("key", i))), nullptr);
}

TEST_P(CuckooIndexTest, PrefetchFindsKeysInEitherLayoutWhileMigrating) {
  const size_t initial = index_.bucket_count();
  int i = 0;
  while (index_.bucket_count() == initial) put(make(testing::numbered("key", i++)));
  ASSERT_TRUE(index_.growing());  // most stripes are still in the old layout
  for (int k = 0; k < i; ++k) {
    ASSERT_GE(prefetch(testing::numbered("key", k)), 1u) << k;
    EpochGuard guard(epoch_, *participant_);
    index_.prefetch_update(key(testing::numbered("key", k)));
  }
  EXPECT_TRUE(index_.growing());  // a prefetch does not help migrate
  EXPECT_EQ(rehashes_.load(), 0u);
}

// Prefetches race writers that fill and double the table: every line they read is mapped (a
// sanitizer build checks), and a present key is always found afterwards.
TEST_P(CuckooIndexTest, PrefetchRacesWritersThatGrowTheTable) {
  const size_t initial = index_.bucket_count();
  const int n = testing::kSanitized ? 20'000 : 100'000;
  std::atomic<int> written{0};
  std::thread writer([&] {
    EpochParticipant* p = epoch_.register_participant();
    for (int i = 0; i < n; ++i) {
      Item* item = items_.make(testing::numbered("key", i), "v");
      {
        EpochGuard guard(epoch_, *p);
        index_.update(key(testing::numbered("key", i)), [&](Item*) { return Decision::put(item); });
      }
      written.store(i + 1, std::memory_order_release);
    }
    epoch_.unregister_participant(p);
  });
  size_t rounds = 0, missed = 0;
  while (written.load(std::memory_order_acquire) < n) {
    const int present = written.load(std::memory_order_acquire);
    if (present == 0) continue;
    const int k = static_cast<int>(rounds++ % static_cast<size_t>(present));
    const std::string name = testing::numbered("key", k);
    {
      EpochGuard guard(epoch_, *participant_);
      index_.prefetch_buckets(key(name));
      index_.prefetch_items(key(name));
      index_.prefetch_update(key(name));
      if (index_.find(key(name)) == nullptr) ++missed;
    }
  }
  writer.join();
  EXPECT_GT(index_.bucket_count(), initial);
  EXPECT_GT(rounds, 0u);
  EXPECT_EQ(missed, 0u);
}

INSTANTIATE_TEST_SUITE_P(StripeRuns, CuckooIndexTest,
                         ::testing::Values(CuckooIndex::kStripes, 2 * CuckooIndex::kStripes),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return "Run" + std::to_string(info.param / CuckooIndex::kStripes);
                         });

}  // namespace
}  // namespace cuckood::cache
