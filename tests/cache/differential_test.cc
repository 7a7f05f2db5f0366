// Differential test: long seeded random sequences of every memcached storage command (through
// proto's command layer, so over each cache's storage primitives), including expiry
// with a fake clock and flush_all, applied to CuckooCache and to the LibcuckooCache oracle;
// every result is compared op by op. The memory limit is large enough that CuckooCache never
// evicts (checked at the end), so any difference is a semantic bug.
//
// cas values differ between the two implementations (each issues its own uniques), so each
// side is given the cas it last reported for the key; statuses must agree.
//
// One memcached quirk of the oracle is avoided by construction, not replicated: a delayed
// flush after an earlier flush has taken effect revives the items that one had killed
// (memcached keeps a single oldest_live); so delayed flushes are issued only while no flush
// has taken effect yet.
#include <gtest/gtest.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "cache/baseline/libcuckoo_cache.h"
#include "cache/cuckoo_cache.h"
#include "tests/cache/cache_fixture.h"
#include "tests/cache/cuckoo_test_support.h"

namespace cuckood::cache::testing {
namespace {

struct Seen {
  bool hit = false;
  std::string value;
  uint32_t flags = 0;
  Time exptime = 0;
  bool fetched = false;
  uint64_t cas = 0;
  Marks marks = 0;
  int meta = 0;  // meta_get: won + 2 * win_sent + 4 * stale
  bool operator==(const Seen& o) const {
    return hit == o.hit && value == o.value && flags == o.flags && exptime == o.exptime &&
           fetched == o.fetched && marks == o.marks && meta == o.meta;
  }
};

std::string describe(const Seen& s) {
  if (!s.hit) return "miss";
  return "hit value='" + s.value + numbered("' flags=", s.flags) +
         numbered(" exptime=", s.exptime) + numbered(" fetched=", s.fetched) +
         numbered(" marks=", s.marks) + numbered(" meta=", s.meta);
}

// One implementation under test, driven through the command layer by its own worker, with
// its own view of cas uniques.
struct Side {
  explicit Side(std::unique_ptr<Cache> c) : cache(std::move(c)), thread(*cache) {}
  std::unique_ptr<Cache> cache;
  CommandThread thread;
  std::map<std::string, uint64_t> last_cas;

  Seen seen(const std::string& k, const std::optional<Got>& got) {
    if (!got) return {};
    last_cas[k] = got->cas;
    return {true, got->value, got->flags, got->exptime, got->fetched, got->cas, got->marks};
  }
  Seen meta_get(const std::string& k, const proto::MetaGetArgs& args) {
    Seen seen;
    proto::meta_get(thread.worker(), args, [&](const proto::MetaGetHit& h) {
      seen = {true,           std::string(h.item.value),
              h.item.flags,   h.item.exptime,
              h.item.fetched, h.item.cas,
              h.item.marks,   h.won + 2 * h.win_sent + 4 * h.stale};
    });
    if (seen.hit) last_cas[k] = seen.cas;
    return seen;
  }
  Seen get(const std::string& k) { return seen(k, thread.get(k)); }
  Seen gat(const std::string& k, int64_t exptime) { return seen(k, thread.gat(k, exptime)); }
  uint64_t cas_for(const std::string& k, bool right) {
    const auto it = last_cas.find(k);
    const uint64_t known = it == last_cas.end() ? 0 : it->second;
    return right ? known : known + 1'000'000'007;
  }
  // A cas older than the last one seen (meta's stale store), 0 if none is known.
  uint64_t older_cas_for(const std::string& k) {
    const auto it = last_cas.find(k);
    return it == last_cas.end() || it->second < 2 ? 0 : it->second - 1;
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
    now_.store(next);
    if (pending_flush_ != 0 && next >= pending_flush_ - 1) {
      flush_fired_ = true;
      pending_flush_ = 0;
    }
    cuckoo_->thread.quiescent();
    oracle_->thread.quiescent();
  }

  std::atomic<Time> now_{1'700'000'000};
  std::unique_ptr<Side> cuckoo_, oracle_;
  Time pending_flush_ = 0;  // deadline of a delayed flush not yet in effect
  bool flush_fired_ = false;
};

TEST_P(DifferentialTest, RandomOperationSequencesMatchTheOracle) {
  std::mt19937_64 rng(GetParam());
  auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
  const int ops = kSanitized ? 20'000 : 100'000;
  const int keys = 50 + static_cast<int>(pick(400));
  auto random_key = [&] { return numbered("key:", pick(static_cast<uint64_t>(keys))); };
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
  auto random_exptime = [&]() -> int64_t {  // as a client sends it
    switch (pick(6)) {
      case 0:
        return -1;
      case 1:
      case 2:
        return static_cast<int64_t>(1 + pick(10));
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
    if (choice < 5) {
      // meta's stale-while-revalidate: mg with T/N/R in a random order, md I, ms I.
      const uint64_t kind = pick(4);
      if (kind <= 1) {
        proto::MetaGetArgs args;
        args.key = k;
        for (const auto step : {proto::MetaGetStep::kTouch, proto::MetaGetStep::kVivify,
                                proto::MetaGetStep::kRecache}) {
          if (pick(2) == 0) args.steps[args.step_count++] = step;
        }
        if (args.step_count == 2 && pick(2) == 0) std::swap(args.steps[0], args.steps[1]);
        args.touch_exptime = random_exptime();
        args.vivify_exptime = random_exptime();
        args.recache_below = static_cast<int64_t>(pick(12));
        args.record_access = pick(4) != 0;
        what = "meta_get";
        const Seen a = cuckoo_->meta_get(k, args), b = oracle_->meta_get(k, args);
        same = a == b;
        detail = describe(a) + " vs " + describe(b);
      } else if (kind == 2) {
        const bool with_cas = pick(4) == 0;
        const bool right = pick(2) == 0;
        std::optional<int64_t> exptime;
        if (pick(2) == 0) exptime = random_exptime();
        what = "invalidate";
        auto run = [&](Side& side) {
          std::optional<uint64_t> cas;
          if (with_cas) cas = side.cas_for(k, right);
          return proto::invalidate(side.thread.worker(), k, cas, exptime);
        };
        const StoreStatus a = run(*cuckoo_), b = run(*oracle_);
        same = a == b;
        detail = std::to_string(static_cast<int>(a)) + numbered(" vs ", static_cast<int>(b));
      } else {
        const std::string value = random_value();
        const int64_t exptime = random_exptime();
        const bool older = pick(2) == 0;
        what = older ? "stale store, older cas" : "stale store, current cas";
        auto run = [&](Side& side) {
          const uint64_t cas = older ? side.older_cas_for(k) : side.cas_for(k, true);
          const StoreResult r = proto::store(side.thread.worker(), StoreMode::kCas, k, 0, exptime,
                                             value, cas, {.invalidate = true});
          if (r.status == StoreStatus::kStored) side.last_cas[k] = r.cas;
          return r.status;
        };
        const StoreStatus a = run(*cuckoo_), b = run(*oracle_);
        same = a == b;
        detail = std::to_string(static_cast<int>(a)) + numbered(" vs ", static_cast<int>(b));
      }
    } else if (choice < 25) {
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
      const int64_t exptime = random_exptime();
      const bool with_cas = mode == StoreMode::kCas || pick(10) == 0;
      const bool right = pick(3) != 0;
      what = numbered("store mode ", static_cast<int>(mode));
      auto run = [&](Side& side) {
        const uint64_t cas = with_cas ? side.cas_for(k, right) : 0;
        const StoreResult r = side.thread.store(mode, k, value, flags, exptime, cas);
        if (r.status == StoreStatus::kStored) side.last_cas[k] = r.cas;
        return r.status;
      };
      const StoreStatus a = run(*cuckoo_), b = run(*oracle_);
      same = a == b;
      stored += a == StoreStatus::kStored;
      detail = std::to_string(static_cast<int>(a)) + numbered(" vs ", static_cast<int>(b));
    } else if (choice < 60) {
      const bool increment = pick(2) == 0;
      const bool create = pick(4) == 0;
      const uint64_t delta = pick(4) == 0 ? UINT64_MAX - pick(5) : pick(100);
      const uint64_t initial = pick(50);
      const int64_t exptime = random_exptime();
      const bool with_cas = pick(8) == 0;
      const bool right = pick(2) == 0;
      what = increment ? "incr" : "decr";
      auto run = [&](Side& side) {
        const uint64_t cas = with_cas ? side.cas_for(k, right) : 0;
        proto::ArithArgs args;
        args.key = k;
        args.delta = delta;
        args.increment = increment;
        args.cas = cas;
        args.create = create;
        args.initial = initial;
        args.exptime = exptime;
        const ArithResult r = proto::arith(side.thread.worker(), args);
        if (r.status == ArithStatus::kOk) side.last_cas[k] = r.cas;
        return std::make_pair(r.status, r.value);
      };
      const auto a = run(*cuckoo_), b = run(*oracle_);
      same = a == b;
      detail = std::to_string(static_cast<int>(a.first)) + numbered("/", a.second) + " vs " +
               std::to_string(static_cast<int>(b.first)) + numbered("/", b.second);
    } else if (choice < 70) {
      const bool with_cas = pick(4) == 0;
      const bool right = pick(2) == 0;
      what = "delete";
      auto run = [&](Side& side) {
        return side.thread.remove(k, with_cas ? side.cas_for(k, right) : 0);
      };
      const DeleteStatus a = run(*cuckoo_), b = run(*oracle_);
      same = a == b;
      detail = std::to_string(static_cast<int>(a)) + numbered(" vs ", static_cast<int>(b));
    } else if (choice < 78) {
      const int64_t exptime = random_exptime();
      what = "touch";
      const bool a = cuckoo_->thread.touch(k, exptime);
      const bool b = oracle_->thread.touch(k, exptime);
      same = a == b;
      detail = std::to_string(a) + numbered(" vs ", b);
    } else if (choice < 85) {
      const int64_t exptime = random_exptime();
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
      what = numbered("flush_all ", when);
      ++flushes;
      cuckoo_->thread.flush_all(when);
      oracle_->thread.flush_all(when);
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
    const std::string k = numbered("key:", i);
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
}  // namespace cuckood::cache::testing
