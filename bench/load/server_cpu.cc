#include "bench/load/server_cpu.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace cuckood::load {
namespace {

// After the ')' that closes the command name come field 3 (state) onwards; utime is field 14.
constexpr int kFieldsBeforeUtime = 14 - 3;

std::string_view next_field(std::string_view& rest) {
  const size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  const size_t end = rest.find_first_of(" \n");
  std::string_view field = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  return field;
}

bool parse_ticks(std::string_view field, uint64_t& out) {
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
  return !field.empty() && ec == std::errc() && end == field.data() + field.size();
}

}  // namespace

std::optional<CpuTicks> parse_proc_stat(std::string_view text) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  for (int i = 0; i < kFieldsBeforeUtime; ++i)
    if (next_field(rest).empty()) return std::nullopt;
  CpuTicks ticks;
  if (!parse_ticks(next_field(rest), ticks.user) || !parse_ticks(next_field(rest), ticks.system))
    return std::nullopt;
  return ticks;
}

std::optional<CpuTicks> read_cpu_ticks(const std::vector<int>& pids, std::string& error) {
  CpuTicks sum;
  for (int pid : pids) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    const std::optional<CpuTicks> ticks = file ? parse_proc_stat(text.str()) : std::nullopt;
    if (!ticks) {
      error =
          "cannot read the CPU time of server process " + std::to_string(pid) + " (" + path + ")";
      return std::nullopt;
    }
    sum.user += ticks->user;
    sum.system += ticks->system;
  }
  return sum;
}

double ServerCpu::us_per_request(uint64_t requests) const noexcept {
  return requests ? total_seconds() * 1e6 / static_cast<double>(requests) : 0.0;
}

double ServerCpu::user_share() const noexcept {
  const double total = total_seconds();
  return total > 0 ? user_seconds / total : 0.0;
}

ServerCpu cpu_between(CpuTicks before, CpuTicks after, long ticks_per_second) {
  const double hz = static_cast<double>(ticks_per_second);
  ServerCpu cpu;
  cpu.measured = true;
  cpu.user_seconds = static_cast<double>(after.user - before.user) / hz;
  cpu.system_seconds = static_cast<double>(after.system - before.system) / hz;
  return cpu;
}

}  // namespace cuckood::load
