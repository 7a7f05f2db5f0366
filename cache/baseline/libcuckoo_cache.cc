// LibcuckooCache: the storage primitives over libcuckoo's per-key atomic functor calls. Every
// operation runs its whole read-decide-modify inside one erase/uprase functor, under libcuckoo's
// locks on the key's two buckets. Reads use erase_fn (same cost as find_fn) so that an expired
// or flushed item is unlinked by the access that finds it, as memcached does.
//
// libcuckoo throws on allocation failure (table growth, std::string); update() catches it and
// answers kNoMemory. The functors allocate before they mutate, so a throw leaves the item and
// the byte accounting unchanged.
#include "cache/baseline/libcuckoo_cache.h"

#include <algorithm>
#include <charconv>

#include "cache/expiry.h"

namespace cuckood::cache {

using libcuckoo_detail::WorkerCounters;

class LibcuckooCache::Context final : public WorkerContext {
 public:
  explicit Context(LibcuckooCache& cache) : cache_(cache) {
    std::lock_guard lock(cache_.workers_mu_);
    cache_.workers_.push_back(&counters);
  }

  ~Context() override {
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

}  // namespace

LibcuckooCache::LibcuckooCache(const CacheConfig& config)
    : Cache(config), map_(initial_slots(config.memory_limit)) {}

LibcuckooCache::~LibcuckooCache() = default;

std::unique_ptr<WorkerContext> LibcuckooCache::register_worker() {
  auto worker = std::make_unique<Context>(*this);
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
  if (item.vacant) return false;
  if (is_expired(item.exptime, now)) return false;
  const Time when = flush_when_.load(std::memory_order_acquire);
  if (when == 0 || when - 1 > now) return true;
  const uint64_t oldest_cas = flush_cas_.load(std::memory_order_relaxed);
  return item.time >= when && (oldest_cas == 0 || item.cas >= oldest_cas);
}

void LibcuckooCache::reclaim(Context& c, const Item& item, size_t key_size, Time now) noexcept {
  release(item_size(key_size, item.value.size()));
  WorkerCounters::bump(c.counters.reclaimed);
  if (is_expired(item.exptime, now) && !item.fetched) {
    WorkerCounters::bump(c.counters.expired_unfetched);
  }
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
uint64_t LibcuckooCache::next_cas(Context& c) noexcept {
  const uint64_t generation = cas_generation_.load(std::memory_order_acquire);
  if (c.cas_next == c.cas_end || c.cas_generation != generation) {
    c.cas_next = next_cas_block_.fetch_add(kCasBlock, std::memory_order_relaxed);
    c.cas_end = c.cas_next + kCasBlock;
    c.cas_generation = generation;
  }
  return c.cas_next++;
}

namespace {

ItemView view_of(const HashedKey& key, const libcuckoo_detail::Item& item) noexcept {
  return ItemView{key.key,  item.value,       item.flags,   item.exptime,
                  item.cas, item.last_access, item.fetched, item.marks};
}

}  // namespace

bool LibcuckooCache::read(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  Context& c = static_cast<Context&>(ctx);
  const Time now = ctx.now();
  bool hit = false;
  map_.erase_fn(key, [&](Item& item) {
    if (item.vacant) return false;  // its update is still deciding
    if (!is_live(item, now)) {
      reclaim(c, item, key.key.size(), now);
      WorkerCounters::drop(c.counters.items);
      return true;
    }
    visit(view_of(key, item));
    item.fetched = true;
    record_access(item.last_access, now);
    hit = true;
    return false;
  });
  return hit;
}

bool LibcuckooCache::peek(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  const Time now = ctx.now();
  bool hit = false;
  map_.find_fn(key, [&](const Item& item) {
    if (!is_live(item, now)) return;
    visit(view_of(key, item));
    hit = true;
  });
  return hit;
}

// One update, applied to the key's entry inside a libcuckoo functor (under its bucket locks):
// the entry found, or, for an absent key, the vacant placeholder libcuckoo is inserting.
class LibcuckooCache::Apply {
 public:
  Apply(LibcuckooCache& cache, Context& c, const HashedKey& key, Mutation& mutation) noexcept
      : cache_(cache), c_(c), key_(key), mutation_(mutation), now_(c.now()) {}

  // Decides and applies the change to `item`; returns whether to erase the entry.
  bool operator()(Item& item) noexcept {
    if (!cache_.is_live(item, now_)) return on_dead(item);
    const ItemView live = view_of(key_, item);
    const Change change = mutation_.decide(&live);
    switch (change.kind) {
      case Change::Kind::kKeep:
        return false;
      case Change::Kind::kRemove:
        cache_.release(item_size(key_.key.size(), item.value.size()));
        WorkerCounters::drop(c_.counters.items);
        return true;
      case Change::Kind::kTouch:
        if (!change.keep_exptime) item.exptime = change.exptime;
        item.marks |= change.marks;
        mutation_.done(view_of(key_, item));
        if (!change.unread) {
          item.fetched = true;
          record_access(item.last_access, now_);
        }
        return false;
      case Change::Kind::kStore:
        store(item, change, &live);
        return false;
    }
    return false;
  }

  UpdateStatus status() const noexcept { return status_; }

  // A new entry for an absent key, built by libcuckoo under the bucket locks.
  void build(Item& fresh) noexcept { vacancy_left_ = on_dead(fresh); }
  // The entry built by build() was left vacant: the caller erases it.
  bool vacancy_left() const noexcept { return vacancy_left_; }

 private:
  // `item` holds nothing live: vacant, expired or flushed. Returns whether to erase it.
  bool on_dead(Item& item) noexcept {
    if (!item.vacant) {  // expired or flushed: its bytes and its count go
      cache_.reclaim(c_, item, key_.key.size(), now_);
      WorkerCounters::drop(c_.counters.items);
      item = Item{};
      item.vacant = true;
    }
    const Change change = mutation_.decide(nullptr);
    if (change.kind == Change::Kind::kStore && store(item, change, nullptr)) {
      WorkerCounters::bump(c_.counters.items);
      return false;
    }
    return true;
  }

  // Replaces `item`'s contents with the new version; false (and `item` unchanged) when it
  // cannot be stored.
  bool store(Item& item, const Change& change, const ItemView* live) noexcept {
    const size_t key_size = key_.key.size();
    const size_t size = item_size(key_size, change.value_size);
    if (size > cache_.config().max_item_size) {
      status_ = UpdateStatus::kTooLarge;
      return false;
    }
    const size_t old_size = live != nullptr ? item_size(key_size, item.value.size()) : 0;
    std::string value;
    try {
      value.resize(change.value_size);
    } catch (...) {
      status_ = UpdateStatus::kNoMemory;
      return false;
    }
    if (size > old_size && !cache_.reserve(size - old_size)) {
      status_ = UpdateStatus::kNoMemory;
      return false;
    }
    if (size < old_size) cache_.release(old_size - size);
    mutation_.write(change.derived ? live : nullptr, value.data());
    item.value = std::move(value);
    item.flags = change.flags;
    if (!change.keep_exptime || live == nullptr) item.exptime = change.exptime;
    item.cas = cache_.next_cas(c_);
    item.time = now_;
    item.last_access = now_;
    item.fetched = change.fetched;
    item.marks =
        static_cast<Marks>(change.marks | (live != nullptr ? item.marks & change.keep_marks : 0));
    item.vacant = false;
    if (!change.in_place) WorkerCounters::bump(c_.counters.total_items);
    mutation_.done(view_of(key_, item));
    return true;
  }

  LibcuckooCache& cache_;
  Context& c_;
  const HashedKey& key_;
  Mutation& mutation_;
  const Time now_;
  UpdateStatus status_ = UpdateStatus::kDone;
  bool vacancy_left_ = false;
};

UpdateStatus LibcuckooCache::update(WorkerContext& ctx, const HashedKey& key,
                                    Mutation& mutation) noexcept {
  Apply apply(*this, static_cast<Context&>(ctx), key, mutation);
  try {
    // One call decides under the key's locks whether it is present (`apply` on its entry) or
    // absent (the new entry is built by `apply`, vacant unless the mutation stored).
    const bool inserted =
        map_.uprase_fn(key, std::ref(apply), [&](Item& fresh) { apply.build(fresh); });
    if (inserted && apply.vacancy_left()) {
      map_.erase_fn(key, [](const Item& item) { return item.vacant; });
    }
  } catch (...) {
    return UpdateStatus::kNoMemory;  // the table could not grow
  }
  return apply.status();
}

void LibcuckooCache::flush_all(WorkerContext& ctx, Time when) noexcept {
  const Time now = ctx.now();
  const Time deadline = (when == 0 || when <= now) ? now : when;
  std::lock_guard lock(flush_mu_);
  set_flush(deadline, now);
}

// A pending flush is withdrawn. One in force stays in force for what was stored before it; one
// that took effect this second (deadline now + 1, which also kills what is stored later in
// this second) becomes a flush due now, so that what is stored after the cancel lives, as in
// CuckooCache (which folds it into its generation) and in memcached.
void LibcuckooCache::cancel_flush(WorkerContext& ctx) noexcept {
  const Time now = ctx.now();
  std::lock_guard lock(flush_mu_);
  const Time when = flush_when_.load(std::memory_order_relaxed);
  if (when == 0 || when <= now) return;
  if (when - 1 > now) {
    flush_when_.store(0, std::memory_order_release);
  } else {
    set_flush(now, now);
  }
}

void LibcuckooCache::set_flush(Time deadline, Time now) noexcept {
  if (deadline == 0) deadline = 1;  // 0 means "no flush"
  // As memcached: a flush due by the next second also sets the cas threshold, so that items
  // stored after it within the current second survive.
  const bool immediate = deadline - 1 <= now;
  if (immediate) {
    flush_cas_.store(next_cas_block_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  flush_when_.store(deadline, std::memory_order_release);
  if (immediate) cas_generation_.fetch_add(1, std::memory_order_release);
}

void LibcuckooCache::walk(WorkerContext& ctx, WalkCursor& cursor, size_t budget,
                          WalkVisitor visit) noexcept {
  (void)budget;
  if (cursor.done) return;
  cursor.done = true;
  const Time now = ctx.now();
  const auto table = map_.lock_table();
  for (const auto& [key, item] : table) {
    if (!is_live(item, now)) continue;
    const size_t size = item_size(key.key.size(), item.value.size());
    visit(view_of(HashedKey{key.key, key.hash}, item), WalkedItem{0, static_cast<uint32_t>(size)});
  }
}

CacheStats LibcuckooCache::stats() const noexcept {
  std::lock_guard lock(workers_mu_);
  CacheStats stats = retired_;
  for (const WorkerCounters* counters : workers_) counters->add_to(stats);
  stats.bytes = bytes_.load(std::memory_order_relaxed);
  stats.limit_maxbytes = config().memory_limit;
  return stats;
}

// One size class: the baseline keeps no per-class figures.
WalkedItem LibcuckooCache::measure(const ItemView& item) const noexcept {
  return {0, static_cast<uint32_t>(item_size(item.key.size(), item.value.size()))};
}

size_t LibcuckooCache::max_value_size(size_t key_size) const noexcept {
  const size_t overhead = kItemHeaderSize + key_size;
  return config().max_item_size > overhead ? config().max_item_size - overhead : 0;
}

}  // namespace cuckood::cache
