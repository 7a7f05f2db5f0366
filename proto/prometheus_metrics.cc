#include "proto/prometheus_metrics.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <string_view>
#include <vector>

#include "proto/commands.h"

namespace cuckood::proto {

namespace {

using StatMap = std::map<std::string, std::string, std::less<>>;

// cuckood_hot_key_reads: this many keys, as `stats hotkeys` shows by default.
constexpr size_t kHotKeysShown = 10;

StatMap stats_of(Worker& w, std::string_view group) {
  StatMap stats;
  collect_stats(w, group, [&](std::string_view name, std::string_view value) {
    stats.emplace(std::string(name), std::string(value));
  });
  return stats;
}

uint64_t number(const StatMap& stats, std::string_view name) {
  const auto it = stats.find(name);
  uint64_t value = 0;
  if (it != stats.end())
    std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  return value;
}

// The exposition: each family's HELP and TYPE once, then its samples, contiguous as the format
// requires.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  // `labels`: already formatted, `{a="x",b="y"}`, or empty.
  void sample(std::string_view name, std::string_view labels, std::string_view value) {
    out_.append(name).append(labels).append(" ").append(value).append("\n");
  }
  void sample(std::string_view name, std::string_view labels, uint64_t value) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    sample(name, labels, std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    char buf[32];
    const int n = std::snprintf(buf, sizeof(buf), "%.6g", value);
    sample(name, labels, std::string_view(buf, static_cast<size_t>(n)));
  }
  // A family of one unlabelled sample taken from a stat as printed (absent: left out).
  void single(const StatMap& stats, std::string_view stat, std::string_view name,
              std::string_view type, std::string_view help) {
    const auto it = stats.find(stat);
    if (it == stats.end()) return;
    family(name, type, help);
    sample(name, "", it->second);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string out = "{";
  for (const auto& [key, value] : pairs) {
    if (out.size() > 1) out += ",";
    out.append(key).append("=\"");
    for (const char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

// memcached_commands_total{command,status}, as the exporter derives it from `stats`.
void commands(Exposition& e, const StatMap& s) {
  constexpr std::string_view kName = "memcached_commands_total";
  e.family(kName, "counter", "Requests by command and outcome.");
  for (const std::string_view op : {"get", "delete", "incr", "decr", "cas", "touch"}) {
    const std::string op_name(op);
    e.sample(kName, labels({{"command", op}, {"status", "hit"}}), number(s, op_name + "_hits"));
    e.sample(kName, labels({{"command", op}, {"status", "miss"}}), number(s, op_name + "_misses"));
  }
  e.sample(kName, labels({{"command", "cas"}, {"status", "badval"}}), number(s, "cas_badval"));
  e.sample(kName, labels({{"command", "flush"}, {"status", "hit"}}), number(s, "cmd_flush"));
  // cmd_set counts cas requests too; the exporter reports sets without them.
  const uint64_t cas = number(s, "cas_misses") + number(s, "cas_hits") + number(s, "cas_badval");
  const uint64_t set = number(s, "cmd_set");
  e.sample(kName, labels({{"command", "set"}, {"status", "hit"}}), set > cas ? set - cas : 0);
}

struct StatMetric {
  std::string_view stat;
  std::string_view name;
  std::string_view type;
  std::string_view help;
};

constexpr StatMetric kGeneral[] = {
    {"uptime", "memcached_uptime_seconds", "counter", "Seconds since the server started."},
    {"time", "memcached_time_seconds", "gauge", "The server's Unix time."},
    {"rusage_user", "memcached_process_user_cpu_seconds_total", "counter", "User CPU time."},
    {"rusage_system", "memcached_process_system_cpu_seconds_total", "counter", "System CPU time."},
    {"bytes_read", "memcached_read_bytes_total", "counter", "Bytes read from the network."},
    {"bytes_written", "memcached_written_bytes_total", "counter", "Bytes sent to the network."},
    {"curr_connections", "memcached_current_connections", "gauge", "Open connections."},
    {"total_connections", "memcached_connections_total", "counter", "Connections opened."},
    {"rejected_connections", "memcached_connections_rejected_total", "counter",
     "Connections refused beyond -c."},
    {"conn_yields", "memcached_connections_yielded_total", "counter",
     "Times a connection yielded to others with requests left (-R)."},
    {"listen_disabled_num", "memcached_connections_listener_disabled_total", "counter",
     "Times accepting was paused."},
    {"accepting_conns", "memcached_accepting_connections", "gauge",
     "Whether new connections are accepted."},
    {"bytes", "memcached_current_bytes", "gauge", "Bytes of stored items."},
    {"limit_maxbytes", "memcached_limit_bytes", "gauge", "Item memory limit (-m)."},
    {"curr_items", "memcached_current_items", "gauge", "Items stored now."},
    {"total_items", "memcached_items_total", "counter", "Items stored since start."},
    {"evictions", "memcached_items_evicted_total", "counter", "Live items removed to make room."},
    {"reclaimed", "memcached_items_reclaimed_total", "counter",
     "Stores that used memory of an expired item."},
    {"store_too_large", "memcached_item_too_large_total", "counter",
     "Stores refused as larger than -I."},
    {"store_no_memory", "memcached_item_no_memory_total", "counter",
     "Stores refused for want of memory."},
    {"lru_crawler_starts", "memcached_lru_crawler_starts_total", "counter",
     "Times the LRU crawler was started."},
    {"direct_reclaims", "memcached_direct_reclaims_total", "counter",
     "Times a worker reclaimed or evicted items itself."},
    {"crawler_items_checked", "memcached_lru_crawler_items_checked_total", "counter",
     "Items examined by the crawler."},
    {"crawler_reclaimed", "memcached_lru_crawler_reclaimed_total", "counter",
     "Items freed by the crawler."},
    {"moves_to_cold", "memcached_lru_crawler_moves_to_cold_total", "counter",
     "Items moved to the COLD LRU."},
    {"moves_to_warm", "memcached_lru_crawler_moves_to_warm_total", "counter",
     "Items moved to the WARM LRU."},
    {"moves_within_lru", "memcached_lru_crawler_moves_within_lru_total", "counter",
     "Items reshuffled within an LRU."},
    {"total_malloced", "memcached_malloced_bytes", "gauge", "Bytes of item memory allocated."},
};

constexpr StatMetric kSettings[] = {
    {"maxconns", "memcached_max_connections", "gauge", "Connection limit (-c)."},
    {"lru_crawler_sleep", "memcached_lru_crawler_sleep", "gauge", "Microseconds between crawls."},
    {"lru_crawler_tocrawl", "memcached_lru_crawler_to_crawl", "gauge",
     "Items crawled per class per run at most."},
    {"hot_lru_pct", "memcached_lru_crawler_hot_percent", "gauge", "HOT LRU share."},
    {"warm_lru_pct", "memcached_lru_crawler_warm_percent", "gauge", "WARM LRU share."},
    {"hot_max_factor", "memcached_lru_crawler_hot_max_factor", "gauge", "HOT age factor."},
    {"warm_max_factor", "memcached_lru_crawler_warm_max_factor", "gauge", "WARM age factor."},
};

// `stats items` figures per size class: "items:<class>:<name>".
constexpr StatMetric kPerClass[] = {
    {"number", "memcached_slab_current_items", "gauge", "Items stored now, per class."},
    {"age", "memcached_slab_items_age_seconds", "gauge", "Age of the oldest item, per class."},
    {"crawler_reclaimed", "memcached_slab_items_crawler_reclaimed_total", "counter",
     "Items freed by the crawler, per class."},
    {"evicted", "memcached_slab_items_evicted_total", "counter", "Evictions, per class."},
    {"evicted_nonzero", "memcached_slab_items_evicted_nonzero_total", "counter",
     "Evictions of items with a deadline, per class."},
    {"evicted_time", "memcached_slab_items_evicted_time_seconds", "counter",
     "Seconds since the last access of the last evicted item, per class."},
    {"evicted_unfetched", "memcached_slab_items_evicted_unfetched_total", "counter",
     "Evictions of never-read items, per class."},
    {"expired_unfetched", "memcached_slab_items_expired_unfetched_total", "counter",
     "Expired never-read items reclaimed, per class."},
    {"outofmemory", "memcached_slab_items_outofmemory_total", "counter",
     "Stores refused for want of memory, per class."},
    {"reclaimed", "memcached_slab_items_reclaimed_total", "counter",
     "Expired items reclaimed, per class."},
    {"tailrepairs", "memcached_slab_items_tailrepairs_total", "counter",
     "LRU tail repairs, per class."},
    {"mem_requested", "memcached_slab_mem_requested_bytes", "counter",
     "Bytes the items take, per class."},
    {"moves_to_cold", "memcached_slab_items_moves_to_cold", "counter", "Moves to COLD, per class."},
    {"moves_to_warm", "memcached_slab_items_moves_to_warm", "counter", "Moves to WARM, per class."},
    {"moves_within_lru", "memcached_slab_items_moves_within_lru", "counter",
     "Moves within an LRU, per class."},
    {"number_hot", "memcached_slab_hot_items", "gauge", "Items in HOT, per class."},
    {"number_warm", "memcached_slab_warm_items", "gauge", "Items in WARM, per class."},
    {"number_cold", "memcached_slab_cold_items", "gauge", "Items in COLD, per class."},
    {"number_temp", "memcached_slab_temporary_items", "gauge", "Items in TEMP, per class."},
    {"age_hot", "memcached_slab_hot_age_seconds", "gauge", "Oldest HOT item's age, per class."},
    {"age_warm", "memcached_slab_warm_age_seconds", "gauge", "Oldest WARM item's age, per class."},
};

// "items:12:number" → {"12", "number"}; false for any other key.
bool split_class_key(std::string_view key, std::string_view& id, std::string_view& name) {
  if (!key.starts_with("items:")) return false;
  key.remove_prefix(6);
  const size_t colon = key.find(':');
  if (colon == std::string_view::npos) return false;
  id = key.substr(0, colon);
  name = key.substr(colon + 1);
  return true;
}

void per_class(Exposition& e, const StatMap& items) {
  for (const StatMetric& m : kPerClass) {
    bool any = false;
    for (const auto& [key, value] : items) {
      std::string_view id, name;
      if (!split_class_key(key, id, name) || name != m.stat) continue;
      if (!any) e.family(m.name, m.type, m.help);
      any = true;
      e.sample(m.name, labels({{"slab", id}}), value);
    }
  }
  constexpr std::string_view kHits = "memcached_slab_lru_hits_total";
  bool any = false;
  for (const auto& [key, value] : items) {
    std::string_view id, name;
    if (!split_class_key(key, id, name) || !name.starts_with("hits_to_")) continue;
    if (!any) e.family(kHits, "counter", "Hits by LRU, per class.");
    any = true;
    std::string_view lru = name.substr(8);
    if (lru == "temp") lru = "temporary";
    e.sample(kHits, labels({{"slab", id}, {"lru", lru}}), value);
  }
}

// cuckood's own: the key index, item memory, requests per worker, hot keys.
void own(Exposition& e, Worker& w) {
  const cache::CacheStats cs = w.cache.stats();
  e.family("cuckood_index_buckets", "gauge", "Buckets of the cuckoo key index's table.");
  e.sample("cuckood_index_buckets", "", cs.index_buckets);
  e.family("cuckood_index_slots", "gauge", "Slots of the cuckoo key index.");
  e.sample("cuckood_index_slots", "", cs.index_slots);
  e.family("cuckood_index_bytes", "gauge", "Bytes of the key index's table.");
  e.sample("cuckood_index_bytes", "", cs.index_bytes);
  e.family("cuckood_index_load_factor", "gauge", "Items per index slot.");
  e.sample("cuckood_index_load_factor", "",
           cs.index_slots == 0
               ? 0.0
               : static_cast<double>(cs.curr_items) / static_cast<double>(cs.index_slots));
  e.family("cuckood_index_growths_total", "counter", "Times the key index doubled.");
  e.sample("cuckood_index_growths_total", "", cs.index_growths);
  e.family("cuckood_index_growing", "gauge", "Whether the index is doubling now.");
  e.sample("cuckood_index_growing", "", uint64_t{cs.index_growing ? 1u : 0u});
  e.family("cuckood_pinned_bytes", "gauge",
           "Bytes of values that replies in flight send from item memory, held pinned.");
  e.sample("cuckood_pinned_bytes", "", cs.pinned_bytes);
  e.family("cuckood_item_memory_used_ratio", "gauge",
           "Item memory in use (live and dead items) over the limit.");
  e.sample("cuckood_item_memory_used_ratio", "",
           cs.limit_maxbytes == 0
               ? 0.0
               : static_cast<double>(cs.malloced) / static_cast<double>(cs.limit_maxbytes));
  e.family("cuckood_worker_requests_total", "counter", "Requests served, per worker thread.");
  size_t worker = 0;
  w.server.for_each_worker([&](const CommandStats& s) {
    const uint64_t requests = s.cmd_get.load() + s.cmd_set.load() + s.cmd_touch.load() +
                              s.cmd_flush.load() + s.cmd_meta.load() + s.delete_hits.load() +
                              s.delete_misses.load() + s.incr_hits.load() + s.incr_misses.load() +
                              s.decr_hits.load() + s.decr_misses.load();
    e.sample("cuckood_worker_requests_total", labels({{"worker", std::to_string(worker++)}}),
             requests);
  });
  const std::vector<HotKey> hottest = hot_keys(w, kHotKeysShown);
  if (hottest.empty()) return;
  e.family("cuckood_hot_key_reads", "gauge",
           "Estimated reads of the most read keys in the last sampling interval.");
  for (const HotKey& k : hottest) {
    e.sample("cuckood_hot_key_reads", labels({{"key", k.key}}), k.reads);
  }
}

}  // namespace

std::string prometheus_metrics(Worker& w) {
  const StatMap general = stats_of(w, "");
  const StatMap settings = stats_of(w, "settings");
  const StatMap items = stats_of(w, "items");
  Exposition e;
  e.family("memcached_up", "gauge", "Whether the server answered.");
  e.sample("memcached_up", "", uint64_t{1});
  if (const auto it = general.find("version"); it != general.end()) {
    e.family("memcached_version", "gauge", "The server's version, as a label.");
    e.sample("memcached_version", labels({{"version", it->second}}), uint64_t{1});
  }
  commands(e, general);
  for (const StatMetric& m : kGeneral) e.single(general, m.stat, m.name, m.type, m.help);
  for (const StatMetric& m : kSettings) e.single(settings, m.stat, m.name, m.type, m.help);
  if (const auto it = settings.find("lru_crawler"); it != settings.end()) {
    e.family("memcached_lru_crawler_enabled", "gauge", "Whether the LRU crawler is on.");
    e.sample("memcached_lru_crawler_enabled", "", uint64_t{it->second == "yes" ? 1u : 0u});
  }
  per_class(e, items);
  own(e, w);
  return e.take();
}

}  // namespace cuckood::proto
