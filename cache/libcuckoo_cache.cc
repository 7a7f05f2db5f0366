// LibcuckooCache: memcached 1.6 semantics over libcuckoo's per-key atomic functor calls.
// Every operation runs its whole read-check-modify inside one find/erase/uprase functor, under
// libcuckoo's locks on the key's two buckets. Reads use erase_fn (same cost as find_fn) so that
// an expired or flushed item is unlinked by the access that finds it, as memcached does.
//
// libcuckoo throws on allocation failure (table growth, std::string); the only catch sites are
// the store and arith paths, which turn it into kNoMemory. Our functors allocate before they
// mutate, so a throw leaves the item and the byte accounting unchanged.
#include "cache/libcuckoo_cache.h"

#include <algorithm>
#include <charconv>

#include "cache/counter.h"
#include "cache/expiry.h"

namespace cuckood::cache {

using libcuckoo_detail::WorkerCounters;

class LibcuckooCache::Worker final : public WorkerContext {
 public:
  explicit Worker(LibcuckooCache& cache) : cache_(cache) {
    std::lock_guard lock(cache_.workers_mu_);
    cache_.workers_.push_back(&counters);
  }

  ~Worker() override {
    std::lock_guard lock(cache_.workers_mu_);
    std::erase(cache_.workers_, &counters);
    counters.add_to(cache_.retired_);
  }

  WorkerCounters counters;
  // The current cas block [cas_next, cas_end), valid while cas_generation matches the cache's.
  uint64_t cas_next = 0;
  uint64_t cas_end = 0;
  uint64_t cas_generation = 0;

 private:
  LibcuckooCache& cache_;
};

namespace {

// Initial table size: grows by doubling as items arrive; this only spares the first resizes.
size_t initial_slots(size_t memory_limit) noexcept {
  return std::clamp<size_t>(memory_limit / 1024, 1024, size_t{1} << 20);
}

std::string decimal(uint64_t value) {
  char buf[kMaxCounterDigits];
  const auto end = std::to_chars(buf, buf + sizeof(buf), value).ptr;
  return std::string(buf, end);
}

}  // namespace

LibcuckooCache::LibcuckooCache(const CacheConfig& config)
    : Cache(config), map_(initial_slots(config.memory_limit)) {}

LibcuckooCache::~LibcuckooCache() = default;

std::unique_ptr<WorkerContext> LibcuckooCache::register_worker() {
  auto worker = std::make_unique<Worker>(*this);
  worker->set_now(config().clock());
  return worker;
}

void LibcuckooCache::quiescent(WorkerContext& ctx) noexcept {
  ctx.set_now(config().clock());
}

// memcached's item_is_flushed: with oldest_live = flush_when_ - 1, a flush is active once
// oldest_live <= now, and then kills items stored at or before oldest_live, plus (after an
// immediate flush) items whose cas predates the flush, which were stored in its very second.
// A delayed flush thus bites one second before `when`, as in memcached; an immediate one also
// covers a worker whose now() lags the flusher's by a second.
bool LibcuckooCache::is_live(const Item& item, Time now) const noexcept {
  if (is_expired(item.exptime, now)) return false;
  const Time when = flush_when_.load(std::memory_order_acquire);
  if (when == 0 || when - 1 > now) return true;
  const uint64_t oldest_cas = flush_cas_.load(std::memory_order_relaxed);
  return item.time >= when && (oldest_cas == 0 || item.cas >= oldest_cas);
}

void LibcuckooCache::reclaim(Worker& w, const Item& item, size_t key_size, Time now) noexcept {
  release(item_size(key_size, item.value.size()));
  WorkerCounters::bump(w.counters.reclaimed);
  if (is_expired(item.exptime, now) && !item.fetched) {
    WorkerCounters::bump(w.counters.expired_unfetched);
  }
}

bool LibcuckooCache::unlink_dead(Worker& w, const Item& item, size_t key_size, Time now) noexcept {
  reclaim(w, item, key_size, now);
  WorkerCounters::drop(w.counters.items);
  return true;
}

bool LibcuckooCache::reserve(size_t bytes) noexcept {
  const uint64_t limit = config().memory_limit;
  uint64_t used = bytes_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit || used > limit - bytes) return false;
  } while (!bytes_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

// The generation check costs one load of a line that only flush_all writes. A block taken
// after flush_all read next_cas_block_ starts at or above flush_cas_ (the acquire load of the
// generation orders our fetch_add after flush_all's load).
uint64_t LibcuckooCache::next_cas(Worker& w) noexcept {
  const uint64_t generation = cas_generation_.load(std::memory_order_acquire);
  if (w.cas_next == w.cas_end || w.cas_generation != generation) {
    w.cas_next = next_cas_block_.fetch_add(kCasBlock, std::memory_order_relaxed);
    w.cas_end = w.cas_next + kCasBlock;
    w.cas_generation = generation;
  }
  return w.cas_next++;
}

bool LibcuckooCache::read(WorkerContext& ctx, const HashedKey& key, bool touch, Time exptime,
                          ItemVisitor visit) noexcept {
  Worker& w = static_cast<Worker&>(ctx);
  const Time now = ctx.now();
  bool hit = false;
  map_.erase_fn(key, [&](Item& item) {
    if (!is_live(item, now)) return unlink_dead(w, item, key.key.size(), now);
    if (touch) item.exptime = exptime;
    visit(ItemView{key.key, item.value, item.flags, item.exptime, item.cas, item.last_access,
                   item.fetched});
    item.fetched = true;
    item.last_access = now;
    hit = true;
    return false;
  });
  return hit;
}

bool LibcuckooCache::get(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  return read(ctx, key, false, 0, visit);
}

bool LibcuckooCache::get_and_touch(WorkerContext& ctx, const HashedKey& key, Time exptime,
                                   ItemVisitor visit) noexcept {
  return read(ctx, key, true, exptime, visit);
}

bool LibcuckooCache::touch(WorkerContext& ctx, const HashedKey& key, Time exptime) noexcept {
  return read(ctx, key, true, exptime, [](const ItemView&) {});
}

StoreResult LibcuckooCache::store(WorkerContext& ctx, const StoreRequest& request) noexcept {
  Worker& w = static_cast<Worker&>(ctx);
  if (item_size(request.key.key.size(), request.value.size()) > config().max_item_size) {
    return {StoreStatus::kTooLarge, 0};
  }
  switch (request.mode) {
    case StoreMode::kAdd:
      return store_new(w, request);
    case StoreMode::kSet:
      return request.cas == 0 ? store_new(w, request) : store_existing(w, request);
    default:
      return store_existing(w, request);
  }
}

// set (without cas) and add: the item may be absent, so reserve its full size first.
StoreResult LibcuckooCache::store_new(Worker& w, const StoreRequest& request) noexcept {
  const size_t key_size = request.key.key.size();
  const size_t size = item_size(key_size, request.value.size());
  if (!reserve(size)) {
    // At the limit, a set may still replace a present item that is at least as large.
    if (request.mode != StoreMode::kSet) return {StoreStatus::kNoMemory, 0};
    StoreRequest replace = request;
    replace.mode = StoreMode::kReplace;
    const StoreResult result = store_existing(w, replace);
    if (result.status == StoreStatus::kNotStored) return {StoreStatus::kNoMemory, 0};
    return result;
  }
  const Time now = w.now();
  StoreResult result{StoreStatus::kStored, 0};
  try {
    Item fresh{
        std::string(request.value), next_cas(w), request.flags, request.exptime, now, now, false};
    result.cas = fresh.cas;
    const bool inserted = map_.uprase_fn(
        request.key,
        [&](Item& old) {
          if (!is_live(old, now)) {
            reclaim(w, old, key_size, now);
          } else if (request.mode == StoreMode::kAdd) {
            release(size);
            result = {StoreStatus::kNotStored, 0};
            return false;
          } else {
            release(item_size(key_size, old.value.size()));
          }
          old = std::move(fresh);
          return false;
        },
        std::move(fresh));
    if (inserted) WorkerCounters::bump(w.counters.items);
  } catch (...) {
    release(size);
    return {StoreStatus::kNoMemory, 0};
  }
  if (result.status == StoreStatus::kStored) WorkerCounters::bump(w.counters.total_items);
  return result;
}

// replace, append, prepend, cas, and any store carrying a cas: only a live item is changed.
StoreResult LibcuckooCache::store_existing(Worker& w, const StoreRequest& request) noexcept {
  const size_t key_size = request.key.key.size();
  const bool cas_required = request.mode == StoreMode::kCas || request.cas != 0;
  const bool concat = request.mode == StoreMode::kAppend || request.mode == StoreMode::kPrepend;
  const Time now = w.now();
  bool found = false;
  StoreResult result{StoreStatus::kNotStored, 0};
  try {
    map_.erase_fn(request.key, [&](Item& item) {
      if (!is_live(item, now)) return unlink_dead(w, item, key_size, now);
      found = true;
      if (cas_required && item.cas != request.cas) {
        result.status = StoreStatus::kExists;
        return false;
      }
      const size_t old_size = item_size(key_size, item.value.size());
      const size_t new_size =
          concat ? old_size + request.value.size() : item_size(key_size, request.value.size());
      // memcached answers NOT_STORED when the joined item cannot be allocated.
      if (new_size > config().max_item_size) return false;
      std::string value;
      if (concat) {
        value.reserve(item.value.size() + request.value.size());
        const bool append = request.mode == StoreMode::kAppend;
        value.append(append ? item.value : request.value);
        value.append(append ? request.value : std::string_view(item.value));
      } else {
        value.assign(request.value);
      }
      if (new_size > old_size && !reserve(new_size - old_size)) {
        result.status = StoreStatus::kNoMemory;
        return false;
      }
      if (new_size < old_size) release(old_size - new_size);
      item.value = std::move(value);
      if (!concat) {
        item.flags = request.flags;
        item.exptime = request.exptime;
      }
      item.cas = next_cas(w);
      item.time = now;
      item.last_access = now;
      item.fetched = false;
      result = {StoreStatus::kStored, item.cas};
      return false;
    });
  } catch (...) {
    return {StoreStatus::kNoMemory, 0};
  }
  if (!found && cas_required) result.status = StoreStatus::kNotFound;
  if (result.status == StoreStatus::kStored) WorkerCounters::bump(w.counters.total_items);
  return result;
}

DeleteStatus LibcuckooCache::remove(WorkerContext& ctx, const HashedKey& key,
                                    uint64_t cas) noexcept {
  Worker& w = static_cast<Worker&>(ctx);
  const Time now = ctx.now();
  DeleteStatus status = DeleteStatus::kNotFound;
  map_.erase_fn(key, [&](Item& item) {
    if (!is_live(item, now)) return unlink_dead(w, item, key.key.size(), now);
    if (cas != 0 && item.cas != cas) {
      status = DeleteStatus::kExists;
      return false;
    }
    release(item_size(key.key.size(), item.value.size()));
    WorkerCounters::drop(w.counters.items);
    status = DeleteStatus::kDeleted;
    return true;
  });
  return status;
}

ArithResult LibcuckooCache::arith(WorkerContext& ctx, const ArithRequest& request) noexcept {
  Worker& w = static_cast<Worker&>(ctx);
  const Time now = ctx.now();
  const size_t key_size = request.key.key.size();
  ArithResult result{ArithStatus::kNotFound, 0, 0};
  // memcached's do_add_delta on a live item: cas check, then parse, then the new decimal.
  auto apply = [&](Item& item) {
    if (request.cas != 0 && item.cas != request.cas) {
      result.status = ArithStatus::kExists;
      return;
    }
    const std::optional<uint64_t> value = parse_counter(item.value);
    if (!value) {
      result.status = ArithStatus::kNonNumeric;
      return;
    }
    const uint64_t updated = apply_delta(*value, request.delta, request.increment);
    std::string text = decimal(updated);
    const size_t old_size = item.value.size();
    if (text.size() > old_size && !reserve(text.size() - old_size)) {
      result.status = ArithStatus::kNoMemory;
      return;
    }
    if (text.size() < old_size) release(old_size - text.size());
    item.value = std::move(text);
    item.cas = next_cas(w);
    item.time = now;
    item.last_access = now;
    item.fetched = true;
    result = {ArithStatus::kOk, updated, item.cas};
  };
  size_t reserved = 0;  // bytes held for a created item, given back if it is not stored
  try {
    map_.erase_fn(request.key, [&](Item& item) {
      if (!is_live(item, now)) return unlink_dead(w, item, key_size, now);
      apply(item);
      return false;
    });
    if (result.status != ArithStatus::kNotFound || !request.create) return result;

    // Absent: create it with `initial` (binary protocol), unless another worker just did.
    Item fresh{decimal(request.initial), next_cas(w), 0, request.exptime, now, now, false};
    const size_t size = item_size(key_size, fresh.value.size());
    if (!reserve(size)) return {ArithStatus::kNoMemory, 0, 0};
    reserved = size;
    result = {ArithStatus::kOk, request.initial, fresh.cas};
    bool created = true;
    const bool inserted = map_.uprase_fn(
        request.key,
        [&](Item& item) {
          if (is_live(item, now)) {
            release(reserved);
            reserved = 0;
            created = false;
            apply(item);
          } else {
            reclaim(w, item, key_size, now);
            item = std::move(fresh);
          }
          return false;
        },
        std::move(fresh));
    if (inserted) WorkerCounters::bump(w.counters.items);
    if (created) WorkerCounters::bump(w.counters.total_items);
  } catch (...) {
    release(reserved);
    return {ArithStatus::kNoMemory, 0, 0};
  }
  return result;
}

void LibcuckooCache::flush_all(WorkerContext& ctx, Time when) noexcept {
  const Time now = ctx.now();
  Time deadline = (when == 0 || when <= now) ? now : when;
  if (deadline == 0) deadline = 1;  // 0 means "no flush"
  std::lock_guard lock(flush_mu_);
  // As memcached: a flush due by the next second also sets the cas threshold, so that items
  // stored after it within the current second survive.
  const bool immediate = deadline - 1 <= now;
  if (immediate) {
    flush_cas_.store(next_cas_block_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  flush_when_.store(deadline, std::memory_order_release);
  if (immediate) cas_generation_.fetch_add(1, std::memory_order_release);
}

CacheStats LibcuckooCache::stats() const noexcept {
  std::lock_guard lock(workers_mu_);
  CacheStats stats = retired_;
  for (const WorkerCounters* counters : workers_) counters->add_to(stats);
  stats.bytes = bytes_.load(std::memory_order_relaxed);
  stats.limit_maxbytes = config().memory_limit;
  return stats;
}

size_t LibcuckooCache::max_value_size(size_t key_size) const noexcept {
  const size_t overhead = kItemHeaderSize + key_size;
  return config().max_item_size > overhead ? config().max_item_size - overhead : 0;
}

}  // namespace cuckood::cache
