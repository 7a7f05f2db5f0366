// Conformance, part 3: incr/decr as memcached's do_add_delta does them, item sizes
// (max_value_size, too-large values), the memory bound and the statistics.
#pragma once

#include <string>

#include "tests/cache/cache_fixture.h"

namespace cuckood::cache::testing {

template <class Factory>
class CacheArithConformance : public CacheFixture<Factory> {};
TYPED_TEST_SUITE_P(CacheArithConformance);

// memcached writes a result no longer than the old value in place, padded with spaces.
TYPED_TEST_P(CacheArithConformance, IncrAndDecrStorePlainDecimal) {
  const uint64_t cas = this->must_set("n", "5", 42, this->deadline(100));
  ArithResult result = this->incr("n", 3);
  EXPECT_EQ(result.status, ArithStatus::kOk);
  EXPECT_EQ(result.value, 8u);
  EXPECT_NE(result.cas, cas);
  auto got = this->get("n");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "8");
  EXPECT_EQ(got->cas, result.cas);
  EXPECT_EQ(got->flags, 42u);                    // kept
  EXPECT_EQ(got->exptime, this->deadline(100));  // kept

  result = this->decr("n", 6);
  EXPECT_EQ(result.status, ArithStatus::kOk);
  EXPECT_EQ(result.value, 2u);
  EXPECT_EQ(this->value("n"), "2");
  EXPECT_EQ(this->incr("n", 0).value, 2u);
}

TYPED_TEST_P(CacheArithConformance, IncrWrapsAt2To64) {
  this->must_set("n", "18446744073709551615");
  EXPECT_EQ(this->incr("n", 1).value, 0u);
  EXPECT_EQ(this->value("n"), "0" + std::string(19, ' '));
  this->must_set("n", "18446744073709551614");
  EXPECT_EQ(this->incr("n", 5).value, 3u);
  EXPECT_EQ(this->value("n"), "3" + std::string(19, ' '));
}

TYPED_TEST_P(CacheArithConformance, DecrStopsAtZero) {
  this->must_set("n", "5");
  EXPECT_EQ(this->decr("n", 6).value, 0u);
  EXPECT_EQ(this->value("n"), "0");
  EXPECT_EQ(this->decr("n", 1).value, 0u);
  EXPECT_EQ(this->decr("n", UINT64_MAX).value, 0u);
}

TYPED_TEST_P(CacheArithConformance, LengthGrowsAndShrinks) {
  this->must_set("n", "99");
  EXPECT_EQ(this->incr("n", 1).value, 100u);
  EXPECT_EQ(this->value("n"), "100");
  EXPECT_EQ(this->decr("n", 1).value, 99u);
  EXPECT_EQ(this->value("n"), "99 ");  // in place, padded with a space, as memcached
  this->must_set("n", "9");
  EXPECT_EQ(this->incr("n", 18446744073709551606u).value, 18446744073709551615u);
  EXPECT_EQ(this->value("n"), "18446744073709551615");
}

TYPED_TEST_P(CacheArithConformance, TrailingSpacesAreTolerated) {
  this->must_set("n", "12  ");  // memcached itself leaves these when a counter shrinks
  EXPECT_EQ(this->incr("n", 1).value, 13u);
  EXPECT_EQ(this->value("n"), "13  ");
}

TYPED_TEST_P(CacheArithConformance, NonNumericValuesAreRefusedAndKept) {
  for (const char* text : {"", "abc", "12abc", "-5", "x1", "18446744073709551616", "1.5"}) {
    SCOPED_TRACE(text);
    const uint64_t cas = this->must_set("n", text);
    EXPECT_EQ(this->incr("n", 1).status, ArithStatus::kNonNumeric);
    EXPECT_EQ(this->decr("n", 1).status, ArithStatus::kNonNumeric);
    const auto got = this->get("n");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->value, text);
    EXPECT_EQ(got->cas, cas);
  }
}

TYPED_TEST_P(CacheArithConformance, MissingKeyIsNotFound) {
  EXPECT_EQ(this->incr("n", 1).status, ArithStatus::kNotFound);
  EXPECT_EQ(this->decr("n", 1).status, ArithStatus::kNotFound);
  EXPECT_FALSE(this->get("n").has_value());
}

// The binary protocol's incr with an initial value: absent → store `initial` (not
// initial + delta) with flags 0 and the given deadline; present → ordinary incr.
TYPED_TEST_P(CacheArithConformance, CreateStoresTheInitialValue) {
  ArithResult result = this->create("n", 5, 100, this->deadline(30));
  EXPECT_EQ(result.status, ArithStatus::kOk);
  EXPECT_EQ(result.value, 100u);
  auto got = this->get("n");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, "100");
  EXPECT_EQ(got->flags, 0u);
  EXPECT_EQ(got->exptime, this->deadline(30));
  EXPECT_EQ(got->cas, result.cas);

  result = this->create("n", 5, 100, 0);
  EXPECT_EQ(result.status, ArithStatus::kOk);
  EXPECT_EQ(result.value, 105u);
  EXPECT_EQ(this->get("n")->exptime, this->deadline(30));  // an existing item keeps its own

  this->must_set("text", "abc");
  EXPECT_EQ(this->create("text", 1, 0).status, ArithStatus::kNonNumeric);
  this->advance(30);
  EXPECT_EQ(this->create("n", 1, 7).value, 7u);  // expired counts as absent
}

TYPED_TEST_P(CacheArithConformance, CasMismatchIsExists) {
  const uint64_t cas = this->must_set("n", "10");
  EXPECT_EQ(this->arith("n", 1, true, cas + 1).status, ArithStatus::kExists);
  EXPECT_EQ(this->value("n"), "10");
  const ArithResult result = this->arith("n", 1, true, cas);
  EXPECT_EQ(result.status, ArithStatus::kOk);
  EXPECT_EQ(result.value, 11u);
  EXPECT_EQ(this->arith("n", 1, false, cas).status, ArithStatus::kExists);
  EXPECT_EQ(this->arith("n", 1, false, result.cas).value, 10u);
}

TYPED_TEST_P(CacheArithConformance, MaxValueSizeIsExactlyTheLimit) {
  CacheConfig config;
  config.max_item_size = 4096;
  this->reset(config);
  const std::string key = "big";
  const size_t max = this->cache().max_value_size(key.size());
  ASSERT_GT(max, 0u);
  EXPECT_LT(max + key.size(), config.max_item_size);  // the header takes its share
  EXPECT_LE(this->cache().max_value_size(key.size() + 10), max);
  EXPECT_EQ(this->cache().max_value_size(config.max_item_size), 0u);

  EXPECT_EQ(this->set(key, std::string(max + 1, 'x')).status, StoreStatus::kTooLarge);
  EXPECT_FALSE(this->get(key).has_value());
  EXPECT_EQ(this->set(key, std::string(max, 'x')).status, StoreStatus::kStored);
  EXPECT_EQ(this->value(key)->size(), max);
  // A too-large set removes the old value, as memcached does: a client must not read the value
  // the failed set meant to replace.
  EXPECT_EQ(this->set(key, std::string(10 * max, 'y')).status, StoreStatus::kTooLarge);
  EXPECT_FALSE(this->get(key).has_value());
  EXPECT_EQ(this->set(key, std::string(max, 'x')).status, StoreStatus::kStored);
  // memcached allocates the item before it looks for the key: too large wins over absent.
  for (StoreMode mode : {StoreMode::kAdd, StoreMode::kReplace, StoreMode::kCas}) {
    EXPECT_EQ(this->store(mode, "other", std::string(max + 100, 'x')).status,
              StoreStatus::kTooLarge)
        << "mode " << static_cast<int>(mode);
  }
  // append/prepend data that alone exceeds the limit is "too large", as in memcached, which
  // allocates it before it looks for the key; a present item is kept.
  for (StoreMode mode : {StoreMode::kAppend, StoreMode::kPrepend}) {
    for (const char* key : {"other", "big"}) {
      EXPECT_EQ(this->store(mode, key, std::string(max + 100, 'x')).status, StoreStatus::kTooLarge)
          << "mode " << static_cast<int>(mode) << " key " << key;
    }
  }
  EXPECT_FALSE(this->get("other").has_value());
  EXPECT_EQ(this->value(key)->size(), max);
}

// memcached answers NOT_STORED when append/prepend would make the item too large.
TYPED_TEST_P(CacheArithConformance, AppendBeyondTheItemLimitIsNotStored) {
  CacheConfig config;
  config.max_item_size = 4096;
  this->reset(config);
  const size_t max = this->cache().max_value_size(1);
  this->must_set("k", std::string(max - 10, 'a'));
  EXPECT_EQ(this->store(StoreMode::kAppend, "k", std::string(10, 'b')).status,
            StoreStatus::kStored);
  EXPECT_EQ(this->store(StoreMode::kAppend, "k", "c").status, StoreStatus::kNotStored);
  EXPECT_EQ(this->store(StoreMode::kPrepend, "k", "c").status, StoreStatus::kNotStored);
  EXPECT_EQ(this->value("k"), std::string(max - 10, 'a') + std::string(10, 'b'));
}

// Whatever an implementation does when full (refuse or evict), `bytes` stays within the limit
// and every answer is kStored or kNoMemory.
TYPED_TEST_P(CacheArithConformance, MemoryStaysWithinTheLimit) {
  CacheConfig config;
  config.memory_limit = 256 << 10;
  config.max_item_size = 4096;
  this->reset(config);
  const std::string value(1000, 'v');
  int stored = 0;
  for (int i = 0; i < 3000; ++i) {  // ~3 MB written into 256 KB
    const StoreStatus status = this->set("key:" + std::to_string(i), value).status;
    ASSERT_TRUE(status == StoreStatus::kStored || status == StoreStatus::kNoMemory) << i;
    stored += status == StoreStatus::kStored;
    ASSERT_LE(this->cache().stats().bytes, config.memory_limit) << i;
  }
  EXPECT_GT(stored, 100);
  EXPECT_GE(this->cache().stats().bytes, uint64_t{100} * value.size());
}

TYPED_TEST_P(CacheArithConformance, StatsCountItemsAndBytes) {
  CacheConfig config;
  config.memory_limit = 8 << 20;
  this->reset(config);
  CacheStats stats = this->cache().stats();
  EXPECT_EQ(stats.limit_maxbytes, config.memory_limit);
  EXPECT_EQ(stats.curr_items, 0u);
  EXPECT_EQ(stats.total_items, 0u);
  EXPECT_EQ(stats.bytes, 0u);
  EXPECT_EQ(stats.evictions, 0u);

  this->must_set("alpha", std::string(100, 'a'));
  stats = this->cache().stats();
  EXPECT_EQ(stats.curr_items, 1u);
  EXPECT_EQ(stats.total_items, 1u);
  const uint64_t one = stats.bytes;
  EXPECT_GE(one, 105u);  // at least key + value

  this->must_set("alpha", std::string(100, 'b'));  // same sizes: same bytes
  EXPECT_EQ(this->store(StoreMode::kAdd, "alpha", "x").status, StoreStatus::kNotStored);
  stats = this->cache().stats();
  EXPECT_EQ(stats.curr_items, 1u);
  EXPECT_EQ(stats.total_items, 2u);  // failed stores are not counted
  EXPECT_EQ(stats.bytes, one);

  EXPECT_EQ(this->store(StoreMode::kAppend, "alpha", std::string(50, 'c')).status,
            StoreStatus::kStored);
  // An implementation may round item sizes up (alignment, size classes): bounds, not sums.
  const uint64_t appended = this->cache().stats().bytes;
  EXPECT_GT(appended, one);
  EXPECT_GE(appended, 155u);  // at least key + value
  this->must_set("omega", std::string(100, 'o'));
  stats = this->cache().stats();
  EXPECT_EQ(stats.curr_items, 2u);
  EXPECT_EQ(stats.total_items, 4u);
  EXPECT_EQ(stats.bytes, appended + one);

  EXPECT_EQ(this->remove("alpha"), DeleteStatus::kDeleted);
  EXPECT_EQ(this->remove("omega"), DeleteStatus::kDeleted);
  this->cache().quiescent(this->ctx());  // an implementation may free at a quiescent point
  stats = this->cache().stats();
  EXPECT_EQ(stats.curr_items, 0u);
  EXPECT_EQ(stats.total_items, 4u);
  EXPECT_EQ(stats.bytes, 0u);
}

TYPED_TEST_P(CacheArithConformance, StatsSurviveAWorkerThatLeft) {
  auto other = this->new_thread();
  EXPECT_EQ(other->store(StoreMode::kSet, "k", "v").status, StoreStatus::kStored);
  other.reset();
  EXPECT_EQ(this->cache().stats().total_items, 1u);
  EXPECT_EQ(this->value("k"), "v");
}

REGISTER_TYPED_TEST_SUITE_P(CacheArithConformance, IncrAndDecrStorePlainDecimal, IncrWrapsAt2To64,
                            DecrStopsAtZero, LengthGrowsAndShrinks, TrailingSpacesAreTolerated,
                            NonNumericValuesAreRefusedAndKept, MissingKeyIsNotFound,
                            CreateStoresTheInitialValue, CasMismatchIsExists,
                            MaxValueSizeIsExactlyTheLimit, AppendBeyondTheItemLimitIsNotStored,
                            MemoryStaysWithinTheLimit, StatsCountItemsAndBytes,
                            StatsSurviveAWorkerThatLeft);

}  // namespace cuckood::cache::testing
