#include "bench/load/bigmem_report.h"

#include <algorithm>

#include "bench/load/text_format.h"

namespace cuckood::load::bigmem {
namespace {

double rate(uint64_t records, double seconds) {
  return seconds > 0 ? static_cast<double>(records) / seconds : 0.0;
}

}  // namespace

WindowSummary summarize(const std::vector<uint64_t>& windows, double window_seconds) {
  if (windows.empty()) return {};
  std::vector<uint64_t> whole(windows.begin(),
                              windows.size() > 1 ? windows.end() - 1 : windows.end());
  std::sort(whole.begin(), whole.end());
  const size_t mid = whole.size() / 2;
  const double median = whole.size() % 2 == 1
                            ? static_cast<double>(whole[mid])
                            : (static_cast<double>(whole[mid - 1]) + whole[mid]) / 2.0;
  WindowSummary s;
  s.median = median / window_seconds;
  s.slowest = static_cast<double>(whole.front()) / window_seconds;
  s.ratio = s.median > 0 ? s.slowest / s.median : 0.0;
  return s;
}

std::string format_human(const Options& o, const Result& r) {
  const WindowSummary w = summarize(r.windows, kWindowSeconds);
  std::string out;
  appendf(out, "bigmem %s  server %s  threads %d  connections %d  depth %d\n",
          std::string(to_string(o.bigmem_mode)).c_str(), o.servers[0].c_str(), o.threads,
          o.connections, o.depth);
  appendf(out, "records   %llu over %llu keys (%llu written)  in %.2f s = %.0f records/s\n",
          (unsigned long long)o.records, (unsigned long long)o.keys,
          (unsigned long long)r.keys_written, r.seconds, rate(r.stored + r.failed, r.seconds));
  appendf(out, "windows   %.1f s: median %.0f/s  slowest %.0f/s  slowest/median %.3f\n",
          kWindowSeconds, w.median, w.slowest, w.ratio);
  out += "rates    ";
  for (uint64_t n : r.windows) appendf(out, " %.0f", n / kWindowSeconds);
  out += "\n";
  appendf(out, "stored    %llu  failed %llu%s%s\n", (unsigned long long)r.stored,
          (unsigned long long)r.failed, r.failed ? "  first: " : "", r.first_failure.c_str());
  appendf(out, "verified  %llu keys: %llu match, %llu missing, %llu unexpected, %llu wrong\n",
          (unsigned long long)r.verified, (unsigned long long)r.matched,
          (unsigned long long)r.missing, (unsigned long long)r.unexpected,
          (unsigned long long)r.wrong);
  return out;
}

std::string format_json(const Options& o, const Result& r) {
  const WindowSummary w = summarize(r.windows, kWindowSeconds);
  std::string out = "{\"workload\":\"bigmem\",\"mode\":";
  out += json_string(to_string(o.bigmem_mode));
  out += ",\"server\":";
  out += json_string(o.servers[0]);
  appendf(out,
          ",\"threads\":%d,\"connections\":%d,\"depth\":%d,\"records\":%llu,\"keys\":%llu,"
          "\"keys_written\":%llu,\"seconds\":%.6f,\"records_per_sec\":%.1f",
          o.threads, o.connections, o.depth, (unsigned long long)o.records,
          (unsigned long long)o.keys, (unsigned long long)r.keys_written, r.seconds,
          rate(r.stored + r.failed, r.seconds));
  appendf(out,
          ",\"window_seconds\":%g,\"median_window_rate\":%.1f,\"slowest_window_rate\":%.1f,"
          "\"slowest_to_median\":%.4f,\"window_rates\":[",
          kWindowSeconds, w.median, w.slowest, w.ratio);
  for (size_t i = 0; i < r.windows.size(); ++i)
    appendf(out, "%s%.1f", i ? "," : "", r.windows[i] / kWindowSeconds);
  appendf(out, "],\"stored\":%llu,\"failed\":%llu,\"first_failure\":", (unsigned long long)r.stored,
          (unsigned long long)r.failed);
  out += json_string(r.first_failure);
  appendf(out,
          ",\"verified\":%llu,\"matched\":%llu,\"missing\":%llu,\"unexpected\":%llu,"
          "\"wrong\":%llu}\n",
          (unsigned long long)r.verified, (unsigned long long)r.matched,
          (unsigned long long)r.missing, (unsigned long long)r.unexpected,
          (unsigned long long)r.wrong);
  return out;
}

}  // namespace cuckood::load::bigmem
