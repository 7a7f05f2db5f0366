#include "bench/load/report.h"

#include <cstdio>
#include <string_view>

#include "bench/load/text_format.h"

namespace cuckood::load {
namespace {

double hit_ratio(const Counters& c) {
  const uint64_t lookups = c.hits + c.misses;
  return lookups ? static_cast<double>(c.hits) / static_cast<double>(lookups) : 0.0;
}

double us(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

}  // namespace

std::string format_human(const Options& o, const RunResult& r) {
  std::string out;
  const Counters& c = r.counters;
  std::string servers;
  for (const auto& s : o.servers) {
    if (!servers.empty()) servers += ',';
    servers += s;
  }
  appendf(out, "servers %s  protocol %s%s  threads %d  connections %d  depth %d\n", servers.c_str(),
          std::string(to_string(o.protocol)).c_str(), o.tls.enabled ? " over TLS" : "", o.threads,
          o.connections, o.depth);
  appendf(out, "keys %llu x %d B  values %u-%u B  gets %.0f%%  dist %s", (unsigned long long)o.keys,
          o.key_size, o.value_min, o.value_max, o.get_ratio * 100,
          std::string(to_string(o.distribution)).c_str());
  if (o.distribution == Distribution::kZipf) appendf(out, " (theta %.2f)", o.theta);
  if (o.distribution == Distribution::kHot)
    appendf(out, " (%llu keys)", (unsigned long long)o.hot_keys);
  if (o.read_through) out += "  read-through";
  if (o.rate > 0) appendf(out, "  rate %.0f/s", o.rate);
  out += "\n";
  if (o.preload)
    appendf(out, "preload   %llu sets in %.2f s, %llu errors\n", (unsigned long long)r.preload.sets,
            r.preload_seconds, (unsigned long long)r.preload.errors());
  appendf(out, "requests  %llu in %.2f s = %.0f ops/s  (gets %llu, sets %llu)\n",
          (unsigned long long)c.requests, r.seconds, r.seconds > 0 ? c.requests / r.seconds : 0.0,
          (unsigned long long)c.gets, (unsigned long long)c.sets);
  appendf(out, "hit ratio %.4f  (hits %llu, misses %llu, not stored %llu)\n", hit_ratio(c),
          (unsigned long long)c.hits, (unsigned long long)c.misses,
          (unsigned long long)c.not_stored);
  const Histogram& h = r.latency;
  appendf(out, "latency   us  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
          h.mean() / 1000, us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)),
          us(h.percentile(99.9)), us(h.max()));
  if (r.server_cpu.measured)
    appendf(out, "server    CPU %.2f us/request  (user %.2f s, system %.2f s: user share %.1f%%)\n",
            r.server_cpu.us_per_request(c.requests), r.server_cpu.user_seconds,
            r.server_cpu.system_seconds, r.server_cpu.user_share() * 100);
  appendf(out,
          "errors    %llu  (server %llu, protocol %llu, disconnects %llu, timeouts %llu)\n"
          "mismatches %llu\n",
          (unsigned long long)c.errors(), (unsigned long long)c.server_errors,
          (unsigned long long)c.protocol_errors, (unsigned long long)c.disconnects,
          (unsigned long long)c.timeouts, (unsigned long long)c.mismatches);
  return out;
}

std::string format_json(const Options& o, const RunResult& r) {
  std::string out = "{\"servers\":[";
  for (size_t i = 0; i < o.servers.size(); ++i) {
    if (i > 0) out += ',';
    out += json_string(o.servers[i]);
  }
  out += "],\"protocol\":";
  out += json_string(to_string(o.protocol));
  out += o.tls.enabled ? ",\"tls\":true" : ",\"tls\":false";
  out += ",\"distribution\":";
  out += json_string(to_string(o.distribution));
  const Counters& c = r.counters;
  const Histogram& h = r.latency;
  appendf(out,
          ",\"threads\":%d,\"connections\":%d,\"depth\":%d,\"keys\":%llu,\"key_size\":%d,"
          "\"value_min\":%u,\"value_max\":%u,\"get_ratio\":%g,\"theta\":%g,\"hot_keys\":%llu,"
          "\"read_through\":%s,\"rate\":%g",
          o.threads, o.connections, o.depth, (unsigned long long)o.keys, o.key_size, o.value_min,
          o.value_max, o.get_ratio, o.theta, (unsigned long long)o.hot_keys,
          o.read_through ? "true" : "false", o.rate);
  appendf(out,
          ",\"seconds\":%.6f,\"requests\":%llu,\"ops_per_sec\":%.1f,\"gets\":%llu,\"sets\":%llu,"
          "\"hits\":%llu,\"misses\":%llu,\"hit_ratio\":%.6f,\"not_stored\":%llu",
          r.seconds, (unsigned long long)c.requests, r.seconds > 0 ? c.requests / r.seconds : 0.0,
          (unsigned long long)c.gets, (unsigned long long)c.sets, (unsigned long long)c.hits,
          (unsigned long long)c.misses, hit_ratio(c), (unsigned long long)c.not_stored);
  appendf(out,
          ",\"errors\":%llu,\"server_errors\":%llu,\"protocol_errors\":%llu,\"disconnects\":%llu,"
          "\"timeouts\":%llu,\"mismatches\":%llu",
          (unsigned long long)c.errors(), (unsigned long long)c.server_errors,
          (unsigned long long)c.protocol_errors, (unsigned long long)c.disconnects,
          (unsigned long long)c.timeouts, (unsigned long long)c.mismatches);
  appendf(out,
          ",\"latency_us\":{\"mean\":%.2f,\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,\"p99_9\":%.2f,"
          "\"max\":%.2f}",
          h.mean() / 1000, us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)),
          us(h.percentile(99.9)), us(h.max()));
  if (r.server_cpu.measured)
    appendf(out,
            ",\"server_cpu\":{\"user_seconds\":%.3f,\"system_seconds\":%.3f,"
            "\"us_per_request\":%.4f,\"user_share\":%.4f}",
            r.server_cpu.user_seconds, r.server_cpu.system_seconds,
            r.server_cpu.us_per_request(c.requests), r.server_cpu.user_share());
  else
    out += ",\"server_cpu\":null";
  appendf(out, ",\"preload\":{\"sets\":%llu,\"errors\":%llu,\"mismatches\":%llu,\"seconds\":%.3f}}",
          (unsigned long long)r.preload.sets, (unsigned long long)r.preload.errors(),
          (unsigned long long)r.preload.mismatches, r.preload_seconds);
  out += '\n';
  return out;
}

}  // namespace cuckood::load
