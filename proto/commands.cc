#include "proto/commands.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>

#include "cache/expiry.h"

namespace cuckood::proto {

using cache::StoreMode;
using cache::StoreStatus;

namespace {

cache::Time deadline(const Worker& w, int64_t exptime) noexcept {
  return cache::expiry_deadline(exptime, w.ctx.now());
}

}  // namespace

bool get(Worker& w, std::string_view key, cache::ItemVisitor visit) noexcept {
  w.stats.cmd_get.add();
  const bool hit = w.cache.get(w.ctx, w.cache.hash(key), visit);
  (hit ? w.stats.get_hits : w.stats.get_misses).add();
  return hit;
}

bool get_and_touch(Worker& w, std::string_view key, int64_t exptime, cache::ItemVisitor visit,
                   TouchMiss miss) noexcept {
  const bool hit = w.cache.get_and_touch(w.ctx, w.cache.hash(key), deadline(w, exptime), visit);
  if (hit || miss == TouchMiss::kAsTouch) {
    w.stats.cmd_touch.add();
    (hit ? w.stats.touch_hits : w.stats.touch_misses).add();
  } else {
    w.stats.cmd_get.add();
    w.stats.get_misses.add();
  }
  return hit;
}

bool fits(const Worker& w, size_t key_size, size_t value_size) noexcept {
  return value_size <= w.cache.max_value_size(key_size);
}

void refuse_too_large(Worker& w, StoreMode mode, std::string_view key) noexcept {
  w.stats.cmd_set.add();
  w.stats.store_too_large.add();
  if (mode == StoreMode::kSet) w.cache.remove(w.ctx, w.cache.hash(key));
}

cache::StoreResult store(Worker& w, StoreMode mode, std::string_view key, uint32_t flags,
                         int64_t exptime, std::string_view value, uint64_t cas) noexcept {
  if (!fits(w, key.size(), value.size())) {
    refuse_too_large(w, mode, key);
    return {StoreStatus::kTooLarge, 0};
  }
  w.stats.cmd_set.add();
  const cache::StoreRequest request{w.cache.hash(key),    value, flags,
                                    deadline(w, exptime), cas,   mode};
  const cache::StoreResult result = w.cache.store(w.ctx, request);
  if (mode == StoreMode::kCas) {
    switch (result.status) {
      case StoreStatus::kStored:
        w.stats.cas_hits.add();
        break;
      case StoreStatus::kExists:
        w.stats.cas_badval.add();
        break;
      case StoreStatus::kNotFound:
        w.stats.cas_misses.add();
        break;
      default:
        break;
    }
  }
  if (result.status == StoreStatus::kNoMemory) w.stats.store_no_memory.add();
  return result;
}

cache::DeleteStatus remove(Worker& w, std::string_view key, uint64_t cas) noexcept {
  const cache::DeleteStatus status = w.cache.remove(w.ctx, w.cache.hash(key), cas);
  (status == cache::DeleteStatus::kNotFound ? w.stats.delete_misses : w.stats.delete_hits).add();
  return status;
}

cache::ArithResult arith(Worker& w, const ArithArgs& args) noexcept {
  const cache::ArithRequest request{
      w.cache.hash(args.key),   args.delta, args.increment, args.cas, args.create, args.initial,
      deadline(w, args.exptime)};
  const cache::ArithResult result = w.cache.arith(w.ctx, request);
  const bool hit = result.status != cache::ArithStatus::kNotFound;
  if (args.increment) {
    (hit ? w.stats.incr_hits : w.stats.incr_misses).add();
  } else {
    (hit ? w.stats.decr_hits : w.stats.decr_misses).add();
  }
  return result;
}

bool touch(Worker& w, std::string_view key, int64_t exptime) noexcept {
  w.stats.cmd_touch.add();
  const bool hit = w.cache.touch(w.ctx, w.cache.hash(key), deadline(w, exptime));
  (hit ? w.stats.touch_hits : w.stats.touch_misses).add();
  return hit;
}

bool touch(Worker& w, std::string_view key, int64_t exptime, cache::ItemVisitor visit) noexcept {
  w.stats.cmd_touch.add();
  const bool hit = w.cache.get_and_touch(w.ctx, w.cache.hash(key), deadline(w, exptime), visit);
  (hit ? w.stats.touch_hits : w.stats.touch_misses).add();
  return hit;
}

void flush_all(Worker& w, int64_t delay) noexcept {
  w.stats.cmd_flush.add();
  w.cache.flush_all(w.ctx, delay > 0 ? deadline(w, delay) : 0);
}

void set_verbosity(Worker& w, int level) noexcept {
  w.server.verbosity.store(level, std::memory_order_relaxed);
}

bool request_shutdown(Worker& w) noexcept {
  if (!w.settings.allow_shutdown) return false;
  w.server.shutdown_requested.store(true, std::memory_order_relaxed);
  return true;
}

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
#undef CUCKOOD_SUM_COUNTER
  });
#define CUCKOOD_EMIT_COUNTER(name) out(#name, sum.name.load());
  CUCKOOD_COMMAND_COUNTERS(CUCKOOD_EMIT_COUNTER)
#undef CUCKOOD_EMIT_COUNTER

  const cache::CacheStats cs = w.cache.stats();
  out("limit_maxbytes", cs.limit_maxbytes);
  out("threads", static_cast<uint64_t>(w.settings.threads));
  out("bytes", cs.bytes);
  out("curr_items", cs.curr_items);
  out("total_items", cs.total_items);
  out("expired_unfetched", cs.expired_unfetched);
  out("evicted_unfetched", cs.evicted_unfetched);
  out("evictions", cs.evictions);
  out("reclaimed", cs.reclaimed);
}

void settings_stats(Worker& w, StatWriter& out) {
  const Settings& s = w.settings;
  out("maxbytes", static_cast<uint64_t>(s.memory_limit));
  out("maxconns", static_cast<uint64_t>(s.max_connections));
  out("tcpport", uint64_t{s.port});
  out("udpport", uint64_t{s.udp_port});
  out("interface", s.listen_address);
  out("verbosity", static_cast<uint64_t>(w.server.verbosity.load(std::memory_order_relaxed)));
  out("num_threads", static_cast<uint64_t>(s.threads));
  out("evictions", "on");
  out("cas_enabled", "yes");
  out("item_size_max", static_cast<uint64_t>(s.max_item_size));
  out("shutdown_command", s.allow_shutdown ? "yes" : "no");
  out("io_engine", s.io_engine);
}

// cuckood has no slab classes; it reports its whole store as one class so that tools that
// read these groups (memcached-tool, memcstat) find the figures they expect.
void items_stats(Worker& w, StatWriter& out) {
  const cache::CacheStats cs = w.cache.stats();
  if (cs.curr_items == 0) return;
  out("items:1:number", cs.curr_items);
  out("items:1:evicted", cs.evictions);
  out("items:1:evicted_unfetched", cs.evicted_unfetched);
  out("items:1:expired_unfetched", cs.expired_unfetched);
  out("items:1:reclaimed", cs.reclaimed);
}

void slabs_stats(Worker& w, StatWriter& out) {
  const cache::CacheStats cs = w.cache.stats();
  if (cs.curr_items != 0) {
    out("1:used_chunks", cs.curr_items);
    out("1:mem_requested", cs.bytes);
  }
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
  } else if (group == "conns") {
    // Per-connection state lives in net/, which proto cannot see; memcached prints one block
    // per connection. We print none, which clients treat as "no detail".
  } else {
    return false;
  }
  return true;
}

void reset_stats(Worker& w) noexcept {
  w.server.for_each_worker([](CommandStats& s) {
#define CUCKOOD_RESET_COUNTER(name) s.name.reset();
    CUCKOOD_COMMAND_COUNTERS(CUCKOOD_RESET_COUNTER)
#undef CUCKOOD_RESET_COUNTER
  });
}

}  // namespace cuckood::proto
