// The CPU time a server process has used, as the kernel accounts it in /proc/PID/stat (utime and
// stime, in clock ticks, summed over the process's threads). cuckood-load reads it at the two
// edges of its measured window (--server-pid), so that server CPU per request covers exactly the
// requests the run counts. utime + stime is the process's exact run time; the kernel splits it
// between the two by its tick samples in the proportion of the process's whole life so far, so the
// split of one window is approximate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cuckood::load {

struct CpuTicks {
  uint64_t user = 0;
  uint64_t system = 0;
};

// utime and stime (fields 14 and 15) of the text of /proc/PID/stat. Fields are counted from the
// last ')', since the command name (field 2) may itself hold spaces and parentheses.
std::optional<CpuTicks> parse_proc_stat(std::string_view text);

// The sum over `pids` of their CPU ticks; nullopt with `error` set when one cannot be read.
std::optional<CpuTicks> read_cpu_ticks(const std::vector<int>& pids, std::string& error);

// Server CPU over a measured window, in seconds.
struct ServerCpu {
  bool measured = false;  // false when no --server-pid was given
  double user_seconds = 0;
  double system_seconds = 0;

  double total_seconds() const noexcept { return user_seconds + system_seconds; }
  // Microseconds of server CPU per request; 0 without requests.
  double us_per_request(uint64_t requests) const noexcept;
  // utime / (utime + stime); 0 when no CPU was used.
  double user_share() const noexcept;
};

// The CPU used between two readings, at `ticks_per_second` (sysconf(_SC_CLK_TCK)).
ServerCpu cpu_between(CpuTicks before, CpuTicks after, long ticks_per_second);

}  // namespace cuckood::load
