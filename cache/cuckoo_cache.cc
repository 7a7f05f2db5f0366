#include "cache/cuckoo_cache.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>

#include "cache/copy_bytes.h"
#include "cache/expiry.h"

namespace cuckood::cache {

// Single-writer statistics of one worker: relaxed load + store, no RMW, on the worker's own
// line; stats() reads them from any thread.
struct alignas(64) CuckooCache::WorkerCounters {
  struct PerClass {
    std::atomic<int64_t> items{0};  // linked minus unlinked by this worker (may go negative)
    std::atomic<int64_t> bytes{0};
    std::atomic<uint64_t> reclaimed{0};
    std::atomic<uint64_t> expired_unfetched{0};
    std::atomic<uint64_t> outofmemory{0};
  };
  std::atomic<uint64_t> total_items{0};
  std::atomic<uint64_t> found_flushed{0};
  std::atomic<uint64_t> found_expired{0};
  std::atomic<uint64_t> appended{0};      // bytes this worker wrote into segments
  std::atomic<uint64_t> pinned_bytes{0};  // bytes this worker's pins hold (none at its end)
  PerClass classes[SizeClasses::kMaxClasses];

  template <class T>
  static void add(std::atomic<T>& counter, T n) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class CuckooCache::Context final : public WorkerContext {
 public:
  explicit Context(CuckooCache& cache)
      : participant(cache.epoch_.register_participant()), cache_(cache) {
    cache_.store_.register_pins(pins);
    std::lock_guard lock(cache_.workers_mutex_);
    cache_.workers_.push_back(&counters);
  }

  ~Context() override {
    cache_.store_.unregister_pins(pins);
    cache_.store_.seal(writer);
    cache_.epoch_.unregister_participant(participant);
    std::lock_guard lock(cache_.workers_mutex_);
    std::erase(cache_.workers_, &counters);
    auto fold = [](auto& into, const auto& from) {
      WorkerCounters::add(into, from.load(std::memory_order_relaxed));
    };
    fold(cache_.retired_->total_items, counters.total_items);
    fold(cache_.retired_->found_flushed, counters.found_flushed);
    fold(cache_.retired_->found_expired, counters.found_expired);
    fold(cache_.retired_->appended, counters.appended);
    for (size_t i = 0; i < SizeClasses::kMaxClasses; ++i) {
      WorkerCounters::PerClass& into = cache_.retired_->classes[i];
      const WorkerCounters::PerClass& from = counters.classes[i];
      fold(into.items, from.items);
      fold(into.bytes, from.bytes);
      fold(into.reclaimed, from.reclaimed);
      fold(into.expired_unfetched, from.expired_unfetched);
      fold(into.outofmemory, from.outofmemory);
    }
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

// A look-up reads one bucket line of the index besides its item (prefetch_pays).
constexpr uint64_t kBucketLineBytes = 64;

// The index starts with one slot per 8 KiB of -m, and at least 2^16 slots (512 KiB, the size of
// memcached's default table of 2^16 pointers): enough for its stripes to take whole runs of
// buckets (CuckooIndex::kMaxStripeRun), which keeps each later migration to a run of lines per
// page. It doubles as items arrive. A table sized for the whole of -m up front spares the first
// doublings but spreads the same keys over many more cache lines, which makes every lookup
// slower; doubling is cheap (a bounded BFS, see CuckooIndex), so the table starts small.
// -o hashpower=N asks for 2^N slots instead, as memcached's initial 2^N hash buckets.
size_t initial_buckets(const CacheConfig& config) noexcept {
  if (config.hashpower != 0) {
    return std::max<size_t>((size_t{1} << config.hashpower) / CuckooIndex::kSlotsPerBucket,
                            CuckooIndex::kStripes);
  }
  return std::max<size_t>(config.memory_limit / 8192 / CuckooIndex::kSlotsPerBucket,
                          CuckooIndex::kStripes * CuckooIndex::kMaxStripeRun);
}

// The index may double until it has slots for twice the smallest items the store can hold, so
// that at its largest size it is never more than half full, where cuckoo paths always exist.
size_t max_buckets(const CacheConfig& config) noexcept {
  const size_t most_items = SegmentStore::capacity_bytes(config.memory_limit, config.max_item_size,
                                                         config.memory_reserve) /
                            Item::footprint(1, 0, false);
  return std::max(initial_buckets(config), 2 * most_items / CuckooIndex::kSlotsPerBucket);
}

}  // namespace

CuckooCache::CuckooCache(const CacheConfig& config)
    : Cache(config),
      index_([this](std::string_view key) { return hash(key).hash; }, initial_buckets(config),
             max_buckets(config)),
      store_(config.memory_limit, config.max_item_size, index_, epoch_,
             SizeClasses(config.size_classes), config.evict, config.huge_pages,
             config.memory_reserve, config.eviction_observer),
      retired_(std::make_unique<WorkerCounters>()),
      prefetch_from_bytes_(config.prefetch_from_bytes),
      prefetch_pays_(config.prefetch_from_bytes == 0),
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
  auto worker = std::make_unique<Context>(*this);
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

// The generation live at `now` under flush state `state`, and the one stores go to. A delayed
// flush moves both on by two: in its very second, stores go to the generation in between,
// already dead (memcached kills items stored up to and including that second).
uint32_t live_generation(uint64_t state, Time now) noexcept {
  const auto generation = static_cast<uint32_t>(state >> 32);
  const auto pending = static_cast<Time>(state);
  return pending != 0 && pending <= now ? generation + 2 : generation;
}

uint32_t store_generation(uint64_t state, Time now) noexcept {
  const auto pending = static_cast<Time>(state);
  const uint32_t live = live_generation(state, now);
  return pending != 0 && pending == now ? live - 1 : live;
}

}  // namespace

Era CuckooCache::era(Time now) const noexcept {
  const uint64_t state = flush_state_.load(std::memory_order_acquire);
  return {live_generation(state, now), now, store_generation(state, now)};
}

uint64_t CuckooCache::next_cas(Context& c) noexcept {
  if (c.cas_next == c.cas_end) {
    c.cas_next = next_cas_block_.fetch_add(kCasBlock, std::memory_order_relaxed);
    c.cas_end = c.cas_next + kCasBlock;
  }
  return c.cas_next++;
}

size_t CuckooCache::max_footprint() const noexcept {
  return std::min(config().max_item_size, store_.max_footprint());
}

size_t CuckooCache::max_value_size(size_t key_size) const noexcept {
  const size_t limit = max_footprint() & ~(Item::kAlignment - 1);
  // As for an item with extras, so that the limit does not depend on the flags.
  const size_t overhead = sizeof(Item) + Item::kExtrasSize + key_size;
  return limit > overhead ? limit - overhead : 0;
}

WalkedItem CuckooCache::measure(const ItemView& item) const noexcept {
  const bool extended = !config().evict || Item::needs_extras(item.flags, item.exptime);
  const size_t footprint = Item::footprint(item.key.size(), item.value.size(), extended);
  return {store_.classes().of(footprint), static_cast<uint32_t>(footprint)};
}

void CuckooCache::account_linked(Context& c, const Item* item, uint32_t size_class,
                                 bool new_item) noexcept {
  WorkerCounters::PerClass& counters = c.counters.classes[size_class];
  WorkerCounters::add(counters.items, int64_t{1});
  WorkerCounters::add(counters.bytes, static_cast<int64_t>(item->footprint()));
  if (new_item) WorkerCounters::add(c.counters.total_items, uint64_t{1});
}

void CuckooCache::account_unlinked(Context& c, Item* item, Era era) noexcept {
  const size_t footprint = item->footprint();
  WorkerCounters::PerClass& counters = c.counters.classes[store_.classes().of(footprint)];
  WorkerCounters::add(counters.items, int64_t{-1});
  WorkerCounters::add(counters.bytes, -static_cast<int64_t>(footprint));
  if (!store_.is_live(item, era)) {
    WorkerCounters::add(store_.generation_of(item) != era.generation ? c.counters.found_flushed
                                                                     : c.counters.found_expired,
                        uint64_t{1});
    WorkerCounters::add(counters.reclaimed, uint64_t{1});
    if (!item->fetched() && is_expired(item->exptime(), era.now)) {
      WorkerCounters::add(counters.expired_unfetched, uint64_t{1});
    }
  }
  store_.release(item);
}

Item* CuckooCache::find_live(Context& c, const HashedKey& key, Era era) noexcept {
  Item* item = index_.find(key);
  if (item == nullptr || store_.is_live(item, era)) return item;
  // Lazy expiry: unlink it, unless a writer replaced or revived it meanwhile.
  auto decide = [&](Item* current) {
    return current == item && !store_.is_live(item, era) ? CuckooIndex::Decision::erase()
                                                         : CuckooIndex::Decision::keep();
  };
  if (index_.update(key, decide).changed) account_unlinked(c, item, era);
  return nullptr;
}

PinToken CuckooCache::pin(WorkerContext& ctx, std::string_view bytes) noexcept {
  auto& c = static_cast<Context&>(ctx);
  // A pinned value lies inside one segment (at most kMaxSegmentSize bytes): its size fits.
  const PinToken token{store_.pin(c.pins, bytes.data()), static_cast<uint32_t>(bytes.size())};
  if (!token) return {};
  WorkerCounters::add(c.counters.pinned_bytes, uint64_t{token.bytes});
  return token;
}

void CuckooCache::unpin(WorkerContext& ctx, PinToken token) noexcept {
  if (!token) return;
  auto& c = static_cast<Context&>(ctx);
  store_.unpin(c.pins, token.id);
  WorkerCounters::add(c.counters.pinned_bytes, uint64_t{0} - token.bytes);
}

ItemView CuckooCache::view_of(const Item* item, bool fetched) const noexcept {
  return ItemView{.key = item->key(),
                  .value = item->value(),
                  .flags = item->flags(),
                  .exptime = item->exptime(),
                  .cas = item->cas(),
                  .last_access = store_.last_access(item),
                  .fetched = fetched,
                  .marks = item->marks()};
}

// What an update decided against: the item it saw (nullptr: none), that item's cas, marks,
// value size, deadline and whether it has room for a deadline (extras).
struct CuckooCache::Seen {
  Item* item = nullptr;
  uint64_t cas = 0;
  Marks marks = 0;
  size_t value_size = 0;
  bool extended = false;

  // Whether `live` is still that: the very version (items are reused after reclamation, so
  // the pointer alone could name a newer item: the cas tells, uniques never repeat) with the
  // marks seen. `live` is protected; `item` may not be any more, so only `live` is read.
  bool still(const Item* live) const noexcept {
    return live == item && (live == nullptr || (live->cas() == cas && live->marks() == marks));
  }
};

bool CuckooCache::read(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  auto& c = static_cast<Context&>(ctx);
  EpochGuard guard(epoch_, *c.participant);
  Item* item = find_live(c, key, era(ctx.now()));
  if (item == nullptr) return false;
  const bool fetched = item->mark_read();
  const ItemView view = view_of(item, fetched);
  store_.record_access(item, ctx.now());
  visit(view);
  return true;
}

void CuckooCache::prefetch(WorkerContext& ctx, std::span<const HashedKey> keys) noexcept {
  auto& c = static_cast<Context&>(ctx);
  // The guard keeps the tables the index reads alive; the items are only prefetched.
  EpochGuard guard(epoch_, *c.participant);
  // All bucket lines first, so that their misses are in flight together; reading the first of
  // them then waits about one miss, and the items' misses overlap likewise.
  for (const HashedKey& key : keys) index_.prefetch_buckets(key);
  for (const HashedKey& key : keys) index_.prefetch_items(key);
}

bool CuckooCache::peek(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  auto& c = static_cast<Context&>(ctx);
  EpochGuard guard(epoch_, *c.participant);
  Item* item = find_live(c, key, era(ctx.now()));
  if (item == nullptr) return false;
  visit(view_of(item, item->fetched()));
  return true;
}

// The optimistic loop every write goes through: decide against the item seen under the epoch,
// build what the change needs outside any lock, then apply it under the key's stripe locks if
// the key still holds what the decision was taken against; otherwise decide again.
UpdateStatus CuckooCache::update(WorkerContext& ctx, const HashedKey& key,
                                 Mutation& mutation) noexcept {
  auto& c = static_cast<Context&>(ctx);
  if (key.key.size() > kMaxKeySize) return UpdateStatus::kTooLarge;
  for (;;) {
    Seen seen;
    Change change;
    {
      EpochGuard guard(epoch_, *c.participant);
      // The index's lines load while the mutation decides and its item is built.
      index_.prefetch_update(key);
      if (!mutation.blind()) seen.item = find_live(c, key, era(c.now()));
      if (seen.item != nullptr) {
        const ItemView live = view_of(seen.item, seen.item->fetched());
        seen.cas = live.cas;
        seen.marks = live.marks;
        seen.value_size = live.value.size();
        seen.extended = seen.item->extended();
        change = mutation.decide(&live);
      } else {
        change = mutation.decide(nullptr);
      }
    }
    std::optional<UpdateStatus> status;
    switch (change.kind) {
      case Change::Kind::kKeep:
        return UpdateStatus::kDone;
      case Change::Kind::kRemove:
        status = modify(c, key, mutation, change, seen);
        break;
      case Change::Kind::kTouch:
        // A deadline for an item without room for one lands on an extended copy.
        status =
            seen.item != nullptr && !seen.extended && !change.keep_exptime && change.exptime != 0
                ? extend(c, key, mutation, change, seen)
                : modify(c, key, mutation, change, seen);
        break;
      case Change::Kind::kStore:
        status = publish(c, key, mutation, change, seen);
        break;
    }
    if (status) return *status;
  }
}

// kRemove and kTouch change the linked item itself, under the key's stripe locks: a touch
// there means a concurrent append/incr copying the deadline either sees the new one or fails
// its version check, and marks set there are a test-and-set (every mark is written under
// those locks).
std::optional<UpdateStatus> CuckooCache::modify(Context& c, const HashedKey& key,
                                                Mutation& mutation, const Change& change,
                                                const Seen& seen) noexcept {
  Item* const item = seen.item;
  if (item == nullptr) return UpdateStatus::kDone;  // nothing live to remove or touch
  EpochGuard guard(epoch_, *c.participant);
  const Era now = era(c.now());
  bool raced = false;
  auto decide = [&](Item* linked) {
    const bool live = linked != nullptr && store_.is_live(linked, now);
    raced = !seen.still(live ? linked : nullptr);
    if (raced) return live ? CuckooIndex::Decision::keep() : CuckooIndex::Decision::erase();
    if (change.kind == Change::Kind::kRemove) return CuckooIndex::Decision::erase();
    // The item seen, so it has room for the deadline (update() extends one that has not).
    if (!change.keep_exptime) linked->set_exptime(change.exptime);
    linked->add_marks(change.marks);
    return CuckooIndex::Decision::keep();
  };
  const auto result = index_.update(key, decide);
  if (result.changed) account_unlinked(c, result.previous, now);
  if (raced) return std::nullopt;
  if (change.kind == Change::Kind::kTouch) touched(c, item, mutation, change);
  return UpdateStatus::kDone;
}

// After a touch landed on `item` (inside the caller's guard): the segment's deadline hint, the
// access (unless unread) and what the mutation is shown.
void CuckooCache::touched(Context& c, Item* item, Mutation& mutation,
                          const Change& change) noexcept {
  if (!change.keep_exptime) store_.note_exptime(item, change.exptime);
  if (change.unread) {
    mutation.done(view_of(item, item->fetched()));
    return;
  }
  const bool fetched = item->mark_read();
  const ItemView view = view_of(item, fetched);
  store_.record_access(item, c.now());
  mutation.done(view);
}

// Room for an item of `footprint` bytes in the worker's own segment (nullptr: none could be
// made), counted as written or as out of memory in its size class. `exptime` is the item's
// deadline as the segment's hint takes it (0: none yet).
void* CuckooCache::allocate(Context& c, size_t footprint, uint32_t size_class,
                            Time exptime) noexcept {
  void* memory =
      store_.allocate(c.writer, *c.participant, footprint, size_class, exptime, era(c.now()));
  if (memory == nullptr) {
    WorkerCounters::add(c.counters.classes[size_class].outofmemory, uint64_t{1});
    return nullptr;
  }
  WorkerCounters::add(c.counters.appended, uint64_t{footprint});
  return memory;
}

// A touch giving a deadline to the item `seen` saw, which has no room for one: an extended copy
// (same cas, value, marks and access state) with the touch applied is swapped in for it, under
// the key's stripe locks and only while the item is still that version with those marks.
// Returns nullopt, for the touch to decide again, when the key changed meanwhile. Outside any
// guard, as allocation must be.
std::optional<UpdateStatus> CuckooCache::extend(Context& c, const HashedKey& key,
                                                Mutation& mutation, const Change& change,
                                                const Seen& seen) noexcept {
  const size_t footprint = Item::footprint(key.key.size(), seen.value_size, true);
  const uint32_t size_class = store_.classes().of(footprint);
  void* memory = allocate(c, footprint, size_class, 0);
  if (memory == nullptr) return UpdateStatus::kNoMemory;
  // A header first, whatever happens next: sweeps walk a segment item by item.
  Item* copy = Item::create(memory, key.key, seen.value_size, 0, 0, seen.cas, true);

  EpochGuard guard(epoch_, *c.participant);
  const Era now = era(c.now());
  Item* linked = index_.find(key);
  if (linked == nullptr || !store_.is_live(linked, now) || !seen.still(linked)) {
    store_.release(copy);
    return std::nullopt;
  }
  std::memcpy(copy->value_data(), linked->value().data(), seen.value_size);
  store_.stamp_access(copy, store_.last_access(linked));
  auto decide = [&](Item* current) {
    if (!seen.still(current)) return CuckooIndex::Decision::keep();
    copy->set_exptime(change.exptime);
    copy->add_marks(current->marks() | change.marks);
    copy->copy_reads_from(*current);
    return CuckooIndex::Decision::put(copy);
  };
  if (!index_.update(key, decide).changed) {
    store_.release(copy);
    return std::nullopt;
  }
  account_unlinked(c, linked, now);
  account_linked(c, copy, size_class, false);
  touched(c, copy, mutation, change);
  return UpdateStatus::kDone;
}

// kStore: the new item is written in the worker's own segment before any lock, then swapped
// in. A derived value (append, incr) is built only from the item still linked, and swapped in
// only if that item is linked still; a value of the mutation's own (set, add, cas) is swapped
// in if the mutation, asked again about whatever is linked by then, still says the same.
std::optional<UpdateStatus> CuckooCache::publish(Context& c, const HashedKey& key,
                                                 Mutation& mutation, const Change& change,
                                                 const Seen& seen) noexcept {
  // The limit is that of an item with extras whatever the item, as max_value_size() says.
  if (Item::footprint(key.key.size(), change.value_size, true) > max_footprint()) {
    return UpdateStatus::kTooLarge;
  }
  // An item that takes its deadline from the one it replaces has room for one if that item had
  // (a deadline given since to an item without room is caught at the swap, which then decides
  // again). Without eviction every item has the extras: a touch there must not need memory
  // that only eviction could make.
  const bool extended = !config().evict || Item::needs_extras(change.flags, change.exptime) ||
                        (change.keep_exptime && seen.extended);
  const size_t footprint = Item::footprint(key.key.size(), change.value_size, extended);
  const uint32_t size_class = store_.classes().of(footprint);
  void* memory = allocate(c, footprint, size_class, change.keep_exptime ? 0 : change.exptime);
  if (memory == nullptr) return UpdateStatus::kNoMemory;
  // A header first, whatever happens next: sweeps walk a segment item by item.
  Item* item = Item::create(memory, key.key, change.value_size, change.flags, change.exptime,
                            next_cas(c), extended);
  if (change.fetched) item->set_fetched();
  item->add_marks(change.marks);
  store_.stamp_access(item, c.now());

  EpochGuard guard(epoch_, *c.participant);
  const Era now = era(c.now());
  auto live_of = [&](Item* linked) {
    return linked != nullptr && store_.is_live(linked, now) ? linked : nullptr;
  };
  if (change.derived) {
    if (!seen.still(live_of(index_.find(key)))) {
      store_.release(item);
      return std::nullopt;
    }
    const ItemView source = view_of(seen.item, seen.item->fetched());
    mutation.write(&source, item->value_data());
  } else {
    mutation.write(nullptr, item->value_data());
  }
  bool raced = false;
  bool refused = false;
  auto decide = [&](Item* linked) {
    Item* live = live_of(linked);
    raced = refused = false;
    if (!seen.still(live) && !mutation.blind()) {
      if (change.derived) {
        raced = true;
        return CuckooIndex::Decision::keep();
      }
      const ItemView view = live != nullptr ? view_of(live, live->fetched()) : ItemView{};
      const Change again = mutation.decide(live != nullptr ? &view : nullptr);
      refused = again.kind == Change::Kind::kKeep;
      raced = !refused && again != change;
      if (refused || raced) return CuckooIndex::Decision::keep();
    }
    if (live != nullptr) {
      if (change.keep_exptime) {
        // An item replaced since the decision may have a deadline the new one has no room for.
        raced = !item->can_set_exptime(live->exptime());
        if (raced) return CuckooIndex::Decision::keep();
        item->set_exptime(live->exptime());
      }
      item->add_marks(live->marks() & change.keep_marks);
    }
    return CuckooIndex::Decision::put(item);
  };
  const auto result = index_.update(key, decide);
  if (raced || refused) {
    store_.release(item);
    if (raced) return std::nullopt;
    return UpdateStatus::kDone;
  }
  store_.note_exptime(item, item->exptime());
  if (result.previous != nullptr) account_unlinked(c, result.previous, now);
  account_linked(c, item, size_class, !change.in_place);
  mutation.done(view_of(item, item->fetched()));
  return UpdateStatus::kDone;
}

void CuckooCache::flush_all(WorkerContext& ctx, Time when) noexcept {
  const Time now = ctx.now();
  uint64_t state = flush_state_.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    const uint32_t generation = live_generation(state, now);  // folds one already due
    // memcached: `flush_all N` sets oldest_live = deadline - 1 and acts once that has come;
    // only a flush without delay (or with a past deadline) spares what is stored after it.
    if (when == 0 || when - 1 < now) {
      next = uint64_t{generation + 1} << 32;
    } else {
      next = (uint64_t{generation} << 32) | (when - 1);
    }
  } while (!flush_state_.compare_exchange_weak(state, next, std::memory_order_acq_rel,
                                               std::memory_order_relaxed));
}

void CuckooCache::cancel_flush(WorkerContext& ctx) noexcept {
  const Time now = ctx.now();
  uint64_t state = flush_state_.load(std::memory_order_relaxed);
  // Folds a flush already due into the generation, and drops the pending deadline.
  while (!flush_state_.compare_exchange_weak(state, uint64_t{live_generation(state, now)} << 32,
                                             std::memory_order_acq_rel,
                                             std::memory_order_relaxed)) {
  }
}

void CuckooCache::walk(WorkerContext& ctx, WalkCursor& cursor, size_t budget,
                       WalkVisitor visit) noexcept {
  if (cursor.done) return;
  auto& c = static_cast<Context&>(ctx);
  EpochGuard guard(epoch_, *c.participant);
  const Era now = era(ctx.now());
  cursor.done = index_.walk(cursor.position, cursor.span, budget, [&](Item* item) {
    if (!store_.is_live(item, now)) return;
    const size_t footprint = item->footprint();
    visit(view_of(item, item->fetched()),
          WalkedItem{store_.classes().of(footprint), static_cast<uint32_t>(footprint)});
  });
}

bool CuckooCache::start_crawl(uint64_t class_mask) noexcept {
  bool idle = false;
  if (!crawling_.compare_exchange_strong(idle, true, std::memory_order_acq_rel)) return false;
  if (config().crawl_in_caller) {
    crawl(class_mask);
    crawling_.store(false, std::memory_order_release);
    return true;
  }
  {
    std::lock_guard lock(reclaimer_mutex_);
    // Bit 63 stands for "asked" so that an empty mask still runs (and finds nothing).
    crawl_request_ = class_mask | (uint64_t{1} << 63);
  }
  reclaimer_wake_.notify_all();
  return true;
}

void CuckooCache::crawl(uint64_t class_mask) noexcept {
  // Buckets per critical section: short enough that a writer waiting for a grace period (to
  // reuse a segment) waits one short pass, long enough that a big table is crawled quickly.
  constexpr size_t kBucketsPerPass = 256;
  uint64_t checked[SizeClasses::kMaxClasses] = {};
  size_t position = 0, span = 0;
  for (bool done = false; !done;) {
    std::lock_guard pass(reclaim_pass_mutex_);
    EpochGuard guard(epoch_, *reclaimer_participant_);
    const Era now = era(latest_now_.load(std::memory_order_relaxed));
    done = index_.walk(position, span, kBucketsPerPass, [&](Item* item) {
      const uint32_t size_class = store_.classes().of(item->footprint());
      if ((class_mask & (uint64_t{1} << size_class)) == 0) return;
      ++checked[size_class];
      if (store_.is_live(item, now)) return;
      // Judged again under the key's lock: a concurrent touch may have revived it.
      if (index_.unlink(item, [&] { return !store_.is_live(item, now); })) {
        store_.account_crawled(item, !item->fetched() && is_expired(item->exptime(), now.now));
      }
    });
  }
  for (uint32_t i = 0; i < SizeClasses::kMaxClasses; ++i) {
    if (checked[i] != 0) store_.account_crawl(i, checked[i]);
  }
  epoch_.reclaim();
}

bool CuckooCache::set_memory_limit(WorkerContext& ctx, size_t bytes) noexcept {
  auto& c = static_cast<Context&>(ctx);
  return store_.set_memory_limit(*c.participant, era(ctx.now()), bytes);
}

CacheStats CuckooCache::stats() const noexcept {
  CacheStats stats;
  stats.limit_maxbytes = store_.memory_limit();
  stats.unit_size = store_.segment_size();
  stats.index_buckets = index_.bucket_count();
  stats.index_slots = stats.index_buckets * CuckooIndex::kSlotsPerBucket;
  stats.index_bytes = stats.index_slots * sizeof(uint64_t);
  stats.index_growths = index_.growths();
  stats.index_growing = index_.growing();
  const size_t classes = store_.classes().count();
  std::vector<int64_t> items(classes), bytes(classes);
  int64_t written = store_.written_less_freed();
  stats.classes.resize(classes);
  {
    std::lock_guard lock(workers_mutex_);
    auto sum = [&](const WorkerCounters& c) {
      stats.total_items += c.total_items.load(std::memory_order_relaxed);
      stats.found_flushed += c.found_flushed.load(std::memory_order_relaxed);
      stats.found_expired += c.found_expired.load(std::memory_order_relaxed);
      written += static_cast<int64_t>(c.appended.load(std::memory_order_relaxed));
      stats.pinned_bytes += c.pinned_bytes.load(std::memory_order_relaxed);
      for (size_t i = 0; i < classes; ++i) {
        const WorkerCounters::PerClass& from = c.classes[i];
        ClassStats& into = stats.classes[i];
        items[i] += from.items.load(std::memory_order_relaxed);
        bytes[i] += from.bytes.load(std::memory_order_relaxed);
        into.reclaimed += from.reclaimed.load(std::memory_order_relaxed);
        into.expired_unfetched += from.expired_unfetched.load(std::memory_order_relaxed);
        into.outofmemory += from.outofmemory.load(std::memory_order_relaxed);
      }
    };
    sum(*retired_);
    for (const WorkerCounters* c : workers_) sum(*c);
  }
  stats.malloced = static_cast<uint64_t>(std::max<int64_t>(written, 0));
  const std::vector<ClassPresence> presence = store_.class_presence();
  for (size_t i = 0; i < classes; ++i) {
    const ClassCounters& store = store_.counters().classes[i];
    ClassStats& into = stats.classes[i];
    items[i] -= static_cast<int64_t>(store.unlinked_items.load(std::memory_order_relaxed));
    bytes[i] -= static_cast<int64_t>(store.unlinked_bytes.load(std::memory_order_relaxed));
    // Counters of different threads are read at different instants: clamp the transient skew.
    into.items = static_cast<uint64_t>(std::max<int64_t>(items[i], 0));
    into.bytes = static_cast<uint64_t>(std::max<int64_t>(bytes[i], 0));
    into.evicted = store.evictions.load(std::memory_order_relaxed);
    into.evicted_nonzero = store.evicted_nonzero.load(std::memory_order_relaxed);
    into.evicted_unfetched = store.evicted_unfetched.load(std::memory_order_relaxed);
    into.expired_unfetched += store.expired_unfetched.load(std::memory_order_relaxed);
    into.reclaimed += store.reclaimed.load(std::memory_order_relaxed);
    into.crawler_reclaimed = store.crawler_reclaimed.load(std::memory_order_relaxed);
    into.crawler_items_checked = store.crawler_items_checked.load(std::memory_order_relaxed);
    into.evicted_time = store.evicted_time.load(std::memory_order_relaxed);
    into.units = presence[i].segments;
    into.oldest = presence[i].oldest;
    stats.curr_items += into.items;
    stats.bytes += into.bytes;
    stats.add_class_counters(into);
  }
  return stats;
}

void CuckooCache::reclaim_now() noexcept {
  std::lock_guard pass(reclaim_pass_mutex_);
  const Time now = latest_now_.load(std::memory_order_relaxed);
  if (now != 0) store_.reclaim_expired(*reclaimer_participant_, era(now));
  epoch_.reclaim();
  if (prefetch_from_bytes_ != 0) {
    // What look-ups touch: the items, and a bucket line of the index for each.
    const CacheStats s = stats();
    prefetch_pays_.store(s.bytes + s.curr_items * kBucketLineBytes >= prefetch_from_bytes_,
                         std::memory_order_relaxed);
  }
}

void CuckooCache::reclaimer_loop() noexcept {
  // Once a second (memcached's clock grain): expiry cannot be finer than that anyway. A crawl
  // asked for (start_crawl) runs at once.
  std::unique_lock lock(reclaimer_mutex_);
  while (!reclaimer_stop_) {
    reclaimer_wake_.wait_for(lock, std::chrono::seconds(1),
                             [this] { return reclaimer_stop_ || crawl_request_ != 0; });
    if (reclaimer_stop_) break;
    const uint64_t crawl_mask = crawl_request_;
    crawl_request_ = 0;
    lock.unlock();
    if (crawl_mask != 0) {
      crawl(crawl_mask);
      crawling_.store(false, std::memory_order_release);
    } else {
      reclaim_now();
    }
    lock.lock();
  }
}

}  // namespace cuckood::cache
