// growth_windows: a sustained insert workload on the cache alone (no network, no protocol),
// from an empty cache through every index doubling, with the aggregate insert rate per time
// window. A doubling that makes writers wait shows up as a slow window; the figure to read is
// the slowest window's rate over the median window's.
//
// Like cache_bench: one registered WorkerContext per thread, quiescent() every kQuiescentEvery
// operations, keys hashed before the timed region (disjoint per thread), every insert a plain
// memcached set of a 32-byte value. Each thread notes the time every kCheckpointEvery inserts;
// the windows are counted from those notes afterwards, so the timed threads share nothing but
// the cache. The main thread samples the cache's stats (index size, doubling under way) every
// kSampleEvery to mark the windows in which the index grew. The last, partial window is left
// out. Implementations run one after the other in the same process: compare them by ratio.
//
// Usage: growth_windows [--keys N] [--threads T] [--window SECONDS] [--memory MB]
//                       [--impl cuckood|libcuckoo|both] [--timeline]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/micro/cache_requests.h"
#include "cache/baseline/libcuckoo_cache.h"
#include "cache/cache.h"
#include "cache/cuckoo_cache.h"

namespace cuckood::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kQuiescentEvery = 64;
constexpr size_t kCheckpointEvery = 1024;
constexpr auto kSampleEvery = std::chrono::milliseconds(10);

struct Options {
  size_t keys = 8'000'000;
  int threads = 2;
  double window = 0.5;   // seconds
  size_t memory = 4096;  // MiB, as the bigmem workload's -m
  std::string impl = "both";
  bool timeline = false;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: growth_windows [--keys N] [--threads T] [--window SECONDS] [--memory MB]\n"
               "                      [--impl cuckood|libcuckoo|both] [--timeline]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--keys") {
      options.keys = std::strtoull(value(), nullptr, 10);
    } else if (arg == "--threads") {
      options.threads = std::atoi(value());
    } else if (arg == "--window") {
      options.window = std::strtod(value(), nullptr);
    } else if (arg == "--memory") {
      options.memory = std::strtoull(value(), nullptr, 10);
    } else if (arg == "--impl") {
      options.impl = value();
    } else if (arg == "--timeline") {
      options.timeline = true;
    } else {
      usage();
    }
  }
  if (options.keys == 0 || options.threads < 1 || options.window <= 0) usage();
  if (options.impl != "cuckood" && options.impl != "libcuckoo" && options.impl != "both") usage();
  return options;
}

struct Sample {
  Clock::time_point at;
  size_t index_slots;
  bool growing;
};

struct Window {
  double rate = 0;    // inserts per second
  size_t slots = 0;   // index slots at the window's end (0: the cache does not say)
  bool grew = false;  // the index grew, or was migrating, during the window
};

// Inserts every stream's keys with one thread per stream; returns each thread's checkpoint
// times and fills `samples` meanwhile. Exits on a set that is not stored.
std::vector<std::vector<Clock::time_point>> run(cache::Cache& cache,
                                                const std::vector<std::vector<Request>>& streams,
                                                Clock::time_point& start,
                                                std::vector<Sample>& samples) {
  const size_t threads = streams.size();
  std::vector<std::vector<Clock::time_point>> checkpoints(threads);
  std::atomic<size_t> ready{0}, finished{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    checkpoints[t].reserve(streams[t].size() / kCheckpointEvery + 1);
    workers.emplace_back([&, t] {
      auto ctx = cache.register_worker();
      PlainSet set;
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const auto& stream = streams[t];
      for (size_t n = 0; n < stream.size(); ++n) {
        if (!set.run(cache, *ctx, stream[n].hashed())) {
          std::fprintf(stderr, "growth_windows: a set was not stored (key %zu of thread %zu)\n", n,
                       t);
          std::abort();
        }
        if ((n + 1) % kQuiescentEvery == 0) cache.quiescent(*ctx);
        if ((n + 1) % kCheckpointEvery == 0) checkpoints[t].push_back(Clock::now());
      }
      finished.fetch_add(1);
    });
  }
  while (ready.load() != threads) std::this_thread::yield();
  start = Clock::now();
  go.store(true, std::memory_order_release);
  while (finished.load() != threads) {
    const cache::CacheStats stats = cache.stats();
    samples.push_back({Clock::now(), stats.index_slots, stats.index_growing});
    std::this_thread::sleep_for(kSampleEvery);
  }
  for (auto& w : workers) w.join();
  return checkpoints;
}

std::vector<Window> windows(const std::vector<std::vector<Clock::time_point>>& checkpoints,
                            const std::vector<Sample>& samples, Clock::time_point start,
                            double window) {
  Clock::time_point end = start;
  for (const auto& thread : checkpoints) {
    if (!thread.empty()) end = std::max(end, thread.back());
  }
  const auto seconds = [&](Clock::time_point t) {
    return std::chrono::duration<double>(t - start).count();
  };
  const auto full = static_cast<size_t>(seconds(end) / window);
  std::vector<Window> result(full);
  for (const auto& thread : checkpoints) {
    for (const auto& at : thread) {
      const auto w = static_cast<size_t>(seconds(at) / window);
      if (w < full) result[w].rate += static_cast<double>(kCheckpointEvery) / window;
    }
  }
  size_t previous_slots = samples.empty() ? 0 : samples.front().index_slots;
  for (const Sample& sample : samples) {
    const auto w = static_cast<size_t>(seconds(sample.at) / window);
    if (w >= full) break;
    result[w].slots = sample.index_slots;
    result[w].grew = result[w].grew || sample.growing || sample.index_slots != previous_slots;
    previous_slots = sample.index_slots;
  }
  return result;
}

std::unique_ptr<cache::Cache> make_cache(std::string_view impl, const Options& options) {
  cache::CacheConfig config;
  config.memory_limit = options.memory << 20;
  if (impl == "cuckood") return std::make_unique<cache::CuckooCache>(config);
  return std::make_unique<cache::LibcuckooCache>(config);
}

void measure(std::string_view impl, const Options& options) {
  auto cache = make_cache(impl, options);
  std::vector<std::vector<Request>> streams(static_cast<size_t>(options.threads));
  const size_t per_thread = options.keys / streams.size();
  for (size_t t = 0; t < streams.size(); ++t) {
    const std::string prefix = "g" + std::to_string(t) + ":";
    streams[t].reserve(per_thread);
    for (size_t n = 0; n < per_thread; ++n) {
      streams[t].push_back(make_request(*cache, format_key(prefix.c_str(), n)));
    }
  }
  const size_t initial_slots = cache->stats().index_slots;
  Clock::time_point start;
  std::vector<Sample> samples;
  const auto checkpoints = run(*cache, streams, start, samples);
  const std::vector<Window> result = windows(checkpoints, samples, start, options.window);

  Clock::time_point end = start;
  for (const auto& thread : checkpoints) end = std::max(end, thread.back());
  const double elapsed = std::chrono::duration<double>(end - start).count();
  const double total =
      static_cast<double>(per_thread / kCheckpointEvery * kCheckpointEvery * streams.size());
  std::vector<double> rates;
  for (const Window& w : result) rates.push_back(w.rate);
  std::sort(rates.begin(), rates.end());
  const double median = rates.empty() ? 0 : rates[rates.size() / 2];
  const double slowest = rates.empty() ? 0 : rates.front();
  const size_t final_slots = cache->stats().index_slots;
  std::printf(
      "%-9s %zu keys, %d threads, %.2f s, %.2fM inserts/s; %zu windows of %.2f s: median "
      "%.2fM/s, slowest %.2fM/s = %.2f of the median; index slots %zu -> %zu\n",
      std::string(impl).c_str(), per_thread * streams.size(), options.threads, elapsed,
      total / elapsed / 1e6, result.size(), options.window, median / 1e6, slowest / 1e6,
      median > 0 ? slowest / median : 0, initial_slots, final_slots);
  if (options.timeline) {
    std::printf("  window  start_s  inserts/s  index_slots  grew\n");
    for (size_t w = 0; w < result.size(); ++w) {
      std::printf("  %6zu  %7.2f  %8.2fM  %11zu  %s\n", w, static_cast<double>(w) * options.window,
                  result[w].rate / 1e6, result[w].slots, result[w].grew ? "yes" : "");
    }
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace cuckood::bench

int main(int argc, char** argv) {
  const auto options = cuckood::bench::parse(argc, argv);
  if (options.impl != "libcuckoo") cuckood::bench::measure("cuckood", options);
  if (options.impl != "cuckood") cuckood::bench::measure("libcuckoo", options);
  return 0;
}
