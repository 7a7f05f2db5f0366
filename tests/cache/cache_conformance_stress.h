// Conformance, part 4: checked multi-threaded stress. Each thread registers its own worker.
// Results are exactly checkable: threads work on disjoint keys against a private model, or
// contend on shared keys in ways whose outcome is known (sums, one winner, distinct cas).
// Sized to finish in seconds under TSan on two cores.
#pragma once

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "proto/counter.h"
#include "tests/cache/cache_fixture.h"

namespace cuckood::cache::testing {

inline constexpr int kStressThreads = 4;

// Runs body(thread_index) on kStressThreads threads and joins them.
template <class Body>
void run_threads(Body body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kStressThreads; ++t) threads.emplace_back(body, t);
  for (std::thread& thread : threads) thread.join();
}

// Waits until every one of kStressThreads threads has called it with the same counter.
inline void start_together(std::atomic<int>& ready) {
  ready.fetch_add(1);
  while (ready.load() < kStressThreads) std::this_thread::yield();
}

// One thread's random operations on its own keys, each answer checked against a model.
// Returns the number of keys the model holds at the end.
inline size_t run_disjoint_model(Cache& cache, int thread, int ops) {
  struct Entry {
    std::string value;
    uint64_t cas;
  };
  constexpr int kKeys = 200;
  CommandThread worker(cache);
  std::mt19937_64 rng(static_cast<uint64_t>(thread) * 7919 + 1);
  std::map<std::string, Entry> model;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i)
    keys.push_back("t" + std::to_string(thread) + ":" + std::to_string(i));
  int failures = 0;
  auto check = [&](bool ok, const std::string& what, const std::string& key) {
    if (!ok && ++failures <= 5) ADD_FAILURE() << "thread " << thread << ": " << what << " " << key;
  };
  auto read = [&](const std::string& key, const Entry* expected) {
    const std::optional<Got> got = worker.get(key);
    check(got.has_value() == (expected != nullptr), "get hit", key);
    if (got && expected) {
      check(got->value == expected->value, "get value", key);
      check(got->cas == expected->cas, "get cas", key);
    }
  };
  for (int op = 0; op < ops; ++op) {
    if (op % 64 == 0) worker.quiescent();
    const std::string& key = keys[rng() % kKeys];
    auto it = model.find(key);
    Entry* entry = it == model.end() ? nullptr : &it->second;
    const std::string value =
        rng() % 2 ? std::to_string(rng() % 1'000'000) : "v" + std::to_string(rng());
    auto store = [&](StoreMode mode, std::string_view v, uint64_t cas = 0) {
      return worker.store(mode, key, v, 0, 0, cas);
    };
    auto stored = [&](const StoreResult& r, std::string v) {
      check(r.status == StoreStatus::kStored && r.cas != 0, "store", key);
      model[key] = Entry{std::move(v), r.cas};
    };
    switch (rng() % 9) {
      case 0:
        stored(store(StoreMode::kSet, value), value);
        break;
      case 1: {
        const StoreResult r = store(StoreMode::kAdd, value);
        if (entry)
          check(r.status == StoreStatus::kNotStored, "add", key);
        else
          stored(r, value);
        break;
      }
      case 2: {
        const StoreResult r = store(StoreMode::kReplace, value);
        if (entry)
          stored(r, value);
        else
          check(r.status == StoreStatus::kNotStored, "replace", key);
        break;
      }
      case 3:
      case 4: {
        const bool append = rng() % 2;
        const StoreResult r = store(append ? StoreMode::kAppend : StoreMode::kPrepend, "1");
        if (entry)
          stored(r, append ? entry->value + "1" : "1" + entry->value);
        else
          check(r.status == StoreStatus::kNotStored, "append", key);
        break;
      }
      case 5: {
        const DeleteStatus r = worker.remove(key);
        check(r == (entry ? DeleteStatus::kDeleted : DeleteStatus::kNotFound), "delete", key);
        model.erase(key);
        break;
      }
      case 6: {
        const uint64_t delta = rng() % 1000;
        const bool increment = rng() % 2;
        const ArithResult r = worker.arith(key, delta, increment);
        const std::optional<uint64_t> old =
            entry ? proto::parse_counter(entry->value) : std::nullopt;
        if (!entry) {
          check(r.status == ArithStatus::kNotFound, "arith miss", key);
        } else if (!old) {
          check(r.status == ArithStatus::kNonNumeric, "arith non-numeric", key);
        } else {
          const uint64_t expected = proto::apply_delta(*old, delta, increment);
          check(r.status == ArithStatus::kOk && r.value == expected, "arith", key);
          // In place, padded with spaces, when no longer than the old value (as memcached).
          std::string text = std::to_string(expected);
          if (text.size() <= entry->value.size()) text.resize(entry->value.size(), ' ');
          *entry = Entry{std::move(text), r.cas};
        }
        break;
      }
      case 7: {
        const bool right = rng() % 2;
        const uint64_t cas = entry ? entry->cas + (right ? 0 : 1) : rng() | 1;
        const StoreResult r = store(StoreMode::kCas, value, cas);
        if (!entry)
          check(r.status == StoreStatus::kNotFound, "cas miss", key);
        else if (right)
          stored(r, value);
        else
          check(r.status == StoreStatus::kExists, "cas mismatch", key);
        break;
      }
      default:
        read(key, entry);
        break;
    }
  }
  for (const std::string& key : keys) {
    auto it = model.find(key);
    read(key, it == model.end() ? nullptr : &it->second);
  }
  return model.size();
}

template <class Factory>
class CacheStressConformance : public CacheFixture<Factory> {};
TYPED_TEST_SUITE_P(CacheStressConformance);

TYPED_TEST_P(CacheStressConformance, DisjointKeysMatchAPerThreadModel) {
  std::atomic<size_t> total{0};
  run_threads([&](int t) { total += run_disjoint_model(this->cache(), t, 20000); });
  EXPECT_EQ(this->cache().stats().curr_items, total.load());
}

TYPED_TEST_P(CacheStressConformance, ConcurrentIncrOnOneKeySumsExactly) {
  constexpr int kIncrements = 5000;
  this->must_set("counter", "0");
  std::vector<std::vector<uint64_t>> results(kStressThreads);
  run_threads([&](int t) {
    auto worker = this->new_thread();
    for (int i = 0; i < kIncrements; ++i) {
      if (i % 64 == 0) worker->quiescent();
      const ArithResult r = worker->arith("counter", uint64_t(t) + 1, true);
      ASSERT_EQ(r.status, ArithStatus::kOk);
      results[t].push_back(r.value);
    }
  });
  uint64_t expected = 0;
  for (int t = 0; t < kStressThreads; ++t) expected += uint64_t{kIncrements} * (t + 1);
  EXPECT_EQ(this->value("counter"), std::to_string(expected));
  // Every increment saw a distinct intermediate value: none was lost or applied twice.
  std::vector<uint64_t> all;
  for (const auto& r : results) all.insert(all.end(), r.begin(), r.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_EQ(all.back(), expected);
}

TYPED_TEST_P(CacheStressConformance, ConcurrentAddHasOneWinnerPerKey) {
  constexpr int kKeys = 2000;
  std::vector<std::atomic<int>> winners(kKeys);
  run_threads([&](int t) {
    auto worker = this->new_thread();
    const std::string mine = std::to_string(t);
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = "add:" + std::to_string(i);
      const StoreResult r = worker->store(StoreMode::kAdd, key, mine);
      if (r.status == StoreStatus::kStored) winners[i] += 1 + t * 100;  // 1 per win, + who
    }
  });
  for (int i = 0; i < kKeys; ++i) {
    const int w = winners[i].load();
    ASSERT_EQ(w % 100, 1) << "key " << i << " had " << w % 100 << " winners";
    EXPECT_EQ(this->value("add:" + std::to_string(i)), std::to_string(w / 100)) << i;
  }
}

TYPED_TEST_P(CacheStressConformance, CasUniquesAreDistinctAcrossWorkers) {
  constexpr int kStores = 5000;
  std::vector<std::vector<uint64_t>> cas(kStressThreads);
  run_threads([&](int t) {
    auto worker = this->new_thread();
    for (int i = 0; i < kStores; ++i) {
      const std::string key = "c" + std::to_string(t) + ":" + std::to_string(i % 100);
      cas[t].push_back(worker->store(StoreMode::kSet, key, "v").cas);
    }
  });
  std::vector<uint64_t> all;
  for (const auto& c : cas) all.insert(all.end(), c.begin(), c.end());
  std::sort(all.begin(), all.end());
  EXPECT_NE(all.front(), 0u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

// Stores that begin after flush_all has returned (in this thread's view) must survive it, on
// every worker, while other workers keep storing through the flush.
TYPED_TEST_P(CacheStressConformance, StoresAfterAConcurrentFlushSurvive) {
  constexpr int kStores = 2000;
  std::atomic<bool> flushed{false};
  std::atomic<int> started{0};
  std::vector<std::vector<std::string>> after(kStressThreads);
  std::thread flusher([&] {
    auto worker = this->new_thread();
    while (started.load() < kStressThreads) std::this_thread::yield();
    worker->flush_all();
    flushed.store(true, std::memory_order_release);
  });
  run_threads([&](int t) {
    auto worker = this->new_thread();
    ++started;
    // Keep going until some stores certainly began after the flush.
    for (int i = 0; i < kStores || after[t].size() < 100; ++i) {
      const bool is_after = flushed.load(std::memory_order_acquire);
      const std::string key = "f" + std::to_string(t) + ":" + std::to_string(i);
      ASSERT_EQ(worker->store(StoreMode::kSet, key, "v").status, StoreStatus::kStored);
      if (is_after) after[t].push_back(key);
    }
  });
  flusher.join();
  size_t checked = 0;
  for (const auto& keys : after) {
    for (const std::string& key : keys) {
      ASSERT_TRUE(this->get(key).has_value()) << key;
      ++checked;
    }
  }
  EXPECT_GE(checked, size_t{100} * kStressThreads);
}

// Readers racing writers on a few shared keys see only whole values: each value is one
// letter repeated a length that the letter determines, so a torn or mixed read shows.
TYPED_TEST_P(CacheStressConformance, ReadersRacingWritersSeeWholeValues) {
  constexpr int kKeys = 8;
  constexpr int kOps = 5000;
  auto length_of = [](char letter) { return size_t(letter - 'a') * 37 + 1; };
  std::atomic<int> torn{0};
  run_threads([&](int t) {
    auto worker = this->new_thread();
    std::mt19937 rng(static_cast<unsigned>(t) + 11);
    for (int i = 0; i < kOps; ++i) {
      if (i % 64 == 0) worker->quiescent();
      const std::string name = "shared" + std::to_string(rng() % kKeys);
      if (rng() % 4 == 0) {
        const char letter = static_cast<char>('a' + rng() % 26);
        const std::string value(length_of(letter), letter);
        worker->store(StoreMode::kSet, name, value, uint32_t(letter));
      } else {
        proto::get(worker->worker(), name, [&](const ItemView& item) {
          const char letter = item.value.empty() ? '?' : item.value[0];
          const bool whole = letter >= 'a' && letter <= 'z' &&
                             item.value.size() == length_of(letter) &&
                             item.value.find_first_not_of(letter) == std::string_view::npos &&
                             item.flags == uint32_t(letter);
          if (!whole) ++torn;
        });
      }
    }
  });
  EXPECT_EQ(torn.load(), 0);
}

// Concurrent appends to one key lose nothing: every thread's tokens are all there.
TYPED_TEST_P(CacheStressConformance, ConcurrentAppendsAreAllKept) {
  constexpr int kAppends = 1000;
  this->must_set("log", "");
  run_threads([&](int t) {
    auto worker = this->new_thread();
    const std::string token(1, static_cast<char>('A' + t));
    for (int i = 0; i < kAppends; ++i) {
      if (i % 64 == 0) worker->quiescent();
      const StoreResult r = worker->store(StoreMode::kAppend, "log", token);
      ASSERT_EQ(r.status, StoreStatus::kStored);
    }
  });
  const std::optional<std::string> log = this->value("log");
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->size(), size_t{kAppends} * kStressThreads);
  for (int t = 0; t < kStressThreads; ++t) {
    EXPECT_EQ(std::count(log->begin(), log->end(), static_cast<char>('A' + t)), kAppends) << t;
  }
}

// stats() may be called by any thread while workers write (the `stats` command does).
TYPED_TEST_P(CacheStressConformance, StatsWhileWriting) {
  constexpr int kKeys = 2000;
  std::atomic<int> writing{kStressThreads - 1};
  run_threads([&](int t) {
    if (t == 0) {
      while (writing.load() > 0) {
        const CacheStats stats = this->cache().stats();
        ASSERT_LE(stats.bytes, stats.limit_maxbytes);
        ASSERT_LE(stats.curr_items, uint64_t{kKeys} * kStressThreads);
      }
      return;
    }
    auto worker = this->new_thread();
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = "s" + std::to_string(t) + ":" + std::to_string(i);
      EXPECT_EQ(worker->store(StoreMode::kSet, key, "value").status, StoreStatus::kStored);
      if (i % 2) {
        EXPECT_EQ(worker->remove(key), DeleteStatus::kDeleted);
      }
    }
    --writing;
  });
  const CacheStats stats = this->cache().stats();
  EXPECT_EQ(stats.curr_items, uint64_t{kKeys} / 2 * (kStressThreads - 1));
  EXPECT_EQ(stats.total_items, uint64_t{kKeys} * (kStressThreads - 1));
}

// A mark set by a kTouch is a test-and-set: of the claims racing on one item, one applies; a
// store that keeps the mark, racing them, neither loses it nor lets a second claim through.
class ClaimMutation final : public Mutation {
 public:
  static constexpr Marks kClaimed = 0b100;
  Change decide(const ItemView* live) noexcept override {
    if (live == nullptr || (live->marks & kClaimed) != 0) return Change::keep();
    Change change = Change::touch(0);
    change.keep_exptime = true;
    change.marks = kClaimed;
    return change;
  }
  void done(const ItemView&) noexcept override { won = true; }
  bool won = false;
};

class KeepClaimStore final : public Mutation {
 public:
  Change decide(const ItemView*) noexcept override {
    Change change = Change::store(1, 0, 0);
    change.keep_marks = ClaimMutation::kClaimed;
    return change;
  }
  void write(const ItemView*, char* value) noexcept override { *value = 'r'; }
};

TYPED_TEST_P(CacheStressConformance, ConcurrentMarkClaimsHaveOneWinner) {
  constexpr int kKeys = 20000;  // enough for the threads to overlap
  for (int i = 0; i < kKeys; ++i) this->must_set("claim:" + std::to_string(i), "v");
  std::vector<std::atomic<int>> wins(kKeys);
  std::atomic<int> ready{0};
  run_threads([&](int t) {
    auto worker = this->new_thread();
    start_together(ready);  // so that the threads contend on the same keys
    for (int i = 0; i < kKeys; ++i) {
      const std::string name = "claim:" + std::to_string(i);  // the HashedKey views it
      const HashedKey key = this->cache().hash(name);
      if (t == 0) {
        for (int n = 0; n < 3; ++n) {
          KeepClaimStore store;
          this->cache().update(worker->ctx(), key, store);
        }
      } else {
        ClaimMutation claim;
        this->cache().update(worker->ctx(), key, claim);
        if (claim.won) ++wins[i];
      }
      if (i % 64 == 0) worker->quiescent();
    }
  });
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(wins[i].load(), 1) << "key " << i;
    const auto got = this->get("claim:" + std::to_string(i));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->marks & ClaimMutation::kClaimed, ClaimMutation::kClaimed) << i;
  }
}

// meta's stale-while-revalidate over it: of the clients reading a stale item, one wins (W).
TYPED_TEST_P(CacheStressConformance, ConcurrentMetaGetsOfAStaleItemHaveOneWinner) {
  constexpr int kKeys = 10000;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "stale:" + std::to_string(i);
    this->must_set(key, "v");
    ASSERT_EQ(proto::invalidate(this->main_thread().worker(), key, std::nullopt, std::nullopt),
              StoreStatus::kStored);
  }
  std::vector<std::atomic<int>> wins(kKeys);
  std::atomic<int> hits{0};
  std::atomic<int> ready{0};
  run_threads([&](int t) {
    auto worker = this->new_thread();
    start_together(ready);
    for (int i = 0; i < kKeys; ++i) {
      proto::MetaGetArgs args;
      const std::string key = "stale:" + std::to_string(i);
      args.key = key;
      if (t % 2 == 1) {  // with R too: the win is the stale item's either way
        args.steps[args.step_count++] = proto::MetaGetStep::kRecache;
        args.recache_below = 30;
      }
      const bool hit = proto::meta_get(worker->worker(), args, [&](const proto::MetaGetHit& h) {
        EXPECT_TRUE(h.stale);
        EXPECT_NE(h.won, h.win_sent);
        if (h.won) ++wins[i];
      });
      if (hit) ++hits;
      if (i % 64 == 0) worker->quiescent();
    }
  });
  EXPECT_EQ(hits.load(), kKeys * kStressThreads);
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(wins[i].load(), 1) << "key " << i;
}

REGISTER_TYPED_TEST_SUITE_P(CacheStressConformance, StatsWhileWriting,
                            ConcurrentMarkClaimsHaveOneWinner,
                            ConcurrentMetaGetsOfAStaleItemHaveOneWinner,
                            DisjointKeysMatchAPerThreadModel, ConcurrentIncrOnOneKeySumsExactly,
                            ConcurrentAddHasOneWinnerPerKey, CasUniquesAreDistinctAcrossWorkers,
                            StoresAfterAConcurrentFlushSurvive, ReadersRacingWritersSeeWholeValues,
                            ConcurrentAppendsAreAllKept);

}  // namespace cuckood::cache::testing
