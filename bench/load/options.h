// Command-line options of cuckood-load and their parser. Parsing happens once at start-up, so it
// reports problems as an error string rather than through the hot-path status types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cuckood::load {

enum class Distribution { kUniform, kZipf, kHot };
enum class Protocol { kText, kBinary };
// kMixed: gets and sets over a key space (the default). kBigmem: appends of 16-byte records
// (bench/load/bigmem_run.h). kSoak: mixed verified operations
// for a long run (bench/load/soak_run.h).
enum class Workload { kMixed, kBigmem, kSoak };
// How kBigmem appends: `set` then `append` (classic), or meta `ms … MA N0` (append-or-create).
enum class BigmemMode { kClassic, kMeta };

// --tls: the mixed workload's connections speak TLS (bench/load/tls_client.h).
struct TlsOptions {
  bool enabled = false;
  std::string ca_file;    // verify the server's chain against it; empty: no verification
  std::string cert_file;  // a client certificate (and its key) to present; empty: none
  std::string key_file;
};

struct Options {
  std::vector<std::string> servers{"127.0.0.1:11211"};  // host:port; connections spread over them
  int threads = 1;
  int connections = 4;  // total over all threads (each thread gets connections/threads)
  int depth = 1;        // requests in flight per connection (closed loop)
  uint64_t keys = 100000;
  int key_size = 16;
  uint32_t value_min = 32;  // value length drawn uniformly from [value_min, value_max]
  uint32_t value_max = 32;
  double get_ratio = 0.9;  // fraction of operations that are gets; the rest are sets
  Distribution distribution = Distribution::kUniform;
  double theta = 0.99;        // Zipf exponent
  uint64_t hot_keys = 4;      // size of the hot set for Distribution::kHot
  double duration = 5.0;      // seconds of measurement (ignored when requests > 0)
  uint64_t requests = 0;      // stop after this many measured requests instead
  double warmup = 0.0;        // seconds of load before measurement starts (not reported)
  double rate = 0.0;          // total target requests/s; 0 = as fast as the closed loop allows
  bool preload = false;       // set every key once before the run
  bool read_through = false;  // a get miss is followed by a set of that key (cache-aside)
  Protocol protocol = Protocol::kText;
  bool json = false;
  uint64_t seed = 1;
  Workload workload = Workload::kMixed;
  uint64_t records = 1000000;  // bigmem: records in the run (keys: --keys)
  BigmemMode bigmem_mode = BigmemMode::kClassic;
  uint64_t verify = 10000;  // bigmem: keys sampled and read back after the run
  // Server processes whose CPU time (/proc/PID/stat) is read at the edges of the measured window
  // of the mixed workload; empty: not measured.
  std::vector<int> server_pids;
  TlsOptions tls;
};

struct ParseResult {
  Options options;
  bool ok = false;
  bool help = false;  // --help was given: print usage() and exit 0
  std::string error;  // why ok is false (when !help)
};

// Parses argv[1..argc). Accepts "--name value" and "--name=value".
ParseResult parse_options(int argc, const char* const* argv);

std::string_view usage();

std::string_view to_string(Distribution d);
std::string_view to_string(Protocol p);
std::string_view to_string(BigmemMode m);

}  // namespace cuckood::load
