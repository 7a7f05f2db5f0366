// The statistics commands: `stats` and its groups in memcached's order, `stats reset` and
// `stats detail`.
#include <sys/resource.h>
#include <unistd.h>

#include <bit>
#include <charconv>
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>

#include "proto/commands.h"
#include "proto/slab_classes.h"
#include "proto/text_numbers.h"

namespace cuckood::proto {

namespace {

// `stats hotkeys` without a count.
constexpr uint32_t kDefaultHotKeys = 10;

// Formats numbers into a small stack buffer for the sink.
class StatWriter {
 public:
  explicit StatWriter(StatSink sink) : sink_(sink) {}
  void operator()(std::string_view name, std::string_view value) { sink_(name, value); }
  void operator()(std::string_view name, uint64_t value) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    sink_(name, std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  void seconds(std::string_view name, const timeval& tv) {
    char buf[48];
    const int n = std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                                static_cast<long>(tv.tv_usec));
    sink_(name, std::string_view(buf, static_cast<size_t>(n)));
  }
  // memcached's "%.2f" settings.
  void fixed2(std::string_view name, double value) {
    char buf[32];
    const int n = std::snprintf(buf, sizeof(buf), "%.2f", value);
    sink_(name, std::string_view(buf, static_cast<size_t>(n)));
  }
  // "items:<id>:<name>" and "<id>:<name>" keys of the per-class groups.
  void of_class(std::string_view prefix, size_t id, std::string_view name, uint64_t value) {
    char key[64];
    const int n = std::snprintf(key, sizeof(key), "%.*s%zu:%.*s", static_cast<int>(prefix.size()),
                                prefix.data(), id, static_cast<int>(name.size()), name.data());
    (*this)(std::string_view(key, static_cast<size_t>(n)), value);
  }

 private:
  StatSink sink_;
};

uint64_t since(uint64_t now, uint64_t at_reset) noexcept {
  return now > at_reset ? now - at_reset : 0;
}

// The cache's statistics, its cumulative counters counted since the last `stats reset` (see
// ServerState::cache_at_reset); the totals are the sums of the classes.
cache::CacheStats cache_stats(Worker& w) {
  cache::CacheStats cs = w.cache.stats();
  std::lock_guard lock(w.server.reset_mutex);
  const auto& base = w.server.cache_at_reset;
  cs.total_items = since(cs.total_items, base.total_items);
  cs.found_flushed = since(cs.found_flushed, base.found_flushed);
  cs.found_expired = since(cs.found_expired, base.found_expired);
  if (cs.classes.empty()) return cs;  // an implementation without classes: totals as they are
  cs.evictions = cs.evicted_unfetched = cs.expired_unfetched = cs.reclaimed = 0;
  cs.crawler_reclaimed = cs.crawler_items_checked = 0;
  for (size_t i = 0; i < cs.classes.size(); ++i) {
    cache::ClassStats& c = cs.classes[i];
    if (i < base.classes.size()) {
      const ServerState::ClassCountersAtReset& b = base.classes[i];
      c.evicted = since(c.evicted, b.evicted);
      c.evicted_nonzero = since(c.evicted_nonzero, b.evicted_nonzero);
      c.evicted_unfetched = since(c.evicted_unfetched, b.evicted_unfetched);
      c.expired_unfetched = since(c.expired_unfetched, b.expired_unfetched);
      c.reclaimed = since(c.reclaimed, b.reclaimed);
      c.crawler_reclaimed = since(c.crawler_reclaimed, b.crawler_reclaimed);
      c.crawler_items_checked = since(c.crawler_items_checked, b.crawler_items_checked);
      c.outofmemory = since(c.outofmemory, b.outofmemory);
    }
    cs.add_class_counters(c);
  }
  return cs;
}

// memcached's general stats, every key in its order (a build without TLS, extstore or the
// proxy). Keys of machinery cuckood lacks print 0, each with why; the groups memcached prints
// only while a mechanism runs follow the flags that turn it on (Settings).
void general_stats(Worker& w, StatWriter& out) {
  const cache::Time now = w.ctx.now();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const ConnectionDirectory* directory = w.server.connections.load(std::memory_order_acquire);
  const ConnectionResources io =
      directory != nullptr ? directory->resources() : ConnectionResources{"none", 0, 0, 0, 0};
  out("pid", static_cast<uint64_t>(getpid()));
  out("uptime", static_cast<uint64_t>(now - w.server.started()));
  out("time", static_cast<uint64_t>(now));
  out("version", kVersion);
  out("libevent", io.event_mechanism);
  out("pointer_size", uint64_t{sizeof(void*) * 8});
  out.seconds("rusage_user", usage.ru_utime);
  out.seconds("rusage_system", usage.ru_stime);
  out("max_connections", static_cast<uint64_t>(w.settings.max_connections));
  out("curr_connections", w.server.curr_connections.load(std::memory_order_relaxed));
  out("total_connections", w.server.total_connections.load(std::memory_order_relaxed));
  out("rejected_connections", w.server.rejected_connections.load(std::memory_order_relaxed));
  out("connection_structures", io.structures);
  // Replies are written straight into each connection's output buffer: there are no
  // response objects to count or to run out of.
  out("response_obj_oom", uint64_t{0});
  out("response_obj_count", uint64_t{0});
  out("response_obj_bytes", uint64_t{0});
  out("read_buf_count", io.read_buffers);
  out("read_buf_bytes", io.read_buffer_bytes);
  // Received bytes leave a receive buffer at once (parsed or copied into the connection), so
  // none sits idle in the server; and a receive never lacks a buffer: an empty buffer ring
  // only delays it.
  out("read_buf_bytes_free", uint64_t{0});
  out("read_buf_oom", uint64_t{0});
  out("reserved_fds", io.reserved_fds);

  CommandStats sum;
  w.server.for_each_worker([&](const CommandStats& s) {
#define CUCKOOD_SUM_COUNTER(name) sum.name.add(s.name.load());
    CUCKOOD_COMMAND_COUNTERS(CUCKOOD_SUM_COUNTER)
    CUCKOOD_CONNECTION_COUNTERS(CUCKOOD_SUM_COUNTER)
#undef CUCKOOD_SUM_COUNTER
  });
  const cache::CacheStats cs = cache_stats(w);
#define CUCKOOD_EMIT_COUNTER(name) out(#name, sum.name.load());
  CUCKOOD_GET_COUNTERS(CUCKOOD_EMIT_COUNTER)
  out("get_expired", cs.found_expired);
  out("get_flushed", cs.found_flushed);
  CUCKOOD_UPDATE_COUNTERS(CUCKOOD_EMIT_COUNTER)
#undef CUCKOOD_EMIT_COUNTER
  if (w.settings.idle_timeout > 0) out("idle_kicks", sum.idle_kicks.load());

  out("limit_maxbytes", cs.limit_maxbytes);
  out("accepting_conns",
      uint64_t{w.server.workers_not_accepting.load(std::memory_order_relaxed) == 0 ? 1u : 0u});
  out("listen_disabled_num", w.server.listen_disabled_num.load(std::memory_order_relaxed));
  out("time_in_listen_disabled_us",
      w.server.time_in_listen_disabled_us.load(std::memory_order_relaxed));
  out("threads", static_cast<uint64_t>(w.settings.threads));
  out("conn_yields", sum.conn_yields.load());
  // memcached's hash power is log2 of its table's buckets; cuckood's index counts slots
  // (Settings::hashpower_init has the same unit).
  out("hash_power_level", static_cast<uint64_t>(std::bit_width(cs.index_slots) - 1));
  out("hash_bytes", cs.index_bytes);
  out("hash_is_expanding", uint64_t{cs.index_growing ? 1u : 0u});
  if (w.settings.slab_reassign) {
    // Item memory is a log of segments shared by every size class: there are no slab pages
    // for a mover to take from one class and give to another.
    for (std::string_view key :
         {"slab_reassign_rescues", "slab_reassign_chunk_rescues", "slab_reassign_evictions_nomem",
          "slab_reassign_inline_reclaim", "slab_reassign_busy_items", "slab_reassign_busy_deletes",
          "slab_reassign_running", "slabs_moved"}) {
      out(key, uint64_t{0});
    }
  }
  if (w.server.runtime.lru_crawler.load(std::memory_order_relaxed)) {
    out("lru_crawler_running", uint64_t{w.cache.crawling() ? 1u : 0u});
    out("lru_crawler_starts", w.server.lru_crawler_starts.load(std::memory_order_relaxed));
  }
  // No segmented LRU, so no maintainer to shuffle it.
  if (w.settings.lru_maintainer) out("lru_maintainer_juggles", uint64_t{0});
  // Item memory is reserved at start-up; a store that finds no room counts as
  // store_no_memory (or evicts), never as a failed allocation.
  out("malloc_fails", uint64_t{0});
  const LogStats log = w.server.watch_log.stats();
  out("log_worker_dropped", uint64_t{0});  // entries go straight to the watchers' buffers
  out("log_worker_written", log.worker_written);
  out("log_watcher_skipped", log.watcher_skipped);
  out("log_watcher_sent", log.watcher_sent);
  out("log_watchers", log.watchers);
  if (const TlsSettings& tls = w.settings.tls; tls.enabled) {
    if (tls.session_cache) out("ssl_new_sessions", sum.ssl_new_sessions.load());
    out("ssl_handshake_errors", sum.ssl_handshake_errors.load());
    const uint32_t loaded = w.server.certificates_loaded_at.load(std::memory_order_relaxed);
    out("time_since_server_cert_refresh", static_cast<uint64_t>(now > loaded ? now - loaded : 0));
  }
  // Connections are spread by the kernel's SO_REUSEPORT hashing, not by NAPI ids (memcached's
  // -N), so no id is unexpected and no fallback to round robin happens.
  out("unexpected_napi_ids", uint64_t{0});
  out("round_robin_fallback", uint64_t{0});
  out("bytes", cs.bytes);
  out("curr_items", cs.curr_items);
  out("total_items", cs.total_items);
  // No slab pages, hence no global pool of free ones.
  out("slab_global_page_pool", uint64_t{0});
  out("expired_unfetched", cs.expired_unfetched);
  out("evicted_unfetched", cs.evicted_unfetched);
  // Without LRU segments no item is evicted from an active one.
  if (w.settings.lru_maintainer) out("evicted_active", uint64_t{0});
  out("evictions", cs.evictions);
  out("reclaimed", cs.reclaimed);
  out("crawler_reclaimed", cs.crawler_reclaimed);
  out("crawler_items_checked", cs.crawler_items_checked);
  // Items the evictor found referenced and skipped: readers hold no references in cuckood.
  out("lrutail_reflocked", uint64_t{0});
  if (w.settings.lru_maintainer) {
    // No HOT/WARM/COLD segments for items to move between, no per-class LRU tail to reclaim
    // from directly and no queue of bumps to drop from.
    for (std::string_view key : {"moves_to_cold", "moves_to_warm", "moves_within_lru",
                                 "direct_reclaims", "lru_bumps_dropped"}) {
      out(key, uint64_t{0});
    }
  }
}

// memcached's (a TLS build's) lines, as it prints them: an unset file as glibc prints a null
// string, the verify mode as OpenSSL's SSL_VERIFY_* bits.
void tls_settings_stats(const TlsSettings& tls, StatWriter& out) {
  constexpr int kVerifyBits[] = {0, 1, 3, 7};  // none; peer; + fail if none; + client once
  constexpr std::string_view kVersions[] = {"tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"};
  auto text = [](const std::string& value, std::string_view unset) {
    return value.empty() ? unset : std::string_view(value);
  };
  out("ssl_enabled", tls.enabled ? "yes" : "no");
  out("ssl_chain_cert", text(tls.chain_cert, "(null)"));
  out("ssl_key", text(tls.key, "(null)"));
  out("ssl_verify_mode", std::to_string(kVerifyBits[tls.verify_mode]));
  out("ssl_keyformat", std::to_string(tls.keyformat));
  out("ssl_ciphers", text(tls.ciphers, "NULL"));
  out("ssl_ca_cert", text(tls.ca_cert, "NULL"));
  out("ssl_wbuf_size", uint64_t{tls.wbuf_size});
  out("ssl_session_cache", tls.session_cache ? "yes" : "no");
  out("ssl_kernel_tls", tls.kernel_tls ? "yes" : "no");
  out("ssl_min_version", kVersions[tls.min_version]);
}

// The settings of the command line (and what the text protocol changed since), under
// memcached's names and in its order; cuckood's own (io_engine) last.
void settings_stats(Worker& w, StatWriter& out) {
  const Settings& s = w.settings;
  const RuntimeSettings& rt = w.server.runtime;
  out("maxbytes", w.cache.stats().limit_maxbytes);
  out("maxconns", static_cast<uint64_t>(s.max_connections));
  out("tcpport", std::to_string(s.port));
  out("udpport", std::to_string(s.udp_port));
  out("inter", s.listen_address);
  out("verbosity", static_cast<uint64_t>(w.server.verbosity.load(std::memory_order_relaxed)));
  out("oldest", oldest_live(w));
  out("evictions", s.evictions ? "on" : "off");
  out("domain_socket", s.unix_socket.empty() ? std::string_view("NULL") : s.unix_socket);
  char mask[8];
  const int n = std::snprintf(mask, sizeof(mask), "%o", static_cast<unsigned>(s.unix_mask));
  out("umask", std::string_view(mask, static_cast<size_t>(n)));
  out("shutdown_command", s.allow_shutdown ? "yes" : "no");
  out.fixed2("growth_factor", s.growth_factor);
  out("chunk_size", static_cast<uint64_t>(s.chunk_size));
  out("num_threads", static_cast<uint64_t>(s.threads));
  // Every worker serves every UDP address (its own SO_REUSEPORT socket, net/listener.h).
  out("num_threads_per_udp", static_cast<uint64_t>(s.threads));
  out("stat_key_prefix", std::string_view(&s.detail_delimiter, 1));
  out("detail_enabled", rt.detail_enabled.load(std::memory_order_relaxed) ? "yes" : "no");
  out("reqs_per_event", static_cast<uint64_t>(s.reqs_per_event));
  out("cas_enabled", s.cas_enabled ? "yes" : "no");
  out("tcp_backlog", static_cast<uint64_t>(s.backlog));
  out("binding_protocol", binding_protocol_name(s.binding_protocol));
  out("auth_enabled_sasl", s.sasl ? "yes" : "no");
  out("auth_enabled_ascii", s.auth_file.empty() ? std::string_view("no") : s.auth_file);
  out("item_size_max", static_cast<uint64_t>(s.max_item_size));
  // Past -c a new connection is told "ERROR Too many open connections" and closed at once,
  // which is what memcached's maxconns_fast (its default) does.
  out("maxconns_fast", "yes");
  out("hashpower_init", static_cast<uint64_t>(s.hashpower_init));
  out("slab_chunk_max", static_cast<uint64_t>(s.slab_chunk_max));
  out("lru_crawler", rt.lru_crawler.load(std::memory_order_relaxed) ? "yes" : "no");
  out("lru_crawler_sleep", uint64_t{rt.lru_crawler_sleep.load(std::memory_order_relaxed)});
  out("lru_crawler_tocrawl", uint64_t{rt.lru_crawler_tocrawl.load(std::memory_order_relaxed)});
  out("flush_enabled", s.flush_enabled ? "yes" : "no");
  out("dump_enabled", s.dump_enabled ? "yes" : "no");
  out("idle_timeout", static_cast<uint64_t>(s.idle_timeout));
  tls_settings_stats(s.tls, out);
  out("io_engine", s.io_engine);
}

// Per size class (memcached's slab class table, proto/slab_classes.h), the classes that hold
// items. age: seconds since the oldest storage unit holding the class was opened, which no
// item of the class was accessed before (memcached: since the last access of its LRU tail).
void items_stats(Worker& w, StatWriter& out) {
  const cache::CacheStats cs = cache_stats(w);
  const cache::Time now = w.ctx.now();
  for (size_t i = 0; i < cs.classes.size(); ++i) {
    const cache::ClassStats& c = cs.classes[i];
    if (c.items == 0) continue;
    const size_t id = i + 1;
    out.of_class("items:", id, "number", c.items);
    out.of_class("items:", id, "age", c.oldest != 0 && c.oldest < now ? now - c.oldest : 0);
    out.of_class("items:", id, "mem_requested", c.bytes);
    out.of_class("items:", id, "evicted", c.evicted);
    out.of_class("items:", id, "evicted_nonzero", c.evicted_nonzero);
    out.of_class("items:", id, "evicted_time", c.evicted_time);
    out.of_class("items:", id, "outofmemory", c.outofmemory);
    out.of_class("items:", id, "reclaimed", c.reclaimed);
    out.of_class("items:", id, "expired_unfetched", c.expired_unfetched);
    out.of_class("items:", id, "evicted_unfetched", c.evicted_unfetched);
    out.of_class("items:", id, "crawler_reclaimed", c.crawler_reclaimed);
    out.of_class("items:", id, "crawler_items_checked", c.crawler_items_checked);
    out.of_class("items:", id, "lrutail_reflocked", 0);
  }
}

// Per size class that storage units (segments) hold items of, in memcached's terms: a page is
// a segment, a chunk an item of the class's largest size; used_chunks counts the items.
void slabs_stats(Worker& w, StatWriter& out) {
  const cache::CacheStats cs = cache_stats(w);
  const std::vector<uint32_t> bounds = slab_classes(w.settings);
  uint64_t active = 0;
  for (size_t i = 0; i < cs.classes.size() && i < bounds.size(); ++i) {
    const cache::ClassStats& c = cs.classes[i];
    if (c.units == 0 && c.items == 0) continue;
    ++active;
    const size_t id = i + 1;
    const uint64_t per_page = std::max<uint64_t>(1, cs.unit_size / bounds[i]);
    const uint64_t chunks = std::max(c.units * per_page, c.items);
    out.of_class("", id, "chunk_size", bounds[i]);
    out.of_class("", id, "chunks_per_page", per_page);
    out.of_class("", id, "total_pages", c.units);
    out.of_class("", id, "total_chunks", chunks);
    out.of_class("", id, "used_chunks", c.items);
    out.of_class("", id, "free_chunks", chunks - c.items);
    out.of_class("", id, "free_chunks_end", 0);  // memcached's dead stat, printed as 0 too
  }
  out("active_slabs", active);
  out("total_malloced", cs.malloced);
}

// cuckood's key index; the general group shows it under memcached's hash_* names.
void index_stats(Worker& w, StatWriter& out) {
  const cache::CacheStats cs = w.cache.stats();
  out("index_buckets", cs.index_buckets);
  out("index_slots", cs.index_slots);
  out("index_bytes", cs.index_bytes);
  out("index_growths", cs.index_growths);
  out("index_growing", uint64_t{cs.index_growing ? 1u : 0u});
}

}  // namespace

bool collect_stats(Worker& w, std::string_view group, StatSink sink) {
  StatWriter out(sink);
  if (group.empty()) {
    general_stats(w, out);
  } else if (group == "settings") {
    settings_stats(w, out);
  } else if (group == "items") {
    items_stats(w, out);
  } else if (group == "slabs") {
    slabs_stats(w, out);
  } else if (group == "index") {
    index_stats(w, out);
  } else if (group == "sizes") {
    out("sizes_status", "disabled");  // memcached without -o track_sizes; cuckood has none
  } else {
    return false;
  }
  return true;
}

// As memcached's stats_reset: the per-command counters, the connection totals, the per-prefix
// detail and the cache's cumulative counters; not what describes the present (curr_items,
// bytes, curr_connections).
void reset_stats(Worker& w) noexcept {
  w.server.for_each_worker([](CommandStats& s) {
#define CUCKOOD_RESET_COUNTER(name) s.name.reset();
    CUCKOOD_COMMAND_COUNTERS(CUCKOOD_RESET_COUNTER)
    CUCKOOD_CONNECTION_COUNTERS(CUCKOOD_RESET_COUNTER)
#undef CUCKOOD_RESET_COUNTER
    s.detail.clear();
  });
  w.server.total_connections.store(0, std::memory_order_relaxed);
  w.server.rejected_connections.store(0, std::memory_order_relaxed);
  w.server.listen_disabled_num.store(0, std::memory_order_relaxed);
  w.server.time_in_listen_disabled_us.store(0, std::memory_order_relaxed);
  w.server.lru_crawler_starts.store(0, std::memory_order_relaxed);
  const cache::CacheStats cs = w.cache.stats();
  std::lock_guard lock(w.server.reset_mutex);
  auto& base = w.server.cache_at_reset;
  base.total_items = cs.total_items;
  base.found_flushed = cs.found_flushed;
  base.found_expired = cs.found_expired;
  base.classes.resize(cs.classes.size());
  for (size_t i = 0; i < cs.classes.size(); ++i) {
    const cache::ClassStats& c = cs.classes[i];
    base.classes[i] = {
        c.evicted,   c.evicted_nonzero,   c.evicted_unfetched,     c.expired_unfetched,
        c.reclaimed, c.crawler_reclaimed, c.crawler_items_checked, c.outofmemory};
  }
}

void set_detail(Worker& w, bool on) noexcept {
  w.server.runtime.detail_enabled.store(on, std::memory_order_relaxed);
}

std::vector<HotKey> hot_keys(Worker& w, size_t n) {
  std::unordered_map<std::string, uint64_t> merged;
  const cache::Time now = w.ctx.now();
  w.server.for_each_worker([&](const CommandStats& s) { s.hot_keys.merge_into(merged, now); });
  return hottest(merged, n);
}

bool collect_hot_key_stats(Worker& w, std::string_view count, StatSink sink) {
  uint32_t n = kDefaultHotKeys;
  if (!count.empty() && !text::parse_strtoul32(count, n)) return false;
  StatWriter out(sink);
  out("hotkeys_interval", uint64_t{HotKeys::kInterval});
  out("hotkeys_sample_every", uint64_t{HotKeys::kSampleEvery});
  std::string name;
  for (const HotKey& k : hot_keys(w, n)) {
    name.assign("key:").append(k.key);
    out(name, k.reads);
  }
  return true;
}

std::string detail_dump(Worker& w) {
  std::map<std::string, PrefixCounts, std::less<>> prefixes;
  w.server.for_each_worker([&](const CommandStats& s) { s.detail.dump_into(prefixes); });
  return format_detail_dump(prefixes);
}

uint64_t oldest_live(const Worker& w) noexcept {
  const int64_t cutoff = w.server.runtime.oldest_live.load(std::memory_order_relaxed);
  if (cutoff == 0) return 0;
  const int64_t relative = cutoff - static_cast<int64_t>(w.server.memcached_process_started());
  return relative > 0 ? static_cast<uint64_t>(relative) : 0;
}

}  // namespace cuckood::proto
