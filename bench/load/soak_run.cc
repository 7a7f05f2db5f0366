#include "bench/load/soak_run.h"

#include <memory>
#include <thread>
#include <vector>

#include "bench/load/client_thread.h"
#include "bench/load/text_format.h"

namespace cuckood::load::soak {

bool SoakResult::failed() const noexcept {
  const SoakCounters& c = counters;
  return c.wrong + c.server_errors + c.protocol_errors + c.io_errors > 0 || c.operations() == 0;
}

SoakResult run(const Options& o) {
  SoakResult result;
  std::vector<std::unique_ptr<SoakClient>> clients;
  for (int slot = 0; slot < o.connections; ++slot)
    clients.push_back(std::make_unique<SoakClient>(o, slot, o.seed + static_cast<uint64_t>(slot)));
  const uint64_t start = now_ns();
  const uint64_t end = start + static_cast<uint64_t>(o.duration * 1e9);
  std::vector<std::thread> pool;
  for (auto& c : clients) pool.emplace_back([client = c.get(), end] { client->run(end); });
  for (auto& t : pool) t.join();
  result.seconds = static_cast<double>(now_ns() - start) / 1e9;
  for (auto& c : clients) result.counters.add(c->counters());
  return result;
}

std::string format_table(const SoakResult& r) {
  const SoakCounters& c = r.counters;
  std::string out;
  appendf(out, "%-16s %14s\n", "soak", "count");
  for (int i = 0; i < kOpCount; ++i)
    appendf(out, "%-16s %14llu\n", std::string(to_string(static_cast<Op>(i))).c_str(),
            (unsigned long long)c.ops[static_cast<size_t>(i)]);
  const auto row = [&](const char* name, uint64_t v) {
    appendf(out, "%-16s %14llu\n", name, (unsigned long long)v);
  };
  row("operations", c.operations());
  row("verified reads", c.verified_reads);
  row("misses", c.misses);
  row("wrong values", c.wrong);
  row("server errors", c.server_errors);
  row("protocol errors", c.protocol_errors);
  row("io errors", c.io_errors);
  row("reconnects", c.reconnects);
  appendf(out, "%-16s %14.1f\n", "seconds", r.seconds);
  appendf(out, "%-16s %14s\n", "verdict", r.failed() ? "FAIL" : "ok");
  return out;
}

}  // namespace cuckood::load::soak
