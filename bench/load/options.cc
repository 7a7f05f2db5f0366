// Hand-written parser rather than getopt_long: getopt keeps global state (optind), which makes
// parsing twice in one process (the unit tests) error-prone.
#include "bench/load/options.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace cuckood::load {
namespace {

constexpr uint32_t kMaxValue = 128u << 20;
constexpr int kMaxKeySize = 250;  // memcached's key length limit

template <typename T>
bool parse_int(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_double(std::string_view s, double& out) {
  // from_chars for double needs no locale; g++ 12 supports it.
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

int decimal_digits(uint64_t v) {
  int d = 1;
  while (v >= 10) {
    v /= 10;
    ++d;
  }
  return d;
}

bool valid_server(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  uint32_t port = 0;
  return parse_int(s.substr(colon + 1), port) && port > 0 && port < 65536;
}

// Calls take(item) for each item of a comma-separated list, until it returns false.
template <typename Take>
bool for_each_item(std::string_view list, Take take) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (!take(list.substr(0, comma))) return false;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return true;
}

// Applies one option; returns an error message or an empty string.
std::string apply(Options& o, std::string_view name, std::string_view v, bool& consumed_value) {
  consumed_value = true;
  auto bad = [&] {
    return "invalid value for --" + std::string(name) + ": '" + std::string(v) + "'";
  };
  if (name == "server") {
    o.servers.clear();
    std::string_view invalid;
    const bool valid = for_each_item(v, [&](std::string_view one) {
      if (!valid_server(one)) {
        invalid = one;
        return false;
      }
      o.servers.emplace_back(one);
      return true;
    });
    if (!valid) return "invalid server '" + std::string(invalid) + "' (want host:port)";
    return o.servers.empty() ? bad() : "";
  }
  if (name == "threads") return parse_int(v, o.threads) ? "" : bad();
  if (name == "connections") return parse_int(v, o.connections) ? "" : bad();
  if (name == "depth") return parse_int(v, o.depth) ? "" : bad();
  if (name == "keys") return parse_int(v, o.keys) ? "" : bad();
  if (name == "key-size") return parse_int(v, o.key_size) ? "" : bad();
  if (name == "value-size") {
    size_t dash = v.find('-');
    if (dash == std::string_view::npos) {
      if (!parse_int(v, o.value_min)) return bad();
      o.value_max = o.value_min;
      return "";
    }
    return parse_int(v.substr(0, dash), o.value_min) && parse_int(v.substr(dash + 1), o.value_max)
               ? ""
               : bad();
  }
  if (name == "get-ratio") return parse_double(v, o.get_ratio) ? "" : bad();
  if (name == "dist") {
    if (v == "uniform")
      o.distribution = Distribution::kUniform;
    else if (v == "zipf")
      o.distribution = Distribution::kZipf;
    else if (v == "hot")
      o.distribution = Distribution::kHot;
    else
      return bad();
    return "";
  }
  if (name == "theta") return parse_double(v, o.theta) ? "" : bad();
  if (name == "hot-keys") return parse_int(v, o.hot_keys) ? "" : bad();
  if (name == "duration") return parse_double(v, o.duration) ? "" : bad();
  if (name == "requests") return parse_int(v, o.requests) ? "" : bad();
  if (name == "warmup") return parse_double(v, o.warmup) ? "" : bad();
  if (name == "rate") return parse_double(v, o.rate) ? "" : bad();
  if (name == "protocol") {
    if (v == "text")
      o.protocol = Protocol::kText;
    else if (v == "binary")
      o.protocol = Protocol::kBinary;
    else
      return bad();
    return "";
  }
  if (name == "seed") return parse_int(v, o.seed) ? "" : bad();
  if (name == "workload") {
    if (v == "mixed")
      o.workload = Workload::kMixed;
    else if (v == "bigmem")
      o.workload = Workload::kBigmem;
    else if (v == "soak")
      o.workload = Workload::kSoak;
    else
      return bad();
    return "";
  }
  if (name == "records") return parse_int(v, o.records) ? "" : bad();
  if (name == "append") {
    if (v == "classic")
      o.bigmem_mode = BigmemMode::kClassic;
    else if (v == "meta")
      o.bigmem_mode = BigmemMode::kMeta;
    else
      return bad();
    return "";
  }
  if (name == "verify") return parse_int(v, o.verify) ? "" : bad();
  if (name == "server-pid") {
    o.server_pids.clear();
    const bool valid = for_each_item(v, [&](std::string_view one) {
      int pid = 0;
      if (!parse_int(one, pid) || pid < 1) return false;
      o.server_pids.push_back(pid);
      return true;
    });
    return valid && !o.server_pids.empty() ? "" : bad();
  }
  if (name == "tls-ca") return (o.tls.ca_file = v).empty() ? bad() : "";
  if (name == "tls-cert") return (o.tls.cert_file = v).empty() ? bad() : "";
  if (name == "tls-key") return (o.tls.key_file = v).empty() ? bad() : "";
  consumed_value = false;
  if (name == "tls") o.tls.enabled = true;
  if (name == "preload") o.preload = true;
  if (name == "read-through") o.read_through = true;
  if (name == "json") o.json = true;
  return "";
}

// Short options are aliases of long ones; errors always name the long form.
std::string_view canonical(std::string_view name) {
  if (name == "s") return "server";
  if (name == "t") return "threads";
  if (name == "c") return "connections";
  if (name == "d") return "depth";
  if (name == "k") return "keys";
  if (name == "h") return "help";
  return name;
}

bool is_flag(std::string_view name) {
  return name == "preload" || name == "read-through" || name == "json" || name == "tls";
}

bool takes_value(std::string_view name) {
  for (std::string_view known :
       {"server",     "threads",  "connections", "depth",    "keys",     "key-size", "value-size",
        "get-ratio",  "dist",     "theta",       "hot-keys", "duration", "requests", "warmup",
        "rate",       "protocol", "seed",        "workload", "records",  "append",   "verify",
        "server-pid", "tls-ca",   "tls-cert",    "tls-key"})
    if (name == known) return true;
  return false;
}

std::string validate(const Options& o) {
  if (o.threads < 1 || o.threads > 256) return "--threads must be in [1, 256]";
  if (o.connections < o.threads) return "--connections must be at least --threads";
  if (o.connections > 100000) return "--connections must be at most 100000";
  if (o.depth < 1 || o.depth > 4096) return "--depth must be in [1, 4096]";
  if (o.keys < 1) return "--keys must be at least 1";
  if (o.key_size > kMaxKeySize) return "--key-size must be at most 250";
  // Keys are a one-letter prefix plus the zero-padded key number (see value_codec.h).
  int need = 1 + decimal_digits(o.keys - 1);
  if (o.key_size < need)
    return "--key-size must be at least " + std::to_string(need) + " for " +
           std::to_string(o.keys) + " keys";
  if (o.value_min < 1 || o.value_min > o.value_max || o.value_max > kMaxValue)
    return "--value-size must be N or MIN-MAX with 1 <= MIN <= MAX <= 128 MiB";
  if (!(o.get_ratio >= 0 && o.get_ratio <= 1)) return "--get-ratio must be in [0, 1]";
  if (!(o.theta > 0 && o.theta < 10)) return "--theta must be in (0, 10)";
  if (o.distribution == Distribution::kHot && (o.hot_keys < 1 || o.hot_keys > o.keys))
    return "--hot-keys must be in [1, --keys]";
  if (!(o.duration > 0)) return "--duration must be positive";
  if (!(o.warmup >= 0)) return "--warmup must not be negative";
  if (!(o.rate >= 0)) return "--rate must not be negative";
  const TlsOptions& tls = o.tls;
  if (!tls.enabled && !(tls.ca_file.empty() && tls.cert_file.empty() && tls.key_file.empty()))
    return "--tls-ca, --tls-cert and --tls-key need --tls";
  if (tls.cert_file.empty() != tls.key_file.empty()) return "--tls-cert and --tls-key go together";
  if (tls.enabled && o.workload != Workload::kMixed) return "--tls runs the mixed workload only";
  if (o.workload == Workload::kBigmem) {
    if (o.keys < static_cast<uint64_t>(o.connections))
      return "--keys must be at least --connections for --workload bigmem (a key per lane)";
    if (o.records < 1) return "--records must be at least 1";
    if (o.protocol != Protocol::kText) return "--workload bigmem speaks the text protocol only";
  }
  return "";
}

}  // namespace

ParseResult parse_options(int argc, const char* const* argv) {
  ParseResult r;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view name;
    std::optional<std::string_view> value;
    if (arg.starts_with("--")) {
      name = arg.substr(2);
      if (size_t eq = name.find('='); eq != std::string_view::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
    } else if (arg.size() == 2 && arg[0] == '-') {
      name = arg.substr(1);
    } else {
      r.error = "unexpected argument '" + std::string(arg) + "'";
      return r;
    }
    name = canonical(name);
    if (name == "help") {
      r.help = true;
      return r;
    }
    if (!is_flag(name) && !takes_value(name)) {
      r.error = "unknown option --" + std::string(name);
      return r;
    }
    if (!value && takes_value(name)) {
      if (i + 1 >= argc) {
        r.error = "option --" + std::string(name) + " needs a value";
        return r;
      }
      value = argv[++i];
    }
    bool consumed = false;
    std::string err = apply(r.options, name, value.value_or(""), consumed);
    if (err.empty() && value && !consumed)
      err = "option --" + std::string(name) + " takes no value";
    if (!err.empty()) {
      r.error = err;
      return r;
    }
  }
  r.error = validate(r.options);
  r.ok = r.error.empty();
  return r;
}

std::string_view usage() {
  return R"(usage: cuckood-load [options]
Closed-loop load generator for memcached-compatible servers (text or binary protocol).

  -s, --server HOST:PORT[,HOST:PORT...]  servers (default 127.0.0.1:11211); connections are
                                spread round-robin; --preload fills every server
  -t, --threads N               generator threads (default 1)
  -c, --connections N           connections in total (default 4)
  -d, --depth N                 requests in flight per connection (pipeline depth, default 1)
  -k, --keys N                  key space size (default 100000)
      --key-size N              key length in bytes (default 16)
      --value-size N|MIN-MAX    value length, fixed or uniform in a range (default 32)
      --get-ratio F             fraction of gets, the rest are sets (default 0.9)
      --dist uniform|zipf|hot   key distribution (default uniform)
      --theta F                 Zipf exponent (default 0.99)
      --hot-keys N              size of the hot set for --dist hot (default 4)
      --duration S              measured seconds (default 5)
      --requests N              stop after N measured requests instead of a duration
      --warmup S                seconds of unmeasured load first (default 0)
      --rate R                  total requests/s target (default 0: closed loop, no pacing);
                                latency is then measured from each request's scheduled time
      --preload                 set every key once before the run
      --read-through            follow every get miss with a set of that key (cache-aside)
      --protocol text|binary    wire protocol (default text)
      --seed N                  random seed (default 1)
      --workload mixed|bigmem|soak
                                mixed: gets and sets (default); bigmem: --records 16-byte
                                records appended to --keys keys, 16-hex-char keys, one lane
                                per connection, rates per 0.5-s window, then --verify keys
                                read back and checked byte for byte (ignores the get/set,
                                value, distribution and timing options); soak: --duration
                                seconds of get/set/append/incr/delete/touch over --connections
                                clients (half text, half binary) that pipeline, reconnect and
                                verify every reply (bench/load/soak_run.h)
      --records N               bigmem: records to write (default 1000000)
      --append classic|meta     bigmem: set then append (default), or ms MA N0 per record
      --verify N                bigmem: keys sampled and checked after the run (default 10000)
      --server-pid PID[,PID...] server processes on this machine whose CPU time (utime and
                                stime in /proc/PID/stat) is read at the start and end of the
                                measured window: reports server CPU per request and its
                                user-space share (mixed workload)
      --tls                     speak TLS (mixed workload); the server's certificate is not
                                verified and no host name is checked unless --tls-ca is given
      --tls-ca FILE             verify the server's certificate chain against this CA file
      --tls-cert FILE, --tls-key FILE
                                present this client certificate (servers started with
                                -o ssl_verify_mode=2 or 3)
      --json                    print the result as one JSON object
  -h, --help                    this text

Values encode their key; every value read back is checked and mismatches are reported.
)";
}

std::string_view to_string(Distribution d) {
  switch (d) {
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kZipf:
      return "zipf";
    case Distribution::kHot:
      return "hot";
  }
  return "?";
}

std::string_view to_string(Protocol p) {
  return p == Protocol::kText ? "text" : "binary";
}

std::string_view to_string(BigmemMode m) {
  return m == BigmemMode::kMeta ? "meta" : "classic";
}

}  // namespace cuckood::load
