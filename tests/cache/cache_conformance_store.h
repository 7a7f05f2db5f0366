// Conformance, part 1: storage commands, cas, delete, touch/gat, sizes and stats, as memcached
// 1.6 answers them. Implementation-neutral: see cache_conformance.h for how to instantiate.
#pragma once

#include <set>
#include <string>

#include "tests/cache/cache_fixture.h"

namespace cuckood::cache::testing {

template <class Factory>
class CacheStoreConformance : public CacheFixture<Factory> {};
TYPED_TEST_SUITE_P(CacheStoreConformance);

TYPED_TEST_P(CacheStoreConformance, GetMissesOnEmptyCache) {
  EXPECT_FALSE(this->get("nothing").has_value());
}

TYPED_TEST_P(CacheStoreConformance, SetThenGetReturnsWhatWasStored) {
  const Time deadline = this->deadline(100);
  const uint64_t cas = this->must_set("k", "hello", 0xdeadbeef, deadline);
  const auto got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "hello");
  EXPECT_EQ(got->flags, 0xdeadbeefu);
  EXPECT_EQ(got->exptime, deadline);
  EXPECT_EQ(got->cas, cas);
}

TYPED_TEST_P(CacheStoreConformance, EmptyValueAndBinaryValue) {
  this->must_set("empty", "");
  EXPECT_EQ(this->value("empty"), "");
  const std::string binary("a\0b\r\nc", 6);
  this->must_set("bin", binary);
  EXPECT_EQ(this->value("bin"), binary);
}

TYPED_TEST_P(CacheStoreConformance, SetOverwritesValueFlagsAndExptime) {
  const uint64_t first = this->must_set("k", "one", 1, this->deadline(10));
  const uint64_t second = this->must_set("k", "two", 2, 0);
  EXPECT_NE(first, second);
  const auto got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "two");
  EXPECT_EQ(got->flags, 2u);
  EXPECT_EQ(got->exptime, 0u);
  EXPECT_EQ(got->cas, second);
}

TYPED_TEST_P(CacheStoreConformance, AddStoresOnlyWhenAbsent) {
  const StoreResult added = this->store(StoreMode::kAdd, "k", "first", 5);
  EXPECT_EQ(added.status, StoreStatus::kStored);
  EXPECT_EQ(this->cas_of("k"), added.cas);
  EXPECT_EQ(this->store(StoreMode::kAdd, "k", "second").status, StoreStatus::kNotStored);
  EXPECT_EQ(this->value("k"), "first");
  EXPECT_EQ(this->cas_of("k"), added.cas);
  // add ignores a cas (types.h); present still means NOT_STORED.
  EXPECT_EQ(this->store(StoreMode::kAdd, "k", "x", 0, 0, added.cas).status,
            StoreStatus::kNotStored);
  EXPECT_EQ(this->store(StoreMode::kAdd, "other", "x", 0, 0, 12345).status, StoreStatus::kStored);
}

TYPED_TEST_P(CacheStoreConformance, ReplaceStoresOnlyWhenPresent) {
  EXPECT_EQ(this->store(StoreMode::kReplace, "k", "v").status, StoreStatus::kNotStored);
  EXPECT_FALSE(this->get("k").has_value());
  const uint64_t cas = this->must_set("k", "old", 1, this->deadline(50));
  const StoreResult replaced = this->store(StoreMode::kReplace, "k", "new", 2, 0);
  EXPECT_EQ(replaced.status, StoreStatus::kStored);
  EXPECT_NE(replaced.cas, cas);
  const auto got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "new");
  EXPECT_EQ(got->flags, 2u);
  EXPECT_EQ(got->exptime, 0u);
  EXPECT_EQ(got->cas, replaced.cas);
}

TYPED_TEST_P(CacheStoreConformance, AppendAndPrependKeepFlagsAndExptime) {
  EXPECT_EQ(this->store(StoreMode::kAppend, "k", "x").status, StoreStatus::kNotStored);
  EXPECT_EQ(this->store(StoreMode::kPrepend, "k", "x").status, StoreStatus::kNotStored);
  EXPECT_FALSE(this->get("k").has_value());

  const Time deadline = this->deadline(500);
  uint64_t cas = this->must_set("k", "mid", 7, deadline);
  const StoreResult appended = this->store(StoreMode::kAppend, "k", "-end", 99, 0);
  EXPECT_EQ(appended.status, StoreStatus::kStored);
  EXPECT_NE(appended.cas, cas);
  cas = appended.cas;
  const StoreResult prepended = this->store(StoreMode::kPrepend, "k", "start-", 98, 0);
  EXPECT_EQ(prepended.status, StoreStatus::kStored);
  EXPECT_NE(prepended.cas, cas);

  const auto got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "start-mid-end");
  EXPECT_EQ(got->flags, 7u);
  EXPECT_EQ(got->exptime, deadline);
  EXPECT_EQ(got->cas, prepended.cas);

  EXPECT_EQ(this->store(StoreMode::kAppend, "k", "").status, StoreStatus::kStored);
  EXPECT_EQ(this->value("k"), "start-mid-end");
}

TYPED_TEST_P(CacheStoreConformance, CasStatuses) {
  EXPECT_EQ(this->store(StoreMode::kCas, "k", "v", 0, 0, 1).status, StoreStatus::kNotFound);
  EXPECT_EQ(this->store(StoreMode::kCas, "k", "v", 0, 0, 0).status, StoreStatus::kNotFound);
  const uint64_t cas = this->must_set("k", "v1");
  EXPECT_EQ(this->store(StoreMode::kCas, "k", "v2", 0, 0, cas + 1).status, StoreStatus::kExists);
  EXPECT_EQ(this->store(StoreMode::kCas, "k", "v2", 0, 0, 0).status, StoreStatus::kExists);
  EXPECT_EQ(this->value("k"), "v1");

  const StoreResult stored = this->store(StoreMode::kCas, "k", "v2", 3, this->deadline(60), cas);
  EXPECT_EQ(stored.status, StoreStatus::kStored);
  EXPECT_NE(stored.cas, cas);
  const auto got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "v2");
  EXPECT_EQ(got->flags, 3u);
  EXPECT_EQ(got->exptime, this->deadline(60));
  EXPECT_EQ(got->cas, stored.cas);
  // The old cas is spent.
  EXPECT_EQ(this->store(StoreMode::kCas, "k", "v3", 0, 0, cas).status, StoreStatus::kExists);
}

// The binary protocol's rule: a non-zero cas on set/replace/append/prepend demands a match. On
// a miss an append or prepend is not stored whatever its cas (memcached's do_store_item).
TYPED_TEST_P(CacheStoreConformance, CasCarryingStores) {
  for (StoreMode mode :
       {StoreMode::kSet, StoreMode::kReplace, StoreMode::kAppend, StoreMode::kPrepend}) {
    SCOPED_TRACE(static_cast<int>(mode));
    this->remove("k");
    const bool joins = mode == StoreMode::kAppend || mode == StoreMode::kPrepend;
    EXPECT_EQ(this->store(mode, "k", "x", 0, 0, 77).status,
              joins ? StoreStatus::kNotStored : StoreStatus::kNotFound);
    EXPECT_FALSE(this->get("k").has_value());
    const uint64_t cas = this->must_set("k", "v");
    EXPECT_EQ(this->store(mode, "k", "x", 0, 0, cas + 1).status, StoreStatus::kExists);
    EXPECT_EQ(this->value("k"), "v");
    const StoreResult stored = this->store(mode, "k", "x", 0, 0, cas);
    EXPECT_EQ(stored.status, StoreStatus::kStored);
    EXPECT_NE(stored.cas, cas);
    EXPECT_EQ(this->cas_of("k"), stored.cas);
  }
}

TYPED_TEST_P(CacheStoreConformance, CasIsUniqueAndChangesOnEveryModification) {
  std::set<uint64_t> seen;
  auto fresh = [&](uint64_t cas) {
    EXPECT_NE(cas, 0u);
    EXPECT_TRUE(seen.insert(cas).second) << "cas " << cas << " reused";
  };
  for (int i = 0; i < 100; ++i) fresh(this->must_set("key" + std::to_string(i), "1"));
  fresh(this->must_set("key0", "2"));
  fresh(this->store(StoreMode::kReplace, "key0", "3").cas);
  fresh(this->store(StoreMode::kAppend, "key0", "4").cas);
  fresh(this->store(StoreMode::kPrepend, "key0", "5").cas);
  fresh(this->store(StoreMode::kCas, "key0", "6", 0, 0, this->cas_of("key0")).cas);
  fresh(this->incr("key0", 1).cas);
  const uint64_t last = this->decr("key0", 1).cas;
  fresh(last);
  EXPECT_EQ(this->cas_of("key0"), last);
  fresh(this->store(StoreMode::kAdd, "new", "x").cas);
  fresh(this->create("counter", 1, 5).cas);

  // Reads and touches leave the cas alone (memcached's touch does too).
  const uint64_t cas = this->cas_of("key1");
  EXPECT_TRUE(this->touch("key1", this->deadline(100)));
  EXPECT_EQ(this->cas_of("key1"), cas);
  const auto touched = this->gat("key1", this->deadline(200));
  ASSERT_TRUE(touched.has_value());
  EXPECT_EQ(touched->cas, cas);
  EXPECT_EQ(this->cas_of("key1"), cas);
}

TYPED_TEST_P(CacheStoreConformance, FailedStoresChangeNothing) {
  const uint64_t cas = this->must_set("k", "v", 4, this->deadline(100));
  EXPECT_EQ(this->store(StoreMode::kAdd, "k", "x").status, StoreStatus::kNotStored);
  EXPECT_EQ(this->store(StoreMode::kCas, "k", "x", 0, 0, cas + 1).status, StoreStatus::kExists);
  EXPECT_EQ(this->remove("k", cas + 1), DeleteStatus::kExists);
  const auto got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "v");
  EXPECT_EQ(got->flags, 4u);
  EXPECT_EQ(got->exptime, this->deadline(100));
  EXPECT_EQ(got->cas, cas);
}

TYPED_TEST_P(CacheStoreConformance, RemoveWithAndWithoutCas) {
  EXPECT_EQ(this->remove("k"), DeleteStatus::kNotFound);
  EXPECT_EQ(this->remove("k", 5), DeleteStatus::kNotFound);
  this->must_set("k", "v");
  EXPECT_EQ(this->remove("k"), DeleteStatus::kDeleted);
  EXPECT_FALSE(this->get("k").has_value());
  EXPECT_EQ(this->remove("k"), DeleteStatus::kNotFound);

  const uint64_t cas = this->must_set("k", "v");
  EXPECT_EQ(this->remove("k", cas + 1), DeleteStatus::kExists);
  EXPECT_EQ(this->value("k"), "v");
  EXPECT_EQ(this->remove("k", cas), DeleteStatus::kDeleted);
  EXPECT_FALSE(this->get("k").has_value());
  EXPECT_EQ(this->store(StoreMode::kAdd, "k", "again").status, StoreStatus::kStored);
}

TYPED_TEST_P(CacheStoreConformance, TouchSetsTheDeadlineOfALiveItem) {
  EXPECT_FALSE(this->touch("k", this->deadline(10)));
  this->must_set("k", "v", 9, this->deadline(10));
  EXPECT_TRUE(this->touch("k", this->deadline(100)));
  auto got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->exptime, this->deadline(100));
  EXPECT_EQ(got->value, "v");
  EXPECT_EQ(got->flags, 9u);
  this->advance(50);
  EXPECT_TRUE(this->get("k").has_value());  // the old deadline (10 s) has passed
  EXPECT_TRUE(this->touch("k", 0));         // 0 = never
  this->advance(1000);
  EXPECT_TRUE(this->get("k").has_value());
}

TYPED_TEST_P(CacheStoreConformance, GetAndTouchReturnsTheNewDeadline) {
  EXPECT_FALSE(this->gat("k", this->deadline(10)).has_value());
  this->must_set("k", "v", 3, this->deadline(10));
  const auto got = this->gat("k", this->deadline(100));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "v");
  EXPECT_EQ(got->flags, 3u);
  EXPECT_EQ(got->exptime, this->deadline(100));
  this->advance(20);
  EXPECT_TRUE(this->get("k").has_value());
  // A negative exptime (already past) is applied: the next look misses.
  EXPECT_TRUE(this->gat("k", -1).has_value());
  EXPECT_FALSE(this->get("k").has_value());
}

TYPED_TEST_P(CacheStoreConformance, FetchedIsSetByTheFirstRead) {
  this->must_set("k", "v");
  auto got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->fetched);
  got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->fetched);
  this->must_set("k", "new version");  // a new version has not been read
  got = this->get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->fetched);
}

TYPED_TEST_P(CacheStoreConformance, KeysAreDistinct) {
  this->must_set("a", "1");
  this->must_set("ab", "2");
  this->must_set("A", "3");
  this->must_set(std::string(250, 'k'), "4");
  EXPECT_EQ(this->value("a"), "1");
  EXPECT_EQ(this->value("ab"), "2");
  EXPECT_EQ(this->value("A"), "3");
  EXPECT_EQ(this->value(std::string(250, 'k')), "4");
  EXPECT_FALSE(this->get("b").has_value());
  EXPECT_FALSE(this->get(std::string(249, 'k')).has_value());
}

TYPED_TEST_P(CacheStoreConformance, ManyKeysSurviveTableGrowth) {
  constexpr int kKeys = 20000;
  for (int i = 0; i < kKeys; ++i) this->must_set("key:" + std::to_string(i), std::to_string(i));
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(this->value("key:" + std::to_string(i)), std::to_string(i)) << i;
  }
  EXPECT_EQ(this->cache().stats().curr_items, uint64_t{kKeys});
}

TYPED_TEST_P(CacheStoreConformance, LargestDefaultValueRoundTrips) {
  const std::string key = "large";
  const size_t max = this->cache().max_value_size(key.size());
  ASSERT_GT(max, (size_t{1} << 20) - 1024);  // -I 1m leaves room for a 1 MB-ish value
  std::string value(max, 'x');
  for (size_t i = 0; i < value.size(); i += 4096) value[i] = static_cast<char>('a' + i % 26);
  this->must_set(key, value);
  EXPECT_EQ(this->value(key), value);
}

REGISTER_TYPED_TEST_SUITE_P(CacheStoreConformance, GetMissesOnEmptyCache,
                            LargestDefaultValueRoundTrips, SetThenGetReturnsWhatWasStored,
                            EmptyValueAndBinaryValue, SetOverwritesValueFlagsAndExptime,
                            AddStoresOnlyWhenAbsent, ReplaceStoresOnlyWhenPresent,
                            AppendAndPrependKeepFlagsAndExptime, CasStatuses, CasCarryingStores,
                            CasIsUniqueAndChangesOnEveryModification, FailedStoresChangeNothing,
                            RemoveWithAndWithoutCas, TouchSetsTheDeadlineOfALiveItem,
                            GetAndTouchReturnsTheNewDeadline, FetchedIsSetByTheFirstRead,
                            KeysAreDistinct, ManyKeysSurviveTableGrowth);

}  // namespace cuckood::cache::testing
