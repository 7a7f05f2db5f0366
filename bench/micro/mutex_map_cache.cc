// MutexMapCache (see mutex_map_cache.h): every operation locks the key's stripe for its whole
// duration, so each one is trivially atomic per key. Allocation failure terminates (noexcept),
// as it would in any std::string-based baseline.
#include "bench/micro/mutex_map_cache.h"

#include <charconv>
#include <utility>

#include "cache/expiry.h"

namespace cuckood::bench {

using cache::CacheStats;
using cache::Change;
using cache::HashedKey;
using cache::ItemView;
using cache::ItemVisitor;
using cache::Mutation;
using cache::Time;
using cache::UpdateStatus;
using cache::WorkerContext;

namespace {

template <class Entry>
ItemView view_of(const Entry& it) noexcept {
  const auto& item = it->second;
  return ItemView{it->first.key, item.value,       item.flags,   item.exptime,
                  item.cas,      item.last_access, item.fetched, item.marks};
}

}  // namespace

std::unique_ptr<WorkerContext> MutexMapCache::register_worker() {
  auto ctx = std::make_unique<WorkerContext>();
  ctx->set_now(config().clock());
  return ctx;
}

void MutexMapCache::quiescent(WorkerContext& ctx) noexcept {
  ctx.set_now(config().clock());
}

MutexMapCache::Map::iterator MutexMapCache::find_live_locked(Stripe& stripe, const HashedKey& key,
                                                             Time now) noexcept {
  auto it = stripe.map.find(key);
  if (it == stripe.map.end()) return it;
  const Item& item = it->second;
  const Time flush = flush_at_.load(std::memory_order_relaxed);
  // memcached: oldest_live = deadline - 1; once it has come, items stored up to it are dead.
  const bool flushed = flush != 0 && flush - 1 <= now && item.stored <= flush - 1;
  if (!flushed && !cache::is_expired(item.exptime, now)) return it;
  erase_locked(stripe, it);
  return stripe.map.end();
}

MutexMapCache::Map::iterator MutexMapCache::put_locked(Stripe& stripe, const HashedKey& key,
                                                       std::string value, uint32_t flags,
                                                       Time exptime, Time now) {
  auto [it, inserted] = stripe.map.try_emplace(StoredKey{std::string(key.key), key.hash});
  Item& item = it->second;
  if (!inserted) stripe.bytes -= item_size(key.key.size(), item.value.size());
  stripe.bytes += item_size(key.key.size(), value.size());
  const uint64_t cas = (++stripe.cas_counter * kStripes) | stripe_index(key);
  item = Item{std::move(value), cas, flags, exptime, now, now, false, 0};
  return it;
}

bool MutexMapCache::fits_locked(const Stripe& stripe, size_t key_size, size_t value_size,
                                const Item* replaced) const noexcept {
  const size_t freed = replaced ? item_size(key_size, replaced->value.size()) : 0;
  return stripe.bytes - freed + item_size(key_size, value_size) <= config().memory_limit / kStripes;
}

void MutexMapCache::erase_locked(Stripe& stripe, Map::iterator it) noexcept {
  stripe.bytes -= item_size(it->first.key.size(), it->second.value.size());
  stripe.map.erase(it);
}

bool MutexMapCache::read(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  Stripe& stripe = stripe_of(key);
  std::lock_guard lock(stripe.mu);
  auto it = find_live_locked(stripe, key, ctx.now());
  if (it == stripe.map.end()) return false;
  Item& item = it->second;
  visit(view_of(it));
  cache::record_access(item.last_access, ctx.now());
  item.fetched = true;
  return true;
}

bool MutexMapCache::peek(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  Stripe& stripe = stripe_of(key);
  std::lock_guard lock(stripe.mu);
  auto it = find_live_locked(stripe, key, ctx.now());
  if (it == stripe.map.end()) return false;
  visit(view_of(it));
  return true;
}

UpdateStatus MutexMapCache::update(WorkerContext& ctx, const HashedKey& key,
                                   Mutation& mutation) noexcept {
  Stripe& stripe = stripe_of(key);
  std::lock_guard lock(stripe.mu);
  auto it = find_live_locked(stripe, key, ctx.now());
  const bool present = it != stripe.map.end();
  ItemView live;
  if (present) live = view_of(it);
  const Change change = mutation.decide(present ? &live : nullptr);
  switch (change.kind) {
    case Change::Kind::kKeep:
      return UpdateStatus::kDone;
    case Change::Kind::kRemove:
      if (present) erase_locked(stripe, it);
      return UpdateStatus::kDone;
    case Change::Kind::kTouch:
      if (!present) return UpdateStatus::kDone;
      if (!change.keep_exptime) it->second.exptime = change.exptime;
      it->second.marks |= change.marks;
      mutation.done(view_of(it));
      if (!change.unread) {
        it->second.fetched = true;
        cache::record_access(it->second.last_access, ctx.now());
      }
      return UpdateStatus::kDone;
    case Change::Kind::kStore:
      break;
  }
  if (change.value_size > max_value_size(key.key.size())) return UpdateStatus::kTooLarge;
  if (!fits_locked(stripe, key.key.size(), change.value_size, present ? &it->second : nullptr)) {
    return UpdateStatus::kNoMemory;
  }
  std::string value(change.value_size, '\0');
  mutation.write(change.derived && present ? &live : nullptr, value.data());
  const Time exptime = change.keep_exptime && present ? it->second.exptime : change.exptime;
  const cache::Marks kept = present ? it->second.marks & change.keep_marks : 0;
  it = put_locked(stripe, key, std::move(value), change.flags, exptime, ctx.now());
  if (!change.in_place) ++stripe.total_items;
  it->second.fetched = change.fetched;
  it->second.marks = static_cast<cache::Marks>(change.marks | kept);
  mutation.done(view_of(it));
  return UpdateStatus::kDone;
}

void MutexMapCache::flush_all(WorkerContext& ctx, Time when) noexcept {
  if (when != 0 && when - 1 >= ctx.now()) {
    flush_at_.store(when, std::memory_order_relaxed);
    return;
  }
  flush_at_.store(0, std::memory_order_relaxed);  // one flush time, as memcached keeps
  for (Stripe& stripe : stripes_) {
    std::lock_guard lock(stripe.mu);
    stripe.map.clear();
    stripe.bytes = 0;
  }
}

// A pending flush is withdrawn; one in force since this second (which also kills what is stored
// later in this second) becomes an immediate one, which spares what is stored after it.
void MutexMapCache::cancel_flush(WorkerContext& ctx) noexcept {
  const Time flush = flush_at_.load(std::memory_order_relaxed);
  if (flush == 0 || flush - 1 < ctx.now()) return;
  if (flush - 1 > ctx.now()) {
    flush_at_.store(0, std::memory_order_relaxed);
  } else {
    flush_all(ctx, 0);
  }
}

void MutexMapCache::walk(WorkerContext& ctx, cache::WalkCursor& cursor, size_t budget,
                         cache::WalkVisitor visit) noexcept {
  (void)budget;
  if (cursor.done) return;
  Stripe& stripe = stripes_[cursor.position++];
  cursor.done = cursor.position == kStripes;
  const Time now = ctx.now();
  const Time flush = flush_at_.load(std::memory_order_relaxed);
  std::lock_guard lock(stripe.mu);
  for (auto it = stripe.map.begin(); it != stripe.map.end(); ++it) {
    const Item& item = it->second;
    if (cache::is_expired(item.exptime, now)) continue;
    if (flush != 0 && flush - 1 <= now && item.stored <= flush - 1) continue;
    const size_t size = item_size(it->first.key.size(), item.value.size());
    visit(view_of(it), cache::WalkedItem{0, static_cast<uint32_t>(size)});
  }
}

CacheStats MutexMapCache::stats() const noexcept {
  CacheStats stats;
  stats.limit_maxbytes = config().memory_limit;
  for (const Stripe& stripe : stripes_) {
    std::lock_guard lock(stripe.mu);
    stats.curr_items += stripe.map.size();
    stats.total_items += stripe.total_items;
    stats.bytes += stripe.bytes;
  }
  return stats;
}

// One size class: this baseline keeps no per-class figures.
cache::WalkedItem MutexMapCache::measure(const cache::ItemView& item) const noexcept {
  return {0, static_cast<uint32_t>(item_size(item.key.size(), item.value.size()))};
}

size_t MutexMapCache::max_value_size(size_t key_size) const noexcept {
  const size_t overhead = item_size(key_size, 0);
  return config().max_item_size > overhead ? config().max_item_size - overhead : 0;
}

}  // namespace cuckood::bench
