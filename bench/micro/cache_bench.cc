// cache_bench: the Cache alone (no network, no protocol), driven through the cache::Cache
// interface exactly as a server worker drives it: one registered WorkerContext per thread,
// quiescent() every kQuiescentEvery operations (a worker's loop turn), keys hashed once before
// the request reaches the cache, and every hit's value copied out by the visitor (as proto
// copies it into the output buffer).
//
// Benchmarks are named WORKLOAD/IMPL/threads:N and registered so that, for each workload and
// thread count, the implementations run back to back (bench/cache_bench_table.py rather
// interleaves repetitions at random): on a shared, noisy machine compare them by ratio within
// one run, not across runs. Every benchmark measures wall-clock time, and items_per_second is the
// aggregate over threads per wall-clock second; insert runs a fixed number of iterations.
//
// Inputs are built before the timed region by a Setup hook: a new cache, preloaded with kKeys
// keys for the read and mixed workloads, and per thread a stream of requests (key bytes inline,
// hash precomputed, as they would sit in a receive buffer). Google Benchmark runs each benchmark
// several times while it sizes the iteration count; the read and mixed workloads keep their
// preloaded cache across those trials (a mixed trial leaves the same keys, all present), so the
// preload is paid once per benchmark; insert starts from an empty cache every trial.
//   uniform_read  gets of keys drawn uniformly from the kKeys preloaded ones (all hit)
//   hotkey_read   every thread reads the same kHotKeys keys (all hit)
//   mixed_90_10   90% gets / 10% sets of 32-byte values, keys drawn uniformly (all hit)
//   insert        kInsertKeys fresh keys, split across the threads, into an empty cache that
//                 grows as they arrive (a fixed count, so every implementation does equal work)
// A set is a plain memcached set as proto's command layer makes it: a blind kStore mutation that
// copies the value in. A get that misses or a set that is not stored marks the benchmark as
// failed.
//
// calibration/cpu/threads:N runs a fixed, purely CPU-bound computation per item and touches no
// shared memory: its rate at N threads over its rate at 1 thread is the parallelism the machine
// actually offered during the run (on a shared VM it can be well below N), the ceiling for any
// implementation's scaling.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/micro/cache_requests.h"
#include "bench/micro/mutex_map_cache.h"
#include "cache/baseline/libcuckoo_cache.h"
#include "cache/cache.h"
#include "cache/cuckoo_cache.h"

namespace cuckood::bench {
namespace {

enum class Workload { kUniformRead, kHotkeyRead, kMixed90_10, kInsert };

constexpr size_t kKeys = 100'000;          // preloaded keys of the read and mixed workloads
constexpr size_t kHotKeys = 4;             // hotkey_read's keys
constexpr size_t kStreamLength = 1 << 16;  // requests per thread, replayed cyclically
constexpr size_t kInsertKeys = 1 << 18;    // fresh keys per insert trial, over all threads
constexpr size_t kQuiescentEvery = 64;     // operations per simulated loop turn

// Room for every workload without eviction (a benchmark uses a few tens of MB, even with a long
// --benchmark_min_time): the comparison is of the index, not of eviction.
cache::CacheConfig bench_config() {
  cache::CacheConfig config;
  config.memory_limit = size_t{1} << 30;
  return config;
}

std::string_view workload_name(Workload workload) {
  switch (workload) {
    case Workload::kUniformRead:
      return "uniform_read";
    case Workload::kHotkeyRead:
      return "hotkey_read";
    case Workload::kMixed90_10:
      return "mixed_90_10";
    case Workload::kInsert:
      return "insert";
  }
  return "unknown";
}

// Everything a benchmark's trials need, built by setup() on the main thread before the benchmark
// threads start; kept until the setup of a different benchmark (or of an insert) replaces it.
struct Trial {
  using Setup = void (*)(const benchmark::State&);
  Setup owner = nullptr;  // the setup that built it
  int threads = 0;
  std::unique_ptr<cache::Cache> cache;
  std::vector<std::vector<Request>> streams;  // one per benchmark thread
};

Trial& current_trial() {
  static Trial trial;
  return trial;
}

// Stores "bench:%08x" for every n < kKeys; returns their requests.
std::vector<Request> preload(cache::Cache& cache) {
  std::vector<Request> keys;
  keys.reserve(kKeys);
  auto ctx = cache.register_worker();
  PlainSet set;
  for (size_t n = 0; n < kKeys; ++n) {
    keys.push_back(make_request(cache, format_key("bench:", n)));
    if (!set.run(cache, *ctx, keys.back().hashed())) {
      std::fprintf(stderr, "cache_bench: preload failed at key %zu\n", n);
      std::abort();
    }
    if (n % kQuiescentEvery == 0) cache.quiescent(*ctx);
  }
  return keys;
}

std::vector<Request> insert_stream(const cache::Cache& cache, int thread, int threads) {
  std::vector<Request> stream;
  const size_t count = kInsertKeys / static_cast<size_t>(threads);
  stream.reserve(count);
  const std::string prefix = "ins" + std::to_string(thread) + ":";
  for (size_t n = 0; n < count; ++n) {
    stream.push_back(make_request(cache, format_key(prefix.c_str(), n)));
    stream.back().is_set = true;
  }
  return stream;
}

std::vector<Request> read_stream(const std::vector<Request>& keys, Workload workload, int thread) {
  std::mt19937_64 rng(0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(thread + 1));
  std::uniform_int_distribution<size_t> pick(0, keys.size() - 1);
  std::bernoulli_distribution is_set(workload == Workload::kMixed90_10 ? 0.1 : 0.0);
  std::vector<Request> stream;
  stream.reserve(kStreamLength);
  for (size_t i = 0; i < kStreamLength; ++i) {
    const size_t n = workload == Workload::kHotkeyRead
                         ? (i + static_cast<size_t>(thread)) % kHotKeys
                         : pick(rng);
    stream.push_back(keys[n]);
    stream.back().is_set = is_set(rng);
  }
  return stream;
}

template <class Impl, Workload kWorkload>
void setup(const benchmark::State& state) {
  Trial& trial = current_trial();
  const Trial::Setup self = setup<Impl, kWorkload>;
  if (kWorkload != Workload::kInsert && trial.owner == self && trial.threads == state.threads()) {
    return;
  }
  trial = Trial{};  // free the previous cache before building the next
  trial.owner = self;
  trial.threads = state.threads();
  trial.cache = std::make_unique<Impl>(bench_config());
  std::vector<Request> keys;
  if (kWorkload != Workload::kInsert) keys = preload(*trial.cache);
  for (int thread = 0; thread < state.threads(); ++thread) {
    trial.streams.push_back(kWorkload == Workload::kInsert
                                ? insert_stream(*trial.cache, thread, state.threads())
                                : read_stream(keys, kWorkload, thread));
  }
}

// The body of every benchmark thread: replays its request stream for as long as asked.
void run_worker(benchmark::State& state) {
  Trial& trial = current_trial();
  cache::Cache& cache = *trial.cache;
  const std::vector<Request>& stream = trial.streams[static_cast<size_t>(state.thread_index())];
  auto ctx = cache.register_worker();

  std::array<char, 64> out{};  // stands for proto's output buffer
  const auto copy_out = [&out](const cache::ItemView& item) {
    std::memcpy(out.data(), item.value.data(), std::min(item.value.size(), out.size()));
  };
  const cache::ItemVisitor visit(copy_out);

  PlainSet set;
  size_t failures = 0;
  size_t next = 0;
  for (auto _ : state) {
    const Request& request = stream[next];
    if (++next == stream.size()) next = 0;
    if (request.is_set) {
      failures += !set.run(cache, *ctx, request.hashed());
    } else {
      failures += !cache.read(*ctx, request.hashed(), visit);
    }
    if (next % kQuiescentEvery == 0) cache.quiescent(*ctx);
  }
  benchmark::DoNotOptimize(out);
  state.SetItemsProcessed(state.iterations());
  if (failures != 0) state.SkipWithError("a get missed or a set was not stored");
}

// 100 rounds of a 64-bit LCG per item: a chain of dependent multiplies, no memory traffic.
void calibration(benchmark::State& state) {
  uint64_t x = static_cast<uint64_t>(state.thread_index()) + 1;
  for (auto _ : state) {
    for (int round = 0; round < 100; ++round)
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}

// Reports runs as WORKLOAD/IMPL/threads:N. Google Benchmark would insert "real_time" and, for
// insert, "iterations:K": settings shared by every benchmark of a workload (stated above), not
// part of which benchmark it is, and they would break the names bench/cache_bench_table.py
// reads.
class ShortNames final : public benchmark::BenchmarkReporter {
 public:
  explicit ShortNames(benchmark::BenchmarkReporter* inner) : inner_(inner) {}
  bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> renamed = runs;
    for (Run& run : renamed) {
      run.run_name.time_type.clear();
      run.run_name.iterations.clear();
    }
    inner_->ReportRuns(renamed);
  }
  void Finalize() override { inner_->Finalize(); }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
};

template <class Impl, Workload kWorkload>
void register_benchmark(std::string_view impl, int threads) {
  const std::string name = std::string(workload_name(kWorkload)) + "/" + std::string(impl);
  auto* benchmark = benchmark::RegisterBenchmark(name.c_str(), run_worker)
                        ->Setup(setup<Impl, kWorkload>)
                        ->Threads(threads)
                        ->UseRealTime();
  if (kWorkload == Workload::kInsert) {
    benchmark->Iterations(static_cast<benchmark::IterationCount>(kInsertKeys) / threads);
  }
}

// The implementations compared, in the table's column order. Adding one is one line here.
template <Workload kWorkload>
void register_implementations(int threads) {
  register_benchmark<cache::CuckooCache, kWorkload>("cuckood", threads);
  register_benchmark<cache::LibcuckooCache, kWorkload>("libcuckoo", threads);
  register_benchmark<MutexMapCache, kWorkload>("mutex_map", threads);
}

template <Workload kWorkload>
void register_workload() {
  for (int threads : {1, 2, 4}) register_implementations<kWorkload>(threads);
}

}  // namespace
}  // namespace cuckood::bench

int main(int argc, char** argv) {
  using cuckood::bench::Workload;
  for (int threads : {1, 2, 4}) {
    benchmark::RegisterBenchmark("calibration/cpu", cuckood::bench::calibration)
        ->Threads(threads)
        ->UseRealTime();
  }
  cuckood::bench::register_workload<Workload::kUniformRead>();
  cuckood::bench::register_workload<Workload::kHotkeyRead>();
  cuckood::bench::register_workload<Workload::kMixed90_10>();
  cuckood::bench::register_workload<Workload::kInsert>();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  cuckood::bench::ShortNames reporter(benchmark::CreateDefaultDisplayReporter());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
