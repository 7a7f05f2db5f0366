// Differential test: long seeded random sequences of every Cache operation, including expiry
// with a fake clock and flush_all, applied to CuckooCache and to the LibcuckooCache oracle;
// every result is compared op by op. The memory limit is large enough that CuckooCache never
// evicts (checked at the end), so any difference is a semantic bug.
//
// cas values differ between the two implementations (each issues its own uniques), so each
// side is given the cas it last reported for the key; statuses must agree.
//
// Two memcached quirks of the oracle are avoided by construction, not replicated:
//  - a delayed flush after an earlier flush has taken effect revives the items that one had
//    killed (memcached keeps a single oldest_live); so delayed flushes are issued only while
//    no flush has taken effect yet;
//  - items stored in the very second a delayed flush takes effect (deadline - 1) are dead at
//    once in memcached; the fake clock skips that second.
#include <gtest/gtest.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "cache/cuckoo_cache.h"
#include "cache/expiry.h"
#include "cache/libcuckoo_cache.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache {
namespace {

struct Seen {
  bool hit = false;
  std::string value;
  uint32_t flags = 0;
  Time exptime = 0;
  bool fetched = false;
  uint64_t cas = 0;
  bool operator==(const Seen& o) const {
    return hit == o.hit && value == o.value && flags == o.flags && exptime == o.exptime &&
           fetched == o.fetched;
  }
};

std::string describe(const Seen& s) {
  if (!s.hit) return "miss";
  return "hit value='" + s.value + testing::numbered("' flags=", s.flags) +
         testing::numbered(" exptime=", s.exptime) + testing::numbered(" fetched=", s.fetched);
}

// One implementation under test, with its own worker and its own view of cas uniques.
struct Side {
  Side(std::unique_ptr<Cache> c) : cache(std::move(c)), ctx(cache->register_worker()) {}
  std::unique_ptr<Cache> cache;
  std::unique_ptr<WorkerContext> ctx;
  std::map<std::string, uint64_t> last_cas;

  HashedKey key(const std::string& k) const { return cache->hash(k); }
  Seen view(const ItemView& item) {
    return {true, std::string(item.value), item.flags, item.exptime, item.fetched, item.cas};
  }
  Seen get(const std::string& k) {
    Seen seen;
    cache->get(*ctx, key(k), [&](const ItemView& item) { seen = view(item); });
    if (seen.hit) last_cas[k] = seen.cas;
    return seen;
  }
  Seen gat(const std::string& k, Time exptime) {
    Seen seen;
    cache->get_and_touch(*ctx, key(k), exptime, [&](const ItemView& item) { seen = view(item); });
    if (seen.hit) last_cas[k] = seen.cas;
    return seen;
  }
  uint64_t cas_for(const std::string& k, bool right) {
    const auto it = last_cas.find(k);
    const uint64_t known = it == last_cas.end() ? 0 : it->second;
    return right ? known : known + 1'000'000'007;
  }
};

class DifferentialTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  DifferentialTest() {
    CacheConfig config;
    config.memory_limit = size_t{256} << 20;
    config.max_item_size = size_t{64} << 10;  // 64 KiB segments: flushes waste little
    config.clock = [this] { return now_.load(std::memory_order_relaxed); };
    config.hash_seed = 1234;
    cuckoo_ = std::make_unique<Side>(std::make_unique<CuckooCache>(config));
    oracle_ = std::make_unique<Side>(std::make_unique<LibcuckooCache>(config));
  }

  void advance(Time seconds) {
    Time next = now_.load() + seconds;
    if (pending_flush_ != 0 && next == pending_flush_ - 1) ++next;  // see the file comment
    now_.store(next);
    if (pending_flush_ != 0 && next >= pending_flush_ - 1) {
      flush_fired_ = true;
      pending_flush_ = 0;
    }
    cuckoo_->cache->quiescent(*cuckoo_->ctx);
    oracle_->cache->quiescent(*oracle_->ctx);
  }

  std::atomic<Time> now_{1'700'000'000};
  std::unique_ptr<Side> cuckoo_, oracle_;
  Time pending_flush_ = 0;  // deadline of a delayed flush not yet in effect
  bool flush_fired_ = false;
};

TEST_P(DifferentialTest, RandomOperationSequencesMatchTheOracle) {
  std::mt19937_64 rng(GetParam());
  auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
  const int ops = testing::kSanitized ? 20'000 : 100'000;
  const int keys = 50 + static_cast<int>(pick(400));
  auto random_key = [&] { return testing::numbered("key:", pick(static_cast<uint64_t>(keys))); };
  auto random_value = [&]() -> std::string {
    switch (pick(4)) {
      case 0:
        return std::to_string(pick(1000));  // a counter
      case 1:
        return std::to_string(UINT64_MAX - pick(3));  // a counter about to wrap
      case 2:
        return std::string(pick(3), ' ');  // empty or blank
      default:
        return std::string(1 + pick(40), static_cast<char>('a' + pick(26)));
    }
  };
  auto random_exptime = [&]() -> Time {
    const Time now = now_.load();
    switch (pick(6)) {
      case 0:
        return expiry_deadline(-1, now);
      case 1:
      case 2:
        return expiry_deadline(static_cast<int64_t>(1 + pick(10)), now);
      default:
        return 0;
    }
  };

  int hits = 0, stored = 0, flushes = 0;  // evidence that the sequence exercises something
  for (int op = 0; op < ops; ++op) {
    const std::string k = random_key();
    const uint64_t choice = pick(100);
    std::string what;
    bool same = true;
    std::string detail;
    if (choice < 25) {
      what = "get";
      const Seen a = cuckoo_->get(k), b = oracle_->get(k);
      same = a == b;
      hits += a.hit;
      detail = describe(a) + " vs " + describe(b);
    } else if (choice < 50) {
      static constexpr StoreMode kModes[] = {
          StoreMode::kSet,    StoreMode::kSet,     StoreMode::kAdd, StoreMode::kReplace,
          StoreMode::kAppend, StoreMode::kPrepend, StoreMode::kCas};
      const StoreMode mode = kModes[pick(std::size(kModes))];
      const std::string value = random_value();
      const auto flags = static_cast<uint32_t>(pick(3));
      const Time exptime = random_exptime();
      const bool with_cas = mode == StoreMode::kCas || pick(10) == 0;
      const bool right = pick(3) != 0;
      what = testing::numbered("store mode ", static_cast<int>(mode));
      auto run = [&](Side& side) {
        const uint64_t cas = with_cas ? side.cas_for(k, right) : 0;
        const StoreResult r = side.cache->store(
            *side.ctx, StoreRequest{side.key(k), value, flags, exptime, cas, mode});
        if (r.status == StoreStatus::kStored) side.last_cas[k] = r.cas;
        return r.status;
      };
      const StoreStatus a = run(*cuckoo_), b = run(*oracle_);
      same = a == b;
      stored += a == StoreStatus::kStored;
      detail = std::to_string(static_cast<int>(a)) + testing::numbered(" vs ", static_cast<int>(b));
    } else if (choice < 60) {
      const bool increment = pick(2) == 0;
      const bool create = pick(4) == 0;
      const uint64_t delta = pick(4) == 0 ? UINT64_MAX - pick(5) : pick(100);
      const uint64_t initial = pick(50);
      const Time exptime = random_exptime();
      const bool with_cas = pick(8) == 0;
      const bool right = pick(2) == 0;
      what = increment ? "incr" : "decr";
      auto run = [&](Side& side) {
        const uint64_t cas = with_cas ? side.cas_for(k, right) : 0;
        const ArithResult r = side.cache->arith(
            *side.ctx, ArithRequest{side.key(k), delta, increment, cas, create, initial, exptime});
        if (r.status == ArithStatus::kOk) side.last_cas[k] = r.cas;
        return std::make_pair(r.status, r.value);
      };
      const auto a = run(*cuckoo_), b = run(*oracle_);
      same = a == b;
      detail = std::to_string(static_cast<int>(a.first)) + testing::numbered("/", a.second) +
               " vs " + std::to_string(static_cast<int>(b.first)) +
               testing::numbered("/", b.second);
    } else if (choice < 70) {
      const bool with_cas = pick(4) == 0;
      const bool right = pick(2) == 0;
      what = "delete";
      auto run = [&](Side& side) {
        return side.cache->remove(*side.ctx, side.key(k), with_cas ? side.cas_for(k, right) : 0);
      };
      const DeleteStatus a = run(*cuckoo_), b = run(*oracle_);
      same = a == b;
      detail = std::to_string(static_cast<int>(a)) + testing::numbered(" vs ", static_cast<int>(b));
    } else if (choice < 78) {
      const Time exptime = random_exptime();
      what = "touch";
      const bool a = cuckoo_->cache->touch(*cuckoo_->ctx, cuckoo_->key(k), exptime);
      const bool b = oracle_->cache->touch(*oracle_->ctx, oracle_->key(k), exptime);
      same = a == b;
      detail = std::to_string(a) + testing::numbered(" vs ", b);
    } else if (choice < 85) {
      const Time exptime = random_exptime();
      what = "gat";
      const Seen a = cuckoo_->gat(k, exptime), b = oracle_->gat(k, exptime);
      same = a == b;
      detail = describe(a) + " vs " + describe(b);
    } else if (choice < 98) {
      what = "advance";
      advance(static_cast<Time>(pick(4) == 0 ? pick(5) : 0));
    } else if (pick(100) == 0) {
      // flush_all: immediate, or delayed while no flush has taken effect (file comment).
      const Time now = now_.load();
      Time when = 0;
      if (!flush_fired_ && pick(2) == 0) when = now + 2 + static_cast<Time>(pick(10));
      what = testing::numbered("flush_all ", when);
      ++flushes;
      cuckoo_->cache->flush_all(*cuckoo_->ctx, when);
      oracle_->cache->flush_all(*oracle_->ctx, when);
      if (when == 0) {
        flush_fired_ = true;
        pending_flush_ = 0;
      } else {
        pending_flush_ = when;
      }
    }
    ASSERT_TRUE(same) << "op " << op << " (" << what << " " << k << "): cuckoo " << detail
                      << " oracle; seed " << GetParam();
  }
  // Every key, at the end: the same contents.
  for (int i = 0; i < keys; ++i) {
    const std::string k = testing::numbered("key:", i);
    const Seen a = cuckoo_->get(k), b = oracle_->get(k);
    EXPECT_EQ(a, b) << k << ": " << describe(a) << " vs " << describe(b);
  }
  EXPECT_EQ(cuckoo_->cache->stats().evictions, 0u) << "the test assumes no eviction";
  EXPECT_GT(hits, ops / 50);
  EXPECT_GT(stored, ops / 50);
  std::printf("[ metric ] seed %u: %d ops, %d get hits, %d stores, %d flushes, %d keys\n",
              GetParam(), ops, hits, stored, flushes, keys);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialTest, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

}  // namespace
}  // namespace cuckood::cache
