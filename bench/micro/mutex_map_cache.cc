// MutexMapCache (see mutex_map_cache.h): every operation locks the key's stripe for its whole
// duration, so each one is trivially atomic per key. Allocation failure terminates (noexcept),
// as it would in any std::string-based baseline.
#include "bench/micro/mutex_map_cache.h"

#include <charconv>
#include <utility>

#include "cache/counter.h"
#include "cache/expiry.h"

namespace cuckood::bench {

using cache::ArithRequest;
using cache::ArithResult;
using cache::ArithStatus;
using cache::CacheStats;
using cache::DeleteStatus;
using cache::HashedKey;
using cache::ItemView;
using cache::ItemVisitor;
using cache::StoreMode;
using cache::StoreRequest;
using cache::StoreResult;
using cache::StoreStatus;
using cache::Time;
using cache::WorkerContext;

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
  const bool flushed = flush != 0 && flush <= now && item.stored < flush;
  if (!flushed && !cache::is_expired(item.exptime, now)) return it;
  erase_locked(stripe, it);
  return stripe.map.end();
}

uint64_t MutexMapCache::put_locked(Stripe& stripe, const HashedKey& key, std::string value,
                                   uint32_t flags, Time exptime, Time now) {
  auto [it, inserted] = stripe.map.try_emplace(StoredKey{std::string(key.key), key.hash});
  Item& item = it->second;
  if (!inserted) stripe.bytes -= item_size(key.key.size(), item.value.size());
  stripe.bytes += item_size(key.key.size(), value.size());
  ++stripe.total_items;
  const uint64_t cas = (++stripe.cas_counter * kStripes) | stripe_index(key);
  item = Item{std::move(value), cas, flags, exptime, now, 0, false};
  return cas;
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

bool MutexMapCache::read(WorkerContext& ctx, const HashedKey& key, bool touch, Time exptime,
                         ItemVisitor visit) noexcept {
  Stripe& stripe = stripe_of(key);
  std::lock_guard lock(stripe.mu);
  auto it = find_live_locked(stripe, key, ctx.now());
  if (it == stripe.map.end()) return false;
  Item& item = it->second;
  if (touch) item.exptime = exptime;
  visit(ItemView{it->first.key, item.value, item.flags, item.exptime, item.cas, item.last_access,
                 item.fetched});
  item.last_access = ctx.now();
  item.fetched = true;
  return true;
}

bool MutexMapCache::get(WorkerContext& ctx, const HashedKey& key, ItemVisitor visit) noexcept {
  return read(ctx, key, false, 0, visit);
}

bool MutexMapCache::get_and_touch(WorkerContext& ctx, const HashedKey& key, Time exptime,
                                  ItemVisitor visit) noexcept {
  return read(ctx, key, true, exptime, visit);
}

bool MutexMapCache::touch(WorkerContext& ctx, const HashedKey& key, Time exptime) noexcept {
  Stripe& stripe = stripe_of(key);
  std::lock_guard lock(stripe.mu);
  auto it = find_live_locked(stripe, key, ctx.now());
  if (it == stripe.map.end()) return false;
  it->second.exptime = exptime;
  return true;
}

StoreResult MutexMapCache::store(WorkerContext& ctx, const StoreRequest& request) noexcept {
  const HashedKey& key = request.key;
  const size_t max_value = max_value_size(key.key.size());
  if (request.value.size() > max_value) return {StoreStatus::kTooLarge};
  Stripe& stripe = stripe_of(key);
  std::lock_guard lock(stripe.mu);
  auto it = find_live_locked(stripe, key, ctx.now());
  const bool present = it != stripe.map.end();

  if (request.mode == StoreMode::kAdd) {
    if (present) return {StoreStatus::kNotStored};
  } else if (!present) {
    if (request.mode == StoreMode::kCas || request.cas != 0) return {StoreStatus::kNotFound};
    if (request.mode != StoreMode::kSet) return {StoreStatus::kNotStored};
  } else if ((request.mode == StoreMode::kCas || request.cas != 0) &&
             it->second.cas != request.cas) {
    return {StoreStatus::kExists};
  }

  std::string value(request.value);
  uint32_t flags = request.flags;
  Time exptime = request.exptime;
  if (request.mode == StoreMode::kAppend || request.mode == StoreMode::kPrepend) {
    const Item& old = it->second;
    if (old.value.size() + value.size() > max_value) return {StoreStatus::kNotStored};
    value = request.mode == StoreMode::kAppend ? old.value + value : value + old.value;
    flags = old.flags;
    exptime = old.exptime;
  }
  if (!fits_locked(stripe, key.key.size(), value.size(), present ? &it->second : nullptr)) {
    return {StoreStatus::kNoMemory};
  }
  return {StoreStatus::kStored,
          put_locked(stripe, key, std::move(value), flags, exptime, ctx.now())};
}

DeleteStatus MutexMapCache::remove(WorkerContext& ctx, const HashedKey& key,
                                   uint64_t cas) noexcept {
  Stripe& stripe = stripe_of(key);
  std::lock_guard lock(stripe.mu);
  auto it = find_live_locked(stripe, key, ctx.now());
  if (it == stripe.map.end()) return DeleteStatus::kNotFound;
  if (cas != 0 && it->second.cas != cas) return DeleteStatus::kExists;
  erase_locked(stripe, it);
  return DeleteStatus::kDeleted;
}

ArithResult MutexMapCache::arith(WorkerContext& ctx, const ArithRequest& request) noexcept {
  const HashedKey& key = request.key;
  Stripe& stripe = stripe_of(key);
  std::lock_guard lock(stripe.mu);
  auto it = find_live_locked(stripe, key, ctx.now());
  uint64_t value = request.initial;
  uint32_t flags = 0;
  Time exptime = request.exptime;
  if (it == stripe.map.end()) {
    if (!request.create || request.cas != 0) return {ArithStatus::kNotFound};
  } else {
    const Item& item = it->second;
    if (request.cas != 0 && item.cas != request.cas) return {ArithStatus::kExists};
    const auto current = cache::parse_counter(item.value);
    if (!current) return {ArithStatus::kNonNumeric};
    value = cache::apply_delta(*current, request.delta, request.increment);
    flags = item.flags;
    exptime = item.exptime;
  }
  char digits[cache::kMaxCounterDigits];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  const Item* replaced = it == stripe.map.end() ? nullptr : &it->second;
  if (!fits_locked(stripe, key.key.size(), static_cast<size_t>(end - digits), replaced)) {
    return {ArithStatus::kNoMemory};
  }
  const uint64_t cas = put_locked(stripe, key, std::string(digits, end), flags, exptime, ctx.now());
  return {ArithStatus::kOk, value, cas};
}

void MutexMapCache::flush_all(WorkerContext& ctx, Time when) noexcept {
  if (when > ctx.now()) {
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

size_t MutexMapCache::max_value_size(size_t key_size) const noexcept {
  const size_t overhead = item_size(key_size, 0);
  return config().max_item_size > overhead ? config().max_item_size - overhead : 0;
}

}  // namespace cuckood::bench
