// Test plumbing for the protocol codecs: a Session over one worker's Worker (worker_fixture.h:
// the shipping CuckooCache, a fake clock, settings, stats) and helpers that feed input to it
// the way net/ does — in chunks of a given size, keeping unconsumed bytes and presenting them
// again with the next chunk.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "proto/session.h"
#include "tests/proto/worker_fixture.h"

namespace cuckood::proto::testing {

// Every decoder case runs at each of these chunk sizes (0 = the whole input at once).
inline constexpr std::array<size_t, 7> kSplitSizes = {0, 1000, 100, 10, 5, 2, 1};

// A Session over a WorkerFixture, fed as net/ feeds it. Env runs on the shipping cache;
// BasicEnv<cache::LibcuckooCache> is for the few cases that need the oracle's behaviour.
template <class CacheType = cache::CuckooCache>
class BasicEnv : public WorkerFixture<CacheType> {
 public:
  explicit BasicEnv(Settings settings = {})
      : WorkerFixture<CacheType>(std::move(settings)), session_(this->worker()) {}

  // Feeds `input` in chunks of `split` bytes (0 = at once) to this Env's session; returns
  // what it answered. Unconsumed bytes stay pending for the next call, as on a connection;
  // an empty `input` presents them again.
  // `log`, when given, is the -vv log the session reports to.
  std::string feed(std::string_view input, size_t split = 0, RequestLog* log = nullptr) {
    std::string output;
    const size_t step = split == 0 ? std::max<size_t>(input.size(), 1) : split;
    size_t pos = 0;
    do {
      pending_.append(input.substr(pos, step));
      const size_t consumed = session_.process(pending_, output, log);
      EXPECT_LE(consumed, pending_.size());
      pending_.erase(0, consumed);
      pos += step;
    } while (pos < input.size());
    return output;
  }

  Session& session() { return session_; }
  const std::string& pending() const { return pending_; }

 private:
  Session session_;
  std::string pending_;
};

using Env = BasicEnv<>;

// Runs `input` on a fresh BasicEnv<CacheType> at each of `splits` and checks each answer
// equals `expected`.
template <class CacheType = cache::CuckooCache>
void expect_at_splits(std::span<const size_t> splits, std::string_view input,
                      std::string_view expected, const Settings& settings = {}) {
  for (size_t split : splits) {
    BasicEnv<CacheType> env(settings);
    EXPECT_EQ(env.feed(input, split), expected) << "split size " << split;
  }
}

// The same at every split size of kSplitSizes.
template <class CacheType = cache::CuckooCache>
void expect_response(std::string_view input, std::string_view expected,
                     const Settings& settings = {}) {
  expect_at_splits<CacheType>(kSplitSizes, input, expected, settings);
}

}  // namespace cuckood::proto::testing
