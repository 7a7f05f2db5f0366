// What the cache benchmarks feed a cache: requests as a worker finds them in its receive
// buffer (key bytes inline, hashed once before the timed region) and the plain memcached set
// that proto's command layer would hand the cache for one. Shared by cache_bench and
// growth_windows, so that both measure the same operation.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "cache/cache.h"

namespace cuckood::bench {

constexpr size_t kMaxKeySize = 16;
constexpr std::string_view kValue = "0123456789abcdef0123456789abcdef";
static_assert(kValue.size() == 32);

// A plain set (no cas, no condition): the mutation the command layer hands the cache for one.
class PlainSet final : public cache::Mutation {
 public:
  cache::Change decide(const cache::ItemView*) noexcept override {
    return cache::Change::store(kValue.size(), 0, 0);
  }
  void write(const cache::ItemView*, char* value) noexcept override {
    std::memcpy(value, kValue.data(), kValue.size());
  }
  void done(const cache::ItemView&) noexcept override { stored_ = true; }
  bool blind() const noexcept override { return true; }

  // Sets `key`; whether it was stored.
  bool run(cache::Cache& cache, cache::WorkerContext& ctx, const cache::HashedKey& key) noexcept {
    stored_ = false;
    return cache.update(ctx, key, *this) == cache::UpdateStatus::kDone && stored_;
  }

 private:
  bool stored_ = false;
};

// One request as a worker finds it: key bytes inline (a sequential read, like a receive
// buffer), hash computed once.
struct Request {
  uint64_t hash = 0;
  std::array<char, kMaxKeySize> key{};
  uint8_t key_size = 0;
  bool is_set = false;

  cache::HashedKey hashed() const noexcept { return {{key.data(), key_size}, hash}; }
};

inline Request make_request(const cache::Cache& cache, std::string_view key) {
  Request request;
  request.key_size = static_cast<uint8_t>(std::min(key.size(), kMaxKeySize));
  std::memcpy(request.key.data(), key.data(), request.key_size);
  request.hash = cache.hash(request.hashed().key).hash;
  return request;
}

inline std::string format_key(const char* prefix, size_t n) {
  char key[kMaxKeySize + 1];
  const int size = std::snprintf(key, sizeof(key), "%s%08zx", prefix, n);
  return std::string(key, static_cast<size_t>(size));
}

}  // namespace cuckood::bench
