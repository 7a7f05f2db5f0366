// The statistics commands: `stats` and its groups in memcached's order, and `stats reset`.
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>

#include "proto/commands.h"

namespace cuckood::proto {

namespace {

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

 private:
  StatSink sink_;
};

// The cache's counters since the last `stats reset` (see ServerState::cache_at_reset).
cache::CacheStats cache_stats(Worker& w) {
  cache::CacheStats cs = w.cache.stats();
  const auto& base = w.server.cache_at_reset;
  const auto since = [](uint64_t now, const std::atomic<uint64_t>& at_reset) {
    const uint64_t then = at_reset.load(std::memory_order_relaxed);
    return now > then ? now - then : 0;
  };
  cs.total_items = since(cs.total_items, base.total_items);
  cs.evictions = since(cs.evictions, base.evictions);
  cs.evicted_unfetched = since(cs.evicted_unfetched, base.evicted_unfetched);
  cs.expired_unfetched = since(cs.expired_unfetched, base.expired_unfetched);
  cs.reclaimed = since(cs.reclaimed, base.reclaimed);
  return cs;
}

void general_stats(Worker& w, StatWriter& out) {
  const cache::Time now = w.ctx.now();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  out("pid", static_cast<uint64_t>(getpid()));
  out("uptime", static_cast<uint64_t>(now - w.server.started()));
  out("time", static_cast<uint64_t>(now));
  out("version", kVersion);
  out("pointer_size", uint64_t{sizeof(void*) * 8});
  out.seconds("rusage_user", usage.ru_utime);
  out.seconds("rusage_system", usage.ru_stime);
  out("max_connections", static_cast<uint64_t>(w.settings.max_connections));
  out("curr_connections", w.server.curr_connections.load(std::memory_order_relaxed));
  out("total_connections", w.server.total_connections.load(std::memory_order_relaxed));
  out("rejected_connections", w.server.rejected_connections.load(std::memory_order_relaxed));

  CommandStats sum;
  w.server.for_each_worker([&](const CommandStats& s) {
#define CUCKOOD_SUM_COUNTER(name) sum.name.add(s.name.load());
    CUCKOOD_COMMAND_COUNTERS(CUCKOOD_SUM_COUNTER)
    CUCKOOD_CONNECTION_COUNTERS(CUCKOOD_SUM_COUNTER)
#undef CUCKOOD_SUM_COUNTER
  });
#define CUCKOOD_EMIT_COUNTER(name) out(#name, sum.name.load());
  CUCKOOD_COMMAND_COUNTERS(CUCKOOD_EMIT_COUNTER)
#undef CUCKOOD_EMIT_COUNTER
  if (w.settings.idle_timeout > 0) out("idle_kicks", sum.idle_kicks.load());

  const cache::CacheStats cs = cache_stats(w);
  out("limit_maxbytes", cs.limit_maxbytes);
  out("threads", static_cast<uint64_t>(w.settings.threads));
  out("conn_yields", sum.conn_yields.load());
  out("bytes", cs.bytes);
  out("curr_items", cs.curr_items);
  out("total_items", cs.total_items);
  out("expired_unfetched", cs.expired_unfetched);
  out("evicted_unfetched", cs.evicted_unfetched);
  out("evictions", cs.evictions);
  out("reclaimed", cs.reclaimed);
}

// The settings of issue 11's command line, under memcached's names.
void settings_stats(Worker& w, StatWriter& out) {
  const Settings& s = w.settings;
  // memcached's names and order for the settings cuckood has; its own (io_engine) last.
  out("maxbytes", static_cast<uint64_t>(s.memory_limit));
  out("maxconns", static_cast<uint64_t>(s.max_connections));
  out("tcpport", std::to_string(s.port));
  out("udpport", std::to_string(s.udp_port));
  out("inter", s.listen_address);
  out("verbosity", static_cast<uint64_t>(w.server.verbosity.load(std::memory_order_relaxed)));
  out("evictions", s.evictions ? "on" : "off");
  out("domain_socket", s.unix_socket.empty() ? std::string_view("NULL") : s.unix_socket);
  char mask[8];
  const int n = std::snprintf(mask, sizeof(mask), "%o", static_cast<unsigned>(s.unix_mask));
  out("umask", std::string_view(mask, static_cast<size_t>(n)));
  out("shutdown_command", s.allow_shutdown ? "yes" : "no");
  out("num_threads", static_cast<uint64_t>(s.threads));
  // Every worker serves every UDP address (its own SO_REUSEPORT socket, net/listener.h).
  out("num_threads_per_udp", static_cast<uint64_t>(s.threads));
  out("stat_key_prefix", std::string_view(&s.detail_delimiter, 1));
  out("detail_enabled", s.detail_enabled ? "yes" : "no");
  out("reqs_per_event", static_cast<uint64_t>(s.reqs_per_event));
  out("cas_enabled", s.cas_enabled ? "yes" : "no");
  out("tcp_backlog", static_cast<uint64_t>(s.backlog));
  out("binding_protocol", binding_protocol_name(s.binding_protocol));
  out("item_size_max", static_cast<uint64_t>(s.max_item_size));
  out("hashpower_init", static_cast<uint64_t>(s.hashpower_init));
  out("flush_enabled", s.flush_enabled ? "yes" : "no");
  out("dump_enabled", s.dump_enabled ? "yes" : "no");
  out("idle_timeout", static_cast<uint64_t>(s.idle_timeout));
  out("io_engine", s.io_engine);
}

// cuckood has no slab classes; it reports its whole store as one class so that tools that
// read these groups (memcached-tool, memcstat) find the figures they expect.
void items_stats(Worker& w, StatWriter& out) {
  const cache::CacheStats cs = cache_stats(w);
  if (cs.curr_items == 0) return;
  out("items:1:number", cs.curr_items);
  out("items:1:mem_requested", cs.bytes);
  out("items:1:evicted", cs.evictions);
  out("items:1:reclaimed", cs.reclaimed);
  out("items:1:expired_unfetched", cs.expired_unfetched);
  out("items:1:evicted_unfetched", cs.evicted_unfetched);
}

void slabs_stats(Worker& w, StatWriter& out) {
  const cache::CacheStats cs = cache_stats(w);
  if (cs.curr_items != 0) out("1:used_chunks", cs.curr_items);
  out("active_slabs", uint64_t{cs.curr_items != 0 ? 1u : 0u});
  out("total_malloced", cs.limit_maxbytes);
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
  } else if (group == "sizes") {
    out("sizes_status", "disabled");  // memcached without -o track_sizes; cuckood has none
  } else if (group == "conns") {
    // Per-connection state lives in net/, which proto cannot see; memcached prints one block
    // per connection. We print none, which clients treat as "no detail".
  } else {
    return false;
  }
  return true;
}

// As memcached's stats_reset: the per-command counters, the connection totals and the cache's
// cumulative counters; not what describes the present (curr_items, bytes, curr_connections).
void reset_stats(Worker& w) noexcept {
  w.server.for_each_worker([](CommandStats& s) {
#define CUCKOOD_RESET_COUNTER(name) s.name.reset();
    CUCKOOD_COMMAND_COUNTERS(CUCKOOD_RESET_COUNTER)
    CUCKOOD_CONNECTION_COUNTERS(CUCKOOD_RESET_COUNTER)
#undef CUCKOOD_RESET_COUNTER
  });
  w.server.total_connections.store(0, std::memory_order_relaxed);
  w.server.rejected_connections.store(0, std::memory_order_relaxed);
  const cache::CacheStats cs = w.cache.stats();
  auto& base = w.server.cache_at_reset;
  base.total_items.store(cs.total_items, std::memory_order_relaxed);
  base.evictions.store(cs.evictions, std::memory_order_relaxed);
  base.evicted_unfetched.store(cs.evicted_unfetched, std::memory_order_relaxed);
  base.expired_unfetched.store(cs.expired_unfetched, std::memory_order_relaxed);
  base.reclaimed.store(cs.reclaimed, std::memory_order_relaxed);
}

}  // namespace cuckood::proto
