#include "proto/commands.h"

#include <charconv>
#include <cstring>
#include <optional>

#include "cache/copy_bytes.h"
#include "cache/expiry.h"
#include "proto/counter.h"

namespace cuckood::proto {

using cache::Change;
using cache::ItemView;

namespace {

cache::Time deadline(const Worker& w, int64_t exptime) noexcept {
  return cache::expiry_deadline(exptime, w.ctx.now());
}

// The cas a client is shown of an item whose unique is `cas`: none (0) under -C.
uint64_t shown_cas(bool cas_enabled, uint64_t cas) noexcept {
  return cas_enabled ? cas : 0;
}

// Calls `call` with `visit`, or under -C with a visitor that shows `visit` the item without
// its cas; returns what `call` returns.
template <class Call>
bool with_shown_cas(const Worker& w, cache::ItemVisitor visit, Call call) noexcept {
  if (w.settings.cas_enabled) return call(visit);
  auto without_cas = [visit](const ItemView& item) {
    ItemView shown = item;
    shown.cas = 0;
    visit(shown);
  };
  return call(cache::ItemVisitor(without_cas));
}

// set/add/replace/cas/append/prepend: memcached's do_store_item. With a non-zero cas every mode
// but add demands a live item with that cas (the binary protocol's rule; text passes 0 except
// for `cas`).
class StoreRule final : public cache::Mutation {
 public:
  StoreRule(StoreMode mode, uint32_t flags, cache::Time exptime, std::string_view value,
            uint64_t cas, size_t max_value) noexcept
      : mode_(mode),
        flags_(flags),
        exptime_(exptime),
        value_(value),
        cas_(cas),
        max_value_(max_value),
        cas_required_(mode == StoreMode::kCas || (mode != StoreMode::kAdd && cas != 0)),
        joins_(mode == StoreMode::kAppend || mode == StoreMode::kPrepend) {}

  Change decide(const ItemView* live) noexcept override {
    status_ = verdict(live);
    if (status_ != StoreStatus::kStored) return Change::keep();
    if (!joins_) return Change::store(value_.size(), flags_, exptime_);
    const size_t size = live->value.size() + value_.size();
    // memcached answers NOT_STORED when the joined item cannot be allocated.
    if (size > max_value_) {
      status_ = StoreStatus::kNotStored;
      return Change::keep();
    }
    Change change = Change::store(size, live->flags, 0);
    change.derived = true;
    change.keep_exptime = true;
    return change;
  }

  void write(const ItemView* live, char* value) noexcept override {
    if (!joins_) {
      cache::copy_bytes(value, value_);  // values come from page-aligned recv chunks
      return;
    }
    const std::string_view first = mode_ == StoreMode::kAppend ? live->value : value_;
    const std::string_view second = mode_ == StoreMode::kAppend ? value_ : live->value;
    cache::copy_bytes(value, first);
    cache::copy_bytes(value + first.size(), second);
  }

  void done(const ItemView& item) noexcept override { stored_cas_ = item.cas; }
  bool blind() const noexcept override { return mode_ == StoreMode::kSet && !cas_required_; }

  StoreResult result() const noexcept {
    return {status_, status_ == StoreStatus::kStored ? stored_cas_ : 0};
  }

 private:
  StoreStatus verdict(const ItemView* live) const noexcept {
    if (mode_ == StoreMode::kAdd) return live ? StoreStatus::kNotStored : StoreStatus::kStored;
    if (live == nullptr) {
      if (cas_required_) return StoreStatus::kNotFound;
      return mode_ == StoreMode::kSet ? StoreStatus::kStored : StoreStatus::kNotStored;
    }
    if (cas_required_ && live->cas != cas_) return StoreStatus::kExists;
    return StoreStatus::kStored;
  }

  const StoreMode mode_;
  const uint32_t flags_;
  const cache::Time exptime_;
  const std::string_view value_;
  const uint64_t cas_;
  const size_t max_value_;
  const bool cas_required_;
  const bool joins_;
  StoreStatus status_ = StoreStatus::kNotStored;
  uint64_t stored_cas_ = 0;
};

// incr/decr: memcached's do_add_delta (cas check, then parse, then the new decimal), plus the
// binary protocol's create-on-miss and meta's new deadline (T), in the same atomic step.
class ArithRule final : public cache::Mutation {
 public:
  ArithRule(const ArithArgs& args, std::optional<cache::Time> new_exptime,
            cache::Time create_exptime, bool cas_enabled) noexcept
      : args_(args),
        new_exptime_(new_exptime),
        create_exptime_(create_exptime),
        cas_enabled_(cas_enabled) {}

  Change decide(const ItemView* live) noexcept override {
    uint64_t value = args_.initial;
    Change change;
    created_ = false;  // decide may run again when the item changed under it
    if (live == nullptr) {
      if (!args_.create) {
        result_.status = ArithStatus::kNotFound;
        return Change::keep();
      }
      change = Change::store(0, 0, new_exptime_.value_or(create_exptime_));
      created_ = true;
    } else {
      if (args_.cas != 0 && shown_cas(cas_enabled_, live->cas) != args_.cas) {
        result_.status = ArithStatus::kExists;
        return Change::keep();
      }
      const std::optional<uint64_t> parsed = parse_counter(live->value);
      if (!parsed) {
        result_.status = ArithStatus::kNonNumeric;
        return Change::keep();
      }
      value = apply_delta(*parsed, args_.delta, args_.increment);
      change = Change::store(0, live->flags, new_exptime_.value_or(0));
      change.derived = true;
      change.keep_exptime = !new_exptime_.has_value();
      change.fetched = true;  // memcached marks an incremented item fetched
    }
    result_ = {ArithStatus::kOk, value, 0, 0, live != nullptr ? live->exptime : 0, created_};
    digits_length_ =
        static_cast<size_t>(std::to_chars(digits_, digits_ + sizeof(digits_), value).ptr - digits_);
    change.value_size = digits_length_;
    // memcached writes a result that fits the old value in place, padded with spaces, and
    // counts no new item; a longer one is a new item.
    if (live != nullptr && digits_length_ <= live->value.size()) {
      change.value_size = live->value.size();
      change.in_place = true;
    }
    return change;
  }

  void write(const ItemView* live, char* value) noexcept override {
    std::memcpy(value, digits_, digits_length_);
    if (live != nullptr && digits_length_ < live->value.size()) {
      std::memset(value + digits_length_, ' ', live->value.size() - digits_length_);
    }
  }

  void done(const ItemView& item) noexcept override {
    result_.cas = shown_cas(cas_enabled_, item.cas);
    result_.exptime = item.exptime;
  }

  const ArithResult& result() const noexcept { return result_; }
  // The last decision created the item (binary's initial value, meta's N).
  bool created() const noexcept { return created_; }

 private:
  const ArithArgs& args_;
  const std::optional<cache::Time> new_exptime_;
  const cache::Time create_exptime_;
  const bool cas_enabled_;
  ArithResult result_;
  char digits_[kMaxCounterDigits];
  size_t digits_length_ = 0;
  bool created_ = false;
};

// delete (with binary/meta's optional cas, compared with the cas a client is shown).
class DeleteRule final : public cache::Mutation {
 public:
  DeleteRule(uint64_t cas, bool cas_enabled) noexcept : cas_(cas), cas_enabled_(cas_enabled) {}

  Change decide(const ItemView* live) noexcept override {
    if (live == nullptr) {
      status_ = DeleteStatus::kNotFound;
      return Change::keep();
    }
    if (cas_ != 0 && shown_cas(cas_enabled_, live->cas) != cas_) {
      status_ = DeleteStatus::kExists;
      return Change::keep();
    }
    status_ = DeleteStatus::kDeleted;
    return Change::remove();
  }

  DeleteStatus status() const noexcept { return status_; }

 private:
  const uint64_t cas_;
  const bool cas_enabled_;
  DeleteStatus status_ = DeleteStatus::kNotFound;
};

// touch, gat/gats, binary Touch/GAT, mg with T: a new deadline for a live item, which the
// optional visitor then sees.
class TouchRule final : public cache::Mutation {
 public:
  TouchRule(cache::Time exptime, const cache::ItemVisitor* visit) noexcept
      : exptime_(exptime), visit_(visit) {}

  Change decide(const ItemView* live) noexcept override {
    hit_ = live != nullptr;
    return hit_ ? Change::touch(exptime_) : Change::keep();
  }
  void done(const ItemView& item) noexcept override {
    if (visit_ != nullptr) (*visit_)(item);
  }

  bool hit() const noexcept { return hit_; }

 private:
  const cache::Time exptime_;
  const cache::ItemVisitor* const visit_;
  bool hit_ = false;
};

// Removes the item under `key`, if any; counts nothing (memcached's unlink after a failed
// store).
void drop(Worker& w, std::string_view key) noexcept {
  DeleteRule rule(0, w.settings.cas_enabled);
  w.cache.update(w.ctx, w.cache.hash(key), rule);
}

// A touch through TouchRule; counts nothing.
bool touch_item(Worker& w, std::string_view key, int64_t exptime,
                const cache::ItemVisitor* visit) noexcept {
  TouchRule rule(deadline(w, exptime), visit);
  w.cache.update(w.ctx, w.cache.hash(key), rule);
  return rule.hit();
}

// `stats detail on`: a relaxed load of a line written only by `stats detail on|off`.
bool detail_on(const Worker& w) noexcept {
  return w.server.runtime.detail_enabled.load(std::memory_order_relaxed);
}

}  // namespace

bool get(Worker& w, std::string_view key, cache::ItemVisitor visit) noexcept {
  w.stats.cmd_get.add();
  const bool hit = with_shown_cas(w, visit, [&](cache::ItemVisitor shown) {
    return w.cache.read(w.ctx, w.cache.hash(key), shown);
  });
  (hit ? w.stats.get_hits : w.stats.get_misses).add();
  if (detail_on(w)) w.stats.detail.record_get(key, w.settings.detail_delimiter, hit);
  return hit;
}

bool peek(Worker& w, std::string_view key, cache::ItemVisitor visit) noexcept {
  w.stats.cmd_meta.add();
  return with_shown_cas(w, visit, [&](cache::ItemVisitor shown) {
    return w.cache.peek(w.ctx, w.cache.hash(key), shown);
  });
}

bool get_and_touch(Worker& w, std::string_view key, int64_t exptime, cache::ItemVisitor visit,
                   TouchMiss miss) noexcept {
  const bool hit = with_shown_cas(
      w, visit, [&](cache::ItemVisitor shown) { return touch_item(w, key, exptime, &shown); });
  if (detail_on(w)) w.stats.detail.record_get(key, w.settings.detail_delimiter, hit);
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

void refuse_too_large(Worker& w, StoreMode mode, std::string_view key,
                      TooLargeRemoves removes) noexcept {
  w.stats.cmd_set.add();
  w.stats.store_too_large.add();
  if (detail_on(w)) w.stats.detail.record_set(key, w.settings.detail_delimiter);
  if (mode == StoreMode::kSet || removes == TooLargeRemoves::kAlways) drop(w, key);
}

StoreMode mode_with_cas(const Worker& w, StoreMode mode, CasOnAdd on_add) noexcept {
  if (on_add == CasOnAdd::kCompared && !w.settings.cas_enabled) return mode;
  switch (mode) {
    case StoreMode::kSet:
    case StoreMode::kReplace:
      return StoreMode::kCas;
    case StoreMode::kAdd:
      return on_add == CasOnAdd::kCompared ? StoreMode::kCas : StoreMode::kAdd;
    default:
      return mode;
  }
}

StoreResult store(Worker& w, StoreMode mode, std::string_view key, uint32_t flags, int64_t exptime,
                  std::string_view value, uint64_t cas) noexcept {
  const size_t max_value = w.cache.max_value_size(key.size());
  if (value.size() > max_value) {
    refuse_too_large(w, mode, key, TooLargeRemoves::kForSetOnly);
    return {StoreStatus::kTooLarge, 0};
  }
  w.stats.cmd_set.add();
  if (detail_on(w)) w.stats.detail.record_set(key, w.settings.detail_delimiter);
  // -C: memcached copies a request's cas into the new item, which has no cas to hold it.
  const uint64_t request_cas = w.settings.cas_enabled ? cas : 0;
  StoreRule rule(mode, flags, deadline(w, exptime), value, request_cas, max_value);
  StoreResult result;
  switch (w.cache.update(w.ctx, w.cache.hash(key), rule)) {
    case cache::UpdateStatus::kDone:
      result = rule.result();
      result.cas = shown_cas(w.settings.cas_enabled, result.cas);
      break;
    case cache::UpdateStatus::kTooLarge:
      result = {StoreStatus::kTooLarge, 0};
      break;
    case cache::UpdateStatus::kNoMemory:
      result = {StoreStatus::kNoMemory, 0};
      w.stats.store_no_memory.add();
      // As for a value too large: a client must not read the value the set meant to replace.
      if (mode == StoreMode::kSet) drop(w, key);
      break;
  }
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
  return result;
}

DeleteStatus remove(Worker& w, std::string_view key, uint64_t cas) noexcept {
  if (detail_on(w)) w.stats.detail.record_delete(key, w.settings.detail_delimiter);
  DeleteRule rule(cas, w.settings.cas_enabled);
  w.cache.update(w.ctx, w.cache.hash(key), rule);
  (rule.status() == DeleteStatus::kNotFound ? w.stats.delete_misses : w.stats.delete_hits).add();
  return rule.status();
}

ArithResult arith(Worker& w, const ArithArgs& args) noexcept {
  std::optional<cache::Time> new_exptime;
  if (args.new_exptime) new_exptime = deadline(w, *args.new_exptime);
  ArithRule rule(args, new_exptime, deadline(w, args.exptime), w.settings.cas_enabled);
  ArithResult result;
  switch (w.cache.update(w.ctx, w.cache.hash(args.key), rule)) {
    case cache::UpdateStatus::kDone:
      result = rule.result();
      break;
    case cache::UpdateStatus::kTooLarge:
    case cache::UpdateStatus::kNoMemory:
      result = {rule.created() ? ArithStatus::kNoMemoryToCreate : ArithStatus::kNoMemory, 0, 0, 0};
      break;
  }
  // As memcached's do_add_delta: a hit is a delta applied to a number (counted even when the
  // new item then finds no memory); a miss is a missing key not created; a non-numeric value,
  // a cas mismatch and a created counter count neither.
  const bool miss = result.status == ArithStatus::kNotFound;
  const bool hit = !rule.created() &&
                   (result.status == ArithStatus::kOk || result.status == ArithStatus::kNoMemory);
  if (hit || miss) {
    Counter& counter = args.increment ? (hit ? w.stats.incr_hits : w.stats.incr_misses)
                                      : (hit ? w.stats.decr_hits : w.stats.decr_misses);
    counter.add();
  }
  return result;
}

bool touch(Worker& w, std::string_view key, int64_t exptime) noexcept {
  w.stats.cmd_touch.add();
  const bool hit = touch_item(w, key, exptime, nullptr);
  (hit ? w.stats.touch_hits : w.stats.touch_misses).add();
  return hit;
}

bool touch(Worker& w, std::string_view key, int64_t exptime, cache::ItemVisitor visit) noexcept {
  w.stats.cmd_touch.add();
  const bool hit = with_shown_cas(
      w, visit, [&](cache::ItemVisitor shown) { return touch_item(w, key, exptime, &shown); });
  (hit ? w.stats.touch_hits : w.stats.touch_misses).add();
  return hit;
}

FlushStatus flush_all(Worker& w, std::optional<int64_t> delay, FlushCount count) noexcept {
  if (count == FlushCount::kEveryRequest) w.stats.cmd_flush.add();
  if (!w.settings.flush_enabled) return FlushStatus::kDisabled;
  if (!delay) return FlushStatus::kBadDelay;
  if (count == FlushCount::kWhenFlushed) w.stats.cmd_flush.add();
  if (flush_cancels(w, *delay)) {
    w.cache.cancel_flush(w.ctx);
    w.server.runtime.oldest_live.store(0, std::memory_order_relaxed);
    return FlushStatus::kFlushed;
  }
  const cache::Time when = *delay > 0 ? deadline(w, *delay) : 0;
  w.cache.flush_all(w.ctx, when);
  // memcached's oldest_live: the flush time, less the second whose items it also kills (with
  // cas; without, its cas threshold cannot tell that second's earlier items from later ones).
  const int64_t cutoff = (when != 0 ? when : w.ctx.now()) - (w.settings.cas_enabled ? 1 : 0);
  w.server.runtime.oldest_live.store(cutoff, std::memory_order_relaxed);
  return FlushStatus::kFlushed;
}

bool flush_cancels(const Worker& w, int64_t delay) noexcept {
  return delay > cache::kMaxRelativeExptime &&
         delay <= static_cast<int64_t>(w.server.memcached_process_started());
}

bool dump_allowed(const Worker& w) noexcept {
  return w.settings.dump_enabled;
}

void set_verbosity(Worker& w, int level) noexcept {
  w.server.verbosity.store(level, std::memory_order_relaxed);
}

bool debug_time(Worker& w, DebugTime op, int64_t seconds) noexcept {
  if (!w.settings.debug_time) return false;
  switch (op) {
    case DebugTime::kShift:
      w.server.clock.shift(seconds);
      break;
    case DebugTime::kPause:
      w.server.clock.pause();
      break;
    case DebugTime::kResume:
      w.server.clock.resume();
      break;
  }
  w.cache.quiescent(w.ctx);  // between requests this worker holds no item
  return true;
}

bool request_shutdown(Worker& w) noexcept {
  if (!w.settings.allow_shutdown) return false;
  w.server.shutdown_requested.store(true, std::memory_order_relaxed);
  return true;
}

}  // namespace cuckood::proto
