#include "bench/load/run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "bench/load/client_thread.h"
#include "bench/load/key_sampler.h"
#include "bench/load/tls_client.h"

namespace cuckood::load {
namespace {

// Sets in flight per connection while preloading: deep enough to hide the round trip.
constexpr int kPreloadDepth = 64;
// Slack between releasing the client threads and the start of the load, so that thread start-up
// skew does not land in the measured window when there is no warm-up.
constexpr uint64_t kStartSlackNs = 2'000'000;

uint64_t seconds_to_ns(double s) {
  return static_cast<uint64_t>(s * 1e9);
}

// Thread t's share of n items split over `parts`, as [lo, hi).
std::pair<uint64_t, uint64_t> share(uint64_t n, uint64_t parts, uint64_t t) {
  return {n * t / parts, n * (t + 1) / parts};
}

bool preload(const Options& o, const KeySampler& sampler, const TlsClient* tls, RunResult& result) {
  const size_t threads = static_cast<size_t>(o.threads);
  std::vector<std::unique_ptr<ClientThread>> clients;
  for (size_t t = 0; t < threads; ++t) {
    clients.push_back(std::make_unique<ClientThread>(o, sampler, kPreloadDepth, o.seed + 1000 + t));
    if (!clients.back()->connect(o.servers, tls, result.error)) return false;
  }
  const uint64_t start = now_ns();
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    auto [lo, hi] = share(o.keys, threads, t);
    pool.emplace_back([client = clients[t].get(), lo, hi] { client->preload(lo, hi); });
  }
  for (auto& th : pool) th.join();
  result.preload_seconds = static_cast<double>(now_ns() - start) / 1e9;
  for (auto& client : clients) result.preload.add(client->counters());
  return true;
}

void sleep_until_ns(uint64_t deadline) {
  const uint64_t now = now_ns();
  if (deadline > now) std::this_thread::sleep_for(std::chrono::nanoseconds(deadline - now));
}

// Reads the servers' CPU time at the edges of the measured window while the client threads run:
// at its start, and at its end (or, when the window ends after a number of requests, once the
// clients have finished, before their connections close).
class ServerCpuProbe {
 public:
  explicit ServerCpuProbe(const std::vector<int>& pids) : pids_(pids) {}

  void at_start(const Window& window) {
    if (pids_.empty()) return;
    sleep_until_ns(window.measure_start_ns);
    before_ = read_cpu_ticks(pids_, error_);
  }

  void at_window_end(const Window& window) {
    if (pids_.empty() || window.end_ns == UINT64_MAX) return;
    sleep_until_ns(window.end_ns);
    after_ = read_cpu_ticks(pids_, error_);
  }

  void after_clients_finished() {
    if (!pids_.empty() && !after_ && error_.empty()) after_ = read_cpu_ticks(pids_, error_);
  }

  // Sets result.server_cpu, or result.error when a reading failed.
  bool finish(RunResult& result) const {
    if (pids_.empty()) return true;
    if (!before_ || !after_) {
      result.error = error_;
      return false;
    }
    result.server_cpu = cpu_between(*before_, *after_, sysconf(_SC_CLK_TCK));
    return true;
  }

 private:
  const std::vector<int>& pids_;
  std::optional<CpuTicks> before_;
  std::optional<CpuTicks> after_;
  std::string error_;
};

}  // namespace

RunResult run(const Options& o) {
  RunResult result;
  const KeySampler sampler(o);
  std::unique_ptr<TlsClient> tls;
  if (o.tls.enabled && !(tls = TlsClient::create(o.tls, result.error))) return result;
  if (o.preload && !preload(o, sampler, tls.get(), result)) return result;

  // Connection g (numbered over all threads) goes to server g mod #servers.
  const size_t threads = static_cast<size_t>(o.threads);
  std::vector<std::unique_ptr<ClientThread>> clients;
  size_t next_conn = 0;
  for (size_t t = 0; t < threads; ++t) {
    auto [lo, hi] = share(static_cast<uint64_t>(o.connections), threads, t);
    std::vector<std::string> addresses;
    for (uint64_t i = lo; i < hi; ++i)
      addresses.push_back(o.servers[next_conn++ % o.servers.size()]);
    clients.push_back(std::make_unique<ClientThread>(o, sampler, o.depth, o.seed + t));
    if (!clients.back()->connect(addresses, tls.get(), result.error)) return result;
  }

  // Client threads wait at `go` until the window is fixed, so that all of them share one window.
  Window window;
  std::latch ready(static_cast<std::ptrdiff_t>(threads));
  std::latch go(1);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    Window* shared = &window;
    pool.emplace_back([&, client = clients[t].get(), t, shared] {
      ready.count_down();
      go.wait();
      Window mine = *shared;
      if (o.requests > 0) {
        auto [lo, hi] = share(o.requests, threads, t);
        mine.quota = std::max<uint64_t>(hi - lo, 1);
      }
      client->run(mine);
    });
  }
  ready.wait();
  const uint64_t start = now_ns() + kStartSlackNs;
  window.measure_start_ns = start + seconds_to_ns(o.warmup);
  window.end_ns = o.requests > 0 ? UINT64_MAX : window.measure_start_ns + seconds_to_ns(o.duration);
  go.count_down();
  ServerCpuProbe probe(o.server_pids);
  probe.at_start(window);
  probe.at_window_end(window);
  for (auto& th : pool) th.join();
  probe.after_clients_finished();

  uint64_t last = window.measure_start_ns;
  for (auto& client : clients) {
    result.counters.add(client->counters());
    result.latency.merge(client->latency());
    last = std::max(last, client->last_completion_ns());
  }
  result.seconds =
      o.requests > 0 ? static_cast<double>(last - window.measure_start_ns) / 1e9 : o.duration;
  result.ok = probe.finish(result);
  return result;
}

}  // namespace cuckood::load
