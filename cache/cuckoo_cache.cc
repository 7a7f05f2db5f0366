#include "cache/cuckoo_cache.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>

#include "cache/copy_bytes.h"
#include "cache/counter.h"
#include "cache/expiry.h"

namespace cuckood::cache {

// Single-writer statistics of one worker: relaxed load + store, no RMW, on the worker's own
// line; stats() reads them from any thread.
struct alignas(64) CuckooCache::WorkerCounters {
  std::atomic<uint64_t> total_items{0};
  std::atomic<uint64_t> reclaimed{0};
  std::atomic<uint64_t> expired_unfetched{0};
  std::atomic<int64_t> items{0};  // linked minus unlinked by this worker (may go negative)
  std::atomic<int64_t> bytes{0};

  template <class T>
  static void add(std::atomic<T>& counter, T n) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class CuckooCache::Worker final : public WorkerContext {
 public:
  explicit Worker(CuckooCache& cache)
      : participant(cache.epoch_.register_participant()), cache_(cache) {
    cache_.store_.register_pins(pins);
    std::lock_guard lock(cache_.workers_mutex_);
    cache_.workers_.push_back(&counters);
  }

  ~Worker() override {
    cache_.store_.unregister_pins(pins);
    cache_.store_.seal(writer);
    cache_.epoch_.unregister_participant(participant);
    std::lock_guard lock(cache_.workers_mutex_);
    std::erase(cache_.workers_, &counters);
    auto fold = [](auto& into, const auto& from) {
      WorkerCounters::add(into, from.load(std::memory_order_relaxed));
    };
    fold(cache_.retired_->total_items, counters.total_items);
    fold(cache_.retired_->reclaimed, counters.reclaimed);
    fold(cache_.retired_->expired_unfetched, counters.expired_unfetched);
    fold(cache_.retired_->items, counters.items);
    fold(cache_.retired_->bytes, counters.bytes);
  }

  EpochParticipant* const participant;
  SegmentWriter writer;
  uint64_t cas_next = 0;  // the current cas block [cas_next, cas_end)
  uint64_t cas_end = 0;
  WorkerCounters counters;
  PinTable pins;

 private:
  CuckooCache& cache_;
};

namespace {

// The index starts with one slot per 8 KiB of -m (at least CuckooIndex::kStripes buckets; 1 MiB
// of index for -m 1024) and doubles as items arrive. Sized like LibcuckooCache's table (one
// slot per KiB), it spared the insert benchmark its doublings but made uniform gets slower
// (410 against 320-330 ns of CPU per get at 1 thread, same run): a sparsely filled table
// spreads the same keys over 8x more cache lines. Doubling is cheap enough (a bounded BFS,
// see CuckooIndex) for insert to beat libcuckoo anyway.
size_t initial_buckets(size_t memory_limit) noexcept {
  const size_t slots = memory_limit / 8192;
  return std::max<size_t>(slots / CuckooIndex::kSlotsPerBucket, CuckooIndex::kStripes);
}

}  // namespace

CuckooCache::CuckooCache(const CacheConfig& config)
    : Cache(config),
      index_([this](std::string_view key) { return hash(key).hash; }, epoch_,
             initial_buckets(config.memory_limit)),
      store_(config.memory_limit, config.max_item_size, index_, epoch_),
      retired_(std::make_unique<WorkerCounters>()),
      reclaimer_participant_(epoch_.register_participant()),
      reclaimer_([this] { reclaimer_loop(); }) {}

CuckooCache::~CuckooCache() {
  {
    std::lock_guard lock(reclaimer_mutex_);
    reclaimer_stop_ = true;
  }
  reclaimer_wake_.notify_all();
  reclaimer_.join();
  epoch_.unregister_participant(reclaimer_participant_);
  // Every worker is gone (the contract), so every pending release is safe now, while the
  // store they return segments to still exists.
  epoch_.reclaim();
}

std::unique_ptr<WorkerContext> CuckooCache::register_worker() {
  auto worker = std::make_unique<Worker>(*this);
  worker->set_now(config().clock());
  publish_now(worker->now());
  return worker;
}

void CuckooCache::quiescent(WorkerContext& ctx) noexcept {
  ctx.set_now(config().clock());
  publish_now(ctx.now());
  // Retired index tables (and segments, if no writer needed them yet) go back here.
  if (epoch_.pending() != 0) epoch_.reclaim();
}

void CuckooCache::publish_now(Time now) noexcept {
  Time latest = latest_now_.load(std::memory_order_relaxed);
  // Written only when the clock moves on: about once a second per worker.
  while (now > latest &&
         !latest_now_.compare_exchange_weak(latest, now, std::memory_order_relaxed)) {
  }
}

namespace {

// The generation in force at `now` under flush state `state`.
uint32_t effective_generation(uint64_t state, Time now) noexcept {
  const auto generation = static_cast<uint32_t>(state >> 32);
  const auto pending = static_cast<Time>(state);
  return pending != 0 && pending <= now ? generation + 1 : generation;  // delayed flush came
}

}  // namespace

Era CuckooCache::era(Time now) const noexcept {
  return {effective_generation(flush_state_.load(std::memory_order_acquire), now), now};
}

uint64_t CuckooCache::next_cas(Worker& w) noexcept {
  if (w.cas_next == w.cas_end) {
    w.cas_next = next_cas_block_.fetch_add(kCasBlock, std::memory_order_relaxed);
    w.cas_end = w.cas_next + kCasBlock;
  }
  return w.cas_next++;
}

size_t CuckooCache::max_footprint() const noexcept {
  return std::min(config().max_item_size, store_.max_footprint());
}

size_t CuckooCache::max_value_size(size_t key_size) const noexcept {
  const size_t limit = max_footprint() & ~(Item::kAlignment - 1);
  const size_t overhead = sizeof(Item) + key_size;
  return limit > overhead ? limit - overhead : 0;
}

void CuckooCache::account_linked(Worker& w, const Item* item) noexcept {
  WorkerCounters::add(w.counters.items, int64_t{1});
  WorkerCounters::add(w.counters.bytes, static_cast<int64_t>(item->footprint()));
  WorkerCounters::add(w.counters.total_items, uint64_t{1});
}

void CuckooCache::account_unlinked(Worker& w, Item* item, Era era) noexcept {
  WorkerCounters::add(w.counters.items, int64_t{-1});
  WorkerCounters::add(w.counters.bytes, -static_cast<int64_t>(item->footprint()));
  if (!store_.is_live(item, era)) {
    WorkerCounters::add(w.counters.reclaimed, uint64_t{1});
    if (!item->fetched() && is_expired(item->exptime(), era.now)) {
      WorkerCounters::add(w.counters.expired_unfetched, uint64_t{1});
    }
  }
  store_.release(item);
}

Item* CuckooCache::find_live(Worker& w, const HashedKey& key, Era era) noexcept {
  Item* item = index_.find(key);
  if (item == nullptr || store_.is_live(item, era)) return item;
  // Lazy expiry: unlink it, unless a writer replaced or revived it meanwhile.
  auto decide = [&](Item* current) {
    return current == item && !store_.is_live(item, era) ? CuckooIndex::Decision::erase()
                                                         : CuckooIndex::Decision::keep();
  };
  if (index_.update(key, decide).changed) account_unlinked(w, item, era);
  return nullptr;
}

PinToken CuckooCache::pin(WorkerContext& ctx, std::string_view bytes) noexcept {
  return {store_.pin(static_cast<Worker&>(ctx).pins, bytes.data())};
}

void CuckooCache::unpin(WorkerContext& ctx, PinToken token) noexcept {
  if (token) store_.unpin(static_cast<Worker&>(ctx).pins, token.id);
}

bool CuckooCache::get(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  auto& w = static_cast<Worker&>(ctx);
  EpochGuard guard(epoch_, *w.participant);
  Item* item = find_live(w, key, era(ctx.now()));
  if (item == nullptr) return false;
  const bool fetched = item->mark_read();
  visit(ItemView{item->key(), item->value(), item->flags(), item->exptime(), item->cas(), 0,
                 fetched});
  return true;
}

Item* CuckooCache::touch_locked(Worker& w, const HashedKey& key, Time exptime, Era era,
                                bool& fetched) noexcept {
  Item* hit = nullptr;
  auto decide = [&](Item* current) {
    hit = nullptr;
    if (current == nullptr) return CuckooIndex::Decision::keep();
    if (!store_.is_live(current, era)) return CuckooIndex::Decision::erase();
    // Under the stripe locks, so that a concurrent append/incr copying the deadline of this
    // item either sees the new one or fails its identity check.
    current->set_exptime(exptime);
    hit = current;
    return CuckooIndex::Decision::keep();
  };
  const auto result = index_.update(key, decide);
  if (result.changed) account_unlinked(w, result.previous, era);
  if (hit != nullptr) {
    store_.note_exptime(hit, exptime);
    fetched = hit->mark_read();
  }
  return hit;
}

bool CuckooCache::get_and_touch(WorkerContext& ctx, const HashedKey& key, Time exptime,
                                ItemVisitor visit) noexcept {
  auto& w = static_cast<Worker&>(ctx);
  EpochGuard guard(epoch_, *w.participant);
  bool fetched = false;
  Item* item = touch_locked(w, key, exptime, era(ctx.now()), fetched);
  if (item == nullptr) return false;
  visit(ItemView{item->key(), item->value(), item->flags(), item->exptime(), item->cas(), 0,
                 fetched});
  return true;
}

bool CuckooCache::touch(WorkerContext& ctx, const HashedKey& key, Time exptime) noexcept {
  auto& w = static_cast<Worker&>(ctx);
  EpochGuard guard(epoch_, *w.participant);
  bool fetched = false;
  return touch_locked(w, key, exptime, era(ctx.now()), fetched) != nullptr;
}

StoreResult CuckooCache::store(WorkerContext& ctx, const StoreRequest& request) noexcept {
  auto& w = static_cast<Worker&>(ctx);
  if (request.key.key.size() > kMaxKeySize) return {StoreStatus::kTooLarge, 0};
  if (request.mode == StoreMode::kAppend || request.mode == StoreMode::kPrepend) {
    return store_concat(w, request);
  }
  return store_whole(w, request);
}

// set, add, replace, cas: the new item does not depend on the old one, so it is written before
// any lock and the command's condition is checked once more when it is swapped in.
StoreResult CuckooCache::store_whole(Worker& w, const StoreRequest& request) noexcept {
  const HashedKey& key = request.key;
  const size_t footprint = Item::footprint(key.key.size(), request.value.size());
  if (footprint > max_footprint()) return {StoreStatus::kTooLarge, 0};
  const StoreMode mode = request.mode;
  const bool cas_required =
      mode == StoreMode::kCas || (mode != StoreMode::kAdd && request.cas != 0);
  const bool needs_present = cas_required || mode == StoreMode::kReplace;
  // Decides the command against the item currently linked (nullptr if none or dead).
  auto verdict = [&](const Item* live) {
    if (mode == StoreMode::kAdd && live != nullptr) return StoreStatus::kNotStored;
    if (needs_present && live == nullptr) {
      return cas_required ? StoreStatus::kNotFound : StoreStatus::kNotStored;
    }
    if (cas_required && live->cas() != request.cas) return StoreStatus::kExists;
    return StoreStatus::kStored;
  };
  if (mode != StoreMode::kSet || request.cas != 0) {
    // Refuse early what is bound to fail, rather than spend segment space on it.
    EpochGuard guard(epoch_, *w.participant);
    const StoreStatus early = verdict(find_live(w, key, era(w.now())));
    if (early != StoreStatus::kStored) return {early, 0};
  }
  void* memory = store_.allocate(w.writer, *w.participant, footprint, era(w.now()));
  if (memory == nullptr) return {StoreStatus::kNoMemory, 0};
  const uint64_t cas = next_cas(w);
  Item* item =
      Item::create(memory, key.key, request.value.size(), request.flags, request.exptime, cas);
  copy_bytes(item->value_data(), request.value);  // values come from page-aligned recv chunks
  store_.note_exptime(item, request.exptime);

  EpochGuard guard(epoch_, *w.participant);
  const Era now = era(w.now());
  StoreStatus status = StoreStatus::kNotStored;
  auto decide = [&](Item* current) {
    status = verdict(current != nullptr && store_.is_live(current, now) ? current : nullptr);
    return status == StoreStatus::kStored ? CuckooIndex::Decision::put(item)
                                          : CuckooIndex::Decision::keep();
  };
  const auto result = index_.update(key, decide);
  if (status != StoreStatus::kStored) {
    store_.release(item);
    return {status, 0};
  }
  if (result.previous != nullptr) account_unlinked(w, result.previous, now);
  account_linked(w, item);
  return {StoreStatus::kStored, cas};
}

// append, prepend: the new item joins the old value and the new data; it is built from the
// item seen under the epoch and swapped in only if that item is still the linked one.
StoreResult CuckooCache::store_concat(Worker& w, const StoreRequest& request) noexcept {
  const HashedKey& key = request.key;
  const bool cas_required = request.cas != 0;
  const bool append = request.mode == StoreMode::kAppend;
  for (;;) {
    Item* expected;
    uint64_t expected_cas;
    size_t old_size;
    {
      EpochGuard guard(epoch_, *w.participant);
      expected = find_live(w, key, era(w.now()));
      if (expected == nullptr) {
        return {cas_required ? StoreStatus::kNotFound : StoreStatus::kNotStored, 0};
      }
      expected_cas = expected->cas();
      if (cas_required && expected_cas != request.cas) return {StoreStatus::kExists, 0};
      old_size = expected->value().size();
    }
    const size_t value_size = old_size + request.value.size();
    const size_t footprint = Item::footprint(key.key.size(), value_size);
    // memcached answers NOT_STORED when the joined item cannot be allocated.
    if (footprint > max_footprint()) return {StoreStatus::kNotStored, 0};
    void* memory = store_.allocate(w.writer, *w.participant, footprint, era(w.now()));
    if (memory == nullptr) return {StoreStatus::kNoMemory, 0};
    // A header first, whatever happens: sweeps walk a segment item by item.
    Item* item = Item::create(memory, key.key, value_size, 0, 0, 0);

    EpochGuard guard(epoch_, *w.participant);
    const Era now = era(w.now());
    // `expected` may have been freed and reused meanwhile: the cas tells (uniques never repeat).
    Item* current = index_.find(key);
    if (current != expected || current->cas() != expected_cas || !store_.is_live(current, now)) {
      store_.release(item);
      continue;
    }
    const uint64_t cas = next_cas(w);
    item = Item::create(memory, key.key, value_size, current->flags(), current->exptime(), cas);
    const std::string_view old_value = current->value();
    char* out = item->value_data();
    if (append) {
      std::memcpy(out, old_value.data(), old_value.size());
      std::memcpy(out + old_value.size(), request.value.data(), request.value.size());
    } else {
      std::memcpy(out, request.value.data(), request.value.size());
      std::memcpy(out + request.value.size(), old_value.data(), old_value.size());
    }
    auto decide = [&](Item* linked) {
      if (linked != current) return CuckooIndex::Decision::keep();
      item->set_exptime(linked->exptime());  // a touch since the copy above is kept
      return CuckooIndex::Decision::put(item);
    };
    if (!index_.update(key, decide).changed) {
      store_.release(item);
      continue;
    }
    store_.note_exptime(item, item->exptime());
    account_unlinked(w, current, now);
    account_linked(w, item);
    return {StoreStatus::kStored, cas};
  }
}

DeleteStatus CuckooCache::remove(WorkerContext& ctx, const HashedKey& key, uint64_t cas) noexcept {
  auto& w = static_cast<Worker&>(ctx);
  EpochGuard guard(epoch_, *w.participant);
  const Era now = era(ctx.now());
  DeleteStatus status = DeleteStatus::kNotFound;
  auto decide = [&](Item* current) {
    status = DeleteStatus::kNotFound;
    if (current == nullptr) return CuckooIndex::Decision::keep();
    if (!store_.is_live(current, now)) return CuckooIndex::Decision::erase();
    if (cas != 0 && current->cas() != cas) {
      status = DeleteStatus::kExists;
      return CuckooIndex::Decision::keep();
    }
    status = DeleteStatus::kDeleted;
    return CuckooIndex::Decision::erase();
  };
  const auto result = index_.update(key, decide);
  if (result.changed) account_unlinked(w, result.previous, now);
  return status;
}

ArithResult CuckooCache::arith(WorkerContext& ctx, const ArithRequest& request) noexcept {
  auto& w = static_cast<Worker&>(ctx);
  const HashedKey& key = request.key;
  for (;;) {
    Item* expected = nullptr;  // the counter the new value derives from; nullptr = create
    uint64_t expected_cas = 0;
    uint64_t value = request.initial;
    {
      EpochGuard guard(epoch_, *w.participant);
      expected = find_live(w, key, era(w.now()));
      if (expected != nullptr) {
        expected_cas = expected->cas();
        if (request.cas != 0 && expected_cas != request.cas) return {ArithStatus::kExists, 0, 0};
        const std::optional<uint64_t> parsed = parse_counter(expected->value());
        if (!parsed) return {ArithStatus::kNonNumeric, 0, 0};
        value = apply_delta(*parsed, request.delta, request.increment);
      } else if (!request.create) {
        return {ArithStatus::kNotFound, 0, 0};
      }
    }
    char digits[kMaxCounterDigits];
    const size_t length =
        static_cast<size_t>(std::to_chars(digits, digits + sizeof(digits), value).ptr - digits);
    void* memory = store_.allocate(w.writer, *w.participant,
                                   Item::footprint(key.key.size(), length), era(w.now()));
    if (memory == nullptr) return {ArithStatus::kNoMemory, 0, 0};
    Item* item = Item::create(memory, key.key, length, 0, 0, 0);

    EpochGuard guard(epoch_, *w.participant);
    const Era now = era(w.now());
    const uint64_t cas = next_cas(w);
    Item* current = index_.find(key);
    if (expected != nullptr) {
      if (current != expected || current->cas() != expected_cas || !store_.is_live(current, now)) {
        store_.release(item);
        continue;
      }
      item = Item::create(memory, key.key, length, current->flags(), current->exptime(), cas);
      item->set_fetched();  // memcached marks an incremented item fetched
    } else {
      item = Item::create(memory, key.key, length, 0, request.exptime, cas);
    }
    std::memcpy(item->value_data(), digits, length);
    auto decide = [&](Item* linked) {
      const bool live = linked != nullptr && store_.is_live(linked, now);
      if (expected != nullptr ? linked != expected : live) return CuckooIndex::Decision::keep();
      if (expected != nullptr) item->set_exptime(linked->exptime());
      return CuckooIndex::Decision::put(item);
    };
    const auto result = index_.update(key, decide);
    if (!result.changed) {
      store_.release(item);
      continue;
    }
    store_.note_exptime(item, item->exptime());
    if (result.previous != nullptr) account_unlinked(w, result.previous, now);
    account_linked(w, item);
    return {ArithStatus::kOk, value, cas};
  }
}

void CuckooCache::flush_all(WorkerContext& ctx, Time when) noexcept {
  const Time now = ctx.now();
  uint64_t state = flush_state_.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    const uint32_t generation = effective_generation(state, now);  // folds one already due
    // memcached: `flush_all N` sets oldest_live = deadline - 1 and acts once that has come.
    if (when == 0 || when - 1 <= now) {
      next = uint64_t{generation + 1} << 32;
    } else {
      next = (uint64_t{generation} << 32) | (when - 1);
    }
  } while (!flush_state_.compare_exchange_weak(state, next, std::memory_order_acq_rel,
                                               std::memory_order_relaxed));
}

CacheStats CuckooCache::stats() const noexcept {
  CacheStats stats;
  stats.limit_maxbytes = config().memory_limit;
  int64_t items = 0, bytes = 0;
  {
    std::lock_guard lock(workers_mutex_);
    auto sum = [&](const WorkerCounters& c) {
      stats.total_items += c.total_items.load(std::memory_order_relaxed);
      stats.reclaimed += c.reclaimed.load(std::memory_order_relaxed);
      stats.expired_unfetched += c.expired_unfetched.load(std::memory_order_relaxed);
      items += c.items.load(std::memory_order_relaxed);
      bytes += c.bytes.load(std::memory_order_relaxed);
    };
    sum(*retired_);
    for (const WorkerCounters* c : workers_) sum(*c);
  }
  const StoreCounters& store = store_.counters();
  items -= static_cast<int64_t>(store.unlinked_items.load(std::memory_order_relaxed));
  bytes -= static_cast<int64_t>(store.unlinked_bytes.load(std::memory_order_relaxed));
  // Counters of different threads are read at different instants: clamp the transient skew.
  stats.curr_items = static_cast<uint64_t>(std::max<int64_t>(items, 0));
  stats.bytes = static_cast<uint64_t>(std::max<int64_t>(bytes, 0));
  stats.evictions = store.evictions.load(std::memory_order_relaxed);
  stats.evicted_unfetched = store.evicted_unfetched.load(std::memory_order_relaxed);
  stats.expired_unfetched += store.expired_unfetched.load(std::memory_order_relaxed);
  stats.reclaimed += store.reclaimed.load(std::memory_order_relaxed);
  return stats;
}

void CuckooCache::reclaim_now() noexcept {
  std::lock_guard pass(reclaim_pass_mutex_);
  const Time now = latest_now_.load(std::memory_order_relaxed);
  if (now != 0) store_.reclaim_expired(*reclaimer_participant_, era(now));
  epoch_.reclaim();
}

void CuckooCache::reclaimer_loop() noexcept {
  // Once a second (memcached's clock grain): expiry cannot be finer than that anyway.
  std::unique_lock lock(reclaimer_mutex_);
  while (!reclaimer_stop_) {
    reclaimer_wake_.wait_for(lock, std::chrono::seconds(1));
    if (reclaimer_stop_) break;
    lock.unlock();
    reclaim_now();
    lock.lock();
  }
}

}  // namespace cuckood::cache
