// Server settings that protocol handlers need to answer (stats settings, limits, shutdown).
// Filled once at start-up by server/; read-only afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cuckood::proto {

inline constexpr std::string_view kVersion = "1.6.18-cuckood-0.1";

struct Settings {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 11211;
  uint16_t udp_port = 0;
  int threads = 4;
  size_t memory_limit = size_t{64} << 20;
  size_t max_item_size = size_t{1} << 20;
  int max_connections = 1024;
  bool allow_shutdown = false;  // -A: the `shutdown` command is honoured
  bool debug_time = false;      // --debug-time: the `debugtime` command may move the clock
  bool evictions = true;        // -M turns it off: a full cache refuses stores instead
  bool cas_enabled = true;      // -C turns it off: no cas uniques
  bool flush_enabled = true;    // -F turns it off: flush_all is refused
  bool dump_enabled = true;     // -X turns it off: cachedump/metadump are refused
  std::string io_engine = "uring";
};

}  // namespace cuckood::proto
