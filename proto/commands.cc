#include "proto/commands.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include "cache/copy_bytes.h"
#include "cache/expiry.h"
#include "proto/counter.h"
#include "proto/log_entries.h"
#include "proto/lookup_log.h"

namespace cuckood::proto {

using cache::Change;
using cache::ItemView;

namespace {

// Every look-up of a request hashes its key here: a key the read's batch hashed already is
// not hashed again (proto/prefetched_keys.h).
cache::HashedKey hashed(Worker& w, std::string_view key) noexcept {
  return w.prefetched.hash(w.cache, key);
}

constexpr cache::Marks kAllMarks = static_cast<cache::Marks>(~cache::Marks{0});

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
// Meta's I turns a kCas with an older cas into a stale store (do_store_item's CAS_STALE); meta's
// N turns an append or prepend on a miss into a plain store (NREAD_APPENDVIV of later releases).
class StoreRule final : public cache::Mutation {
 public:
  StoreRule(StoreMode mode, uint32_t flags, cache::Time exptime, std::string_view value,
            uint64_t cas, size_t max_value, MetaStoreOptions meta) noexcept
      : mode_(mode),
        flags_(flags),
        exptime_(exptime),
        value_(value),
        cas_(cas),
        max_value_(max_value),
        cas_required_(mode == StoreMode::kCas || (mode != StoreMode::kAdd && cas != 0)),
        joins_(mode == StoreMode::kAppend || mode == StoreMode::kPrepend),
        meta_(meta) {}

  Change decide(const ItemView* live) noexcept override {
    stale_ = false;  // decide may run again when the item changed under it
    status_ = verdict(live);
    if (status_ != StoreStatus::kStored) return Change::keep();
    if (!joins_ || live == nullptr) {
      Change change = Change::store(value_.size(), flags_, exptime_);
      if (meta_.binary_key) change.marks = item_marks::kBinaryKey;
      if (stale_) {
        change.keep_exptime = true;
        change.marks |= item_marks::kStale;
        change.keep_marks = item_marks::kWinSent;
      }
      return change;
    }
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
    if (!joins_ || live == nullptr) {
      cache::copy_bytes(value, value_);  // values come from page-aligned recv chunks
      return;
    }
    const std::string_view first = mode_ == StoreMode::kAppend ? live->value : value_;
    const std::string_view second = mode_ == StoreMode::kAppend ? value_ : live->value;
    cache::copy_bytes(value, first);
    cache::copy_bytes(value + first.size(), second);
  }

  void done(const ItemView& item) noexcept override {
    stored_cas_ = item.cas;
    stored_size_ = item.value.size();
    stored_exptime_ = item.exptime;
  }
  bool blind() const noexcept override { return mode_ == StoreMode::kSet && !cas_required_; }

  StoreResult result() const noexcept {
    return {status_, status_ == StoreStatus::kStored ? stored_cas_ : 0};
  }
  // The item as stored (a joined value's whole size and kept deadline), else as requested.
  size_t value_size() const noexcept {
    return status_ == StoreStatus::kStored ? stored_size_ : value_.size();
  }
  cache::Time exptime() const noexcept {
    return status_ == StoreStatus::kStored ? stored_exptime_ : exptime_;
  }

 private:
  // Sets stale_ when the store is a stale one.
  StoreStatus verdict(const ItemView* live) noexcept {
    if (mode_ == StoreMode::kAdd) return live ? StoreStatus::kNotStored : StoreStatus::kStored;
    if (live == nullptr) {
      // An append or prepend needs an item, whatever cas it carries (memcached: NOT_STORED).
      if (joins_) return meta_.vivify ? StoreStatus::kStored : StoreStatus::kNotStored;
      if (cas_required_) return StoreStatus::kNotFound;
      return mode_ == StoreMode::kSet ? StoreStatus::kStored : StoreStatus::kNotStored;
    }
    if (cas_required_ && live->cas != cas_) {
      stale_ = meta_.invalidate && mode_ == StoreMode::kCas && cas_ != 0 && cas_ < live->cas;
      return stale_ ? StoreStatus::kStored : StoreStatus::kExists;
    }
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
  const MetaStoreOptions meta_;
  bool stale_ = false;
  StoreStatus status_ = StoreStatus::kNotStored;
  uint64_t stored_cas_ = 0;
  size_t stored_size_ = 0;
  cache::Time stored_exptime_ = 0;
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
      change = Change::store(0, 0, create_exptime_);
      created_ = true;
    } else {
      // memcached refuses an empty value as non-numeric before it compares a cas.
      if (live->value.empty()) {
        result_.status = ArithStatus::kNonNumeric;
        return Change::keep();
      }
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
    }
    result_ = {ArithStatus::kOk, value, 0, 0, live != nullptr ? live->exptime : 0, created_};
    digits_length_ =
        static_cast<size_t>(std::to_chars(digits_, digits_ + sizeof(digits_), value).ptr - digits_);
    change.value_size = digits_length_;
    // memcached writes a result that fits the old value in place, padded with spaces, and
    // counts no new item; a longer one is a new item, which nothing has read yet.
    if (live != nullptr && digits_length_ <= live->value.size()) {
      change.value_size = live->value.size();
      change.in_place = true;
      change.keep_marks = kAllMarks;  // memcached's item itself, its flags included
      change.fetched = live->fetched;
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

// What md I does instead of deleting: the item becomes stale, optionally with a new deadline.
struct StaleMark {
  std::optional<cache::Time> exptime;
};

// delete (with binary/meta's optional cas, compared with the cas a client is shown), or md I:
// the live item becomes stale, with a new cas, the win token free again and optionally a new
// deadline. memcached changes that item in place; here it is a copy (items are immutable once
// linked), which keeps the item's fetched state and base64-key mark and counts as no new item.
class DeleteRule final : public cache::Mutation {
 public:
  DeleteRule(std::optional<uint64_t> cas, bool cas_enabled,
             std::optional<StaleMark> stale = {}) noexcept
      : cas_(cas), cas_enabled_(cas_enabled), stale_(stale) {}

  Change decide(const ItemView* live) noexcept override {
    if (live == nullptr) {
      status_ = DeleteStatus::kNotFound;
      return Change::keep();
    }
    if (cas_ && shown_cas(cas_enabled_, live->cas) != *cas_) {
      status_ = DeleteStatus::kExists;
      return Change::keep();
    }
    status_ = DeleteStatus::kDeleted;
    if (!stale_) return Change::remove();
    Change change = Change::store(live->value.size(), live->flags, stale_->exptime.value_or(0));
    change.derived = true;
    change.keep_exptime = !stale_->exptime.has_value();
    change.fetched = live->fetched;
    change.in_place = true;
    change.marks = item_marks::kStale | (live->marks & item_marks::kBinaryKey);
    return change;
  }
  void write(const ItemView* live, char* value) noexcept override {
    cache::copy_bytes(value, live->value);  // a stale copy
  }

  DeleteStatus status() const noexcept { return status_; }

 private:
  const std::optional<uint64_t> cas_;
  const bool cas_enabled_;
  const std::optional<StaleMark> stale_;
  DeleteStatus status_ = DeleteStatus::kNotFound;
};

// touch, gat/gats, binary Touch/GAT, mg with T: a new deadline for a live item, which the
// optional visitor then sees.
class TouchRule final : public cache::Mutation {
 public:
  TouchRule(cache::Time exptime, const cache::ItemVisitor* visit) noexcept
      : exptime_(exptime), visit_(visit) {}

  Change decide(const ItemView* live) noexcept override {
    return live != nullptr ? Change::touch(exptime_) : Change::keep();
  }
  void done(const ItemView& item) noexcept override {
    hit_ = true;
    if (visit_ != nullptr) (*visit_)(item);
  }

  // Whether the touch landed: an item that was live but could not take it (no room for a copy
  // with room for the deadline) is a miss, as an item gone meanwhile is.
  bool hit() const noexcept { return hit_; }

 private:
  const cache::Time exptime_;
  const cache::ItemVisitor* const visit_;
  bool hit_ = false;
};

// What mg's T, N and R make of `live` (nullptr: the item N is creating), taken in request
// order as memcached's token loop takes them.
struct MetaGetJudgement {
  cache::Time exptime = 0;  // the deadline once T or N applied
  bool touched = false;     // T applied
  bool won = false;
  bool win_sent = false;
  bool stale = false;
};

MetaGetJudgement judge(const Worker& w, const MetaGetArgs& args, const ItemView* live) noexcept {
  MetaGetJudgement j;
  const bool created = live == nullptr;
  if (!created) {
    j.exptime = live->exptime;
    j.win_sent = (live->marks & item_marks::kWinSent) != 0;
    j.stale = (live->marks & item_marks::kStale) != 0;
  }
  for (size_t i = 0; i < args.step_count; ++i) {
    switch (args.steps[i]) {
      case MetaGetStep::kTouch:
        j.exptime = deadline(w, args.touch_exptime);
        j.touched = true;
        break;
      case MetaGetStep::kVivify:
        if (created) {
          j.exptime = deadline(w, args.vivify_exptime);
          j.won = true;
        }
        break;
      case MetaGetStep::kRecache:
        // A deadline of 0 (never) is never close; neither is any once a win went out.
        if (!created && !j.win_sent && j.exptime != 0 &&
            j.exptime < deadline(w, args.recache_below)) {
          j.won = true;
        }
        break;
    }
  }
  // The first reader of a stale item since it became stale recaches it.
  if (j.stale && !j.win_sent) j.won = true;
  return j;
}

// An item's fetched and last-access state as a read saw them before it recorded its access.
struct AccessSeen {
  bool fetched = false;
  cache::Time last_access = 0;
};

// mg with T, N or a win to hand out: judged and applied in one update, so that exactly one
// client wins per item version (the cache applies a mark only while the item's marks are those
// judged). The item is shown from done(), after the change.
class MetaGetRule final : public cache::Mutation {
 public:
  MetaGetRule(const Worker& w, const MetaGetArgs& args, bool vivifies,
              std::optional<AccessSeen> seen, MetaGetVisitor visit) noexcept
      : w_(w), args_(args), vivifies_(vivifies), seen_(seen), visit_(visit) {}

  Change decide(const ItemView* live) noexcept override {
    created_ = live == nullptr;
    if (created_ && !vivifies_) return Change::keep();
    judgement_ = judge(w_, args_, live);
    exptime_before_ = created_ ? 0 : live->exptime;
    if (created_) {
      Change change = Change::store(0, 0, judgement_.exptime);
      change.marks = item_marks::kWinSent;
      change.fetched = args_.record_access;
      return change;
    }
    Change change = Change::touch(judgement_.exptime);
    change.keep_exptime = !judgement_.touched;
    change.marks = judgement_.won ? item_marks::kWinSent : 0;
    change.unread = !args_.record_access;
    return change;
  }

  void done(const ItemView& item) noexcept override {
    ItemView shown = item;
    shown.cas = shown_cas(w_.settings.cas_enabled, item.cas);
    if (created_) {
      shown.fetched = false;  // nothing read it before this request
    } else if (seen_) {
      shown.fetched = seen_->fetched;
      shown.last_access = seen_->last_access;
    }
    shown_ = true;
    visit_(MetaGetHit{shown, exptime_before_, created_, judgement_.won, judgement_.win_sent,
                      judgement_.stale});
  }

  bool shown() const noexcept { return shown_; }
  bool touched() const noexcept { return judgement_.touched; }

 private:
  const Worker& w_;
  const MetaGetArgs& args_;
  const bool vivifies_;
  const std::optional<AccessSeen> seen_;
  const MetaGetVisitor visit_;
  MetaGetJudgement judgement_;
  cache::Time exptime_before_ = 0;
  bool created_ = false;
  bool shown_ = false;
};

// Removes the item under `key`, if any; counts nothing (memcached's unlink after a failed
// store).
void drop(Worker& w, std::string_view key) noexcept {
  DeleteRule rule(std::nullopt, w.settings.cas_enabled);
  w.cache.update(w.ctx, hashed(w, key), rule);
}

// A touch through TouchRule; counts nothing.
bool touch_item(Worker& w, std::string_view key, int64_t exptime,
                const cache::ItemVisitor* visit) noexcept {
  TouchRule rule(deadline(w, exptime), visit);
  w.cache.update(w.ctx, hashed(w, key), rule);
  return rule.hit();
}

// `stats detail on`: a relaxed load of a line written only by `stats detail on|off`.
bool detail_on(const Worker& w) noexcept {
  return w.server.runtime.detail_enabled.load(std::memory_order_relaxed);
}

// Whether a request of `family` counts in `stats detail` (Family).
bool detail_counts(const Worker& w, Family family) noexcept {
  return family == Family::kClassic && detail_on(w);
}

}  // namespace

void prefetch(Worker& w, std::span<const std::string_view> keys) noexcept {
  if (keys.size() < 2) {
    w.prefetched.clear();
    return;
  }
  w.prefetched.start(w.cache, w.ctx, keys);
}

bool get(Worker& w, std::string_view key, cache::ItemVisitor visit) noexcept {
  w.stats.cmd_get.add();
  const bool hit = with_shown_cas(w, visit, [&](cache::ItemVisitor shown) {
    return logged_lookup(w, key, shown, [&](cache::ItemVisitor logged) {
      return w.cache.read(w.ctx, hashed(w, key), logged);
    });
  });
  (hit ? w.stats.get_hits : w.stats.get_misses).add();
  if (hit) w.stats.hot_keys.sample(key, w.ctx.now());
  if (detail_on(w)) w.stats.detail.record_get(key, w.settings.detail_delimiter, hit);
  return hit;
}

bool peek(Worker& w, std::string_view key, cache::ItemVisitor visit) noexcept {
  w.stats.cmd_meta.add();
  return with_shown_cas(w, visit, [&](cache::ItemVisitor shown) {
    return logged_lookup(w, key, shown, [&](cache::ItemVisitor logged) {
      return w.cache.peek(w.ctx, hashed(w, key), logged);
    });
  });
}

bool get_and_touch(Worker& w, std::string_view key, int64_t exptime,
                   cache::ItemVisitor visit) noexcept {
  const bool hit = with_shown_cas(w, visit, [&](cache::ItemVisitor shown) {
    return logged_lookup(w, key, shown, [&](cache::ItemVisitor logged) {
      return touch_item(w, key, exptime, &logged);
    });
  });
  if (detail_on(w)) w.stats.detail.record_get(key, w.settings.detail_delimiter, hit);
  w.stats.cmd_touch.add();
  (hit ? w.stats.touch_hits : w.stats.touch_misses).add();
  if (hit) w.stats.hot_keys.sample(key, w.ctx.now());
  return hit;
}

namespace {

bool meta_get_unlogged(Worker& w, const MetaGetArgs& args, MetaGetVisitor visit) noexcept {
  bool touches = false;
  bool vivifies = false;
  for (size_t i = 0; i < args.step_count; ++i) {
    touches |= args.steps[i] == MetaGetStep::kTouch;
    vivifies |= args.steps[i] == MetaGetStep::kVivify;
  }
  const cache::HashedKey key = hashed(w, args.key);
  bool hit = false;
  bool needs_update = touches || vivifies;
  std::optional<AccessSeen> seen;
  if (!needs_update) {
    // The plain read: lock-free and write-free unless this client is about to win, which only
    // an update may decide.
    auto look = [&](const ItemView& item) {
      const MetaGetJudgement j = judge(w, args, &item);
      if (j.won) {
        needs_update = true;
        seen = AccessSeen{item.fetched, item.last_access};
        return;
      }
      ItemView shown = item;
      shown.cas = shown_cas(w.settings.cas_enabled, item.cas);
      visit(MetaGetHit{shown, item.exptime, false, false, j.win_sent, j.stale});
    };
    hit = args.record_access ? w.cache.read(w.ctx, key, look) : w.cache.peek(w.ctx, key, look);
  }
  if (needs_update) {
    MetaGetRule rule(w, args, vivifies, seen, visit);
    w.cache.update(w.ctx, key, rule);  // a vivify without room is a miss, as in memcached
    hit = rule.shown();
  }
  if (hit) w.stats.hot_keys.sample(args.key, w.ctx.now());
  if (!hit) {
    w.stats.cmd_get.add();
    w.stats.get_misses.add();
  } else if (touches) {
    w.stats.cmd_touch.add();
    w.stats.touch_hits.add();
  } else {
    w.stats.cmd_get.add();
    w.stats.get_hits.add();
  }
  return hit;
}

}  // namespace

bool meta_get(Worker& w, const MetaGetArgs& args, MetaGetVisitor visit) noexcept {
  return logged_lookup(w, args.key, visit,
                       [&](MetaGetVisitor logged) { return meta_get_unlogged(w, args, logged); });
}

bool fits(const Worker& w, size_t key_size, size_t value_size) noexcept {
  return value_size <= w.cache.max_value_size(key_size);
}

void refuse_too_large(Worker& w, StoreMode mode, std::string_view key, Family family) noexcept {
  w.stats.cmd_set.add();
  w.stats.store_too_large.add();
  if (detail_counts(w, family)) w.stats.detail.record_set(key, w.settings.detail_delimiter);
  if (mode == StoreMode::kSet || family == Family::kMeta) {
    log_lookup(w, key);  // memcached finds the item to unlink it
    drop(w, key);
  }
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
                  std::string_view value, uint64_t cas, MetaStoreOptions meta) noexcept {
  const size_t max_value = w.cache.max_value_size(key.size());
  if (value.size() > max_value) {
    refuse_too_large(w, mode, key, meta.family);
    return {StoreStatus::kTooLarge, 0};
  }
  w.stats.cmd_set.add();
  log_lookup(w, key);
  if (detail_counts(w, meta.family)) w.stats.detail.record_set(key, w.settings.detail_delimiter);
  // -C: memcached copies a request's cas into the new item, which has no cas to hold it.
  const uint64_t request_cas = w.settings.cas_enabled ? cas : 0;
  StoreRule rule(mode, flags, deadline(w, exptime), value, request_cas, max_value, meta);
  StoreResult result;
  switch (w.cache.update(w.ctx, hashed(w, key), rule)) {
    case cache::UpdateStatus::kDone: {
      result = rule.result();
      result.cas = shown_cas(w.settings.cas_enabled, result.cas);
      const cache::Time ends = rule.exptime();
      log_item_store(w.log, key, result.status, mode,
                     ends != 0 ? static_cast<int64_t>(ends) - w.ctx.now() : 0, rule.value_size(),
                     w.client_fd);
      break;
    }
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

DeleteStatus remove(Worker& w, std::string_view key, std::optional<uint64_t> cas,
                    Family family) noexcept {
  log_lookup(w, key);
  if (detail_counts(w, family)) w.stats.detail.record_delete(key, w.settings.detail_delimiter);
  DeleteRule rule(cas, w.settings.cas_enabled);
  w.cache.update(w.ctx, hashed(w, key), rule);
  switch (rule.status()) {
    case DeleteStatus::kDeleted:
      w.stats.delete_hits.add();
      break;
    case DeleteStatus::kNotFound:
      w.stats.delete_misses.add();
      break;
    case DeleteStatus::kExists:
      if (family == Family::kMeta) w.stats.delete_misses.add();
      break;
  }
  return rule.status();
}

StoreStatus invalidate(Worker& w, std::string_view key, std::optional<uint64_t> cas,
                       std::optional<int64_t> exptime) noexcept {
  log_lookup(w, key);
  std::optional<cache::Time> new_deadline;
  if (exptime) new_deadline = deadline(w, *exptime);
  DeleteRule rule(cas, w.settings.cas_enabled, StaleMark{new_deadline});
  switch (w.cache.update(w.ctx, hashed(w, key), rule)) {
    case cache::UpdateStatus::kDone:
      break;
    case cache::UpdateStatus::kTooLarge:
    case cache::UpdateStatus::kNoMemory:
      w.stats.store_no_memory.add();
      return StoreStatus::kNoMemory;
  }
  switch (rule.status()) {
    case DeleteStatus::kDeleted:
      return StoreStatus::kStored;
    case DeleteStatus::kNotFound:
      w.stats.delete_misses.add();
      return StoreStatus::kNotFound;
    case DeleteStatus::kExists:
      w.stats.delete_misses.add();
      return StoreStatus::kExists;
  }
  return StoreStatus::kNotFound;
}

ArithResult arith(Worker& w, const ArithArgs& args) noexcept {
  log_lookup(w, args.key);
  std::optional<cache::Time> new_exptime;
  if (args.new_exptime) new_exptime = deadline(w, *args.new_exptime);
  ArithRule rule(args, new_exptime, deadline(w, args.exptime), w.settings.cas_enabled);
  ArithResult result;
  switch (w.cache.update(w.ctx, hashed(w, args.key), rule)) {
    case cache::UpdateStatus::kDone:
      result = rule.result();
      break;
    case cache::UpdateStatus::kTooLarge:
    case cache::UpdateStatus::kNoMemory:
      result = {rule.created() ? ArithStatus::kNoMemoryToCreate : ArithStatus::kNoMemory, 0, 0, 0};
      break;
  }
  // memcached stores a counter it creates on a miss as an add, which looks the key up again.
  if (rule.created() && lookups_observed(w)) observe_lookup(w, args.key, false, 0);
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
  log_lookup(w, key);
  const bool hit = touch_item(w, key, exptime, nullptr);
  (hit ? w.stats.touch_hits : w.stats.touch_misses).add();
  return hit;
}

bool touch(Worker& w, std::string_view key, int64_t exptime, cache::ItemVisitor visit) noexcept {
  w.stats.cmd_touch.add();
  const bool hit = with_shown_cas(w, visit, [&](cache::ItemVisitor shown) {
    return logged_lookup(w, key, shown, [&](cache::ItemVisitor logged) {
      return touch_item(w, key, exptime, &logged);
    });
  });
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
  const cache::Time requested = *delay > 0 ? deadline(w, *delay) : 0;
  // The cache flushes what was stored up to the second before the time it is given (memcached's
  // oldest_live with cas, whose cas threshold draws an exact line for a flush due now). Without
  // cas (-C) memcached's oldest_live is the flush time itself: everything stored up to and
  // including that second is flushed, a store in the very second of `flush_all 0` too.
  const cache::Time when =
      w.settings.cas_enabled ? requested : (requested == 0 ? w.ctx.now() : requested) + 1;
  w.cache.flush_all(w.ctx, when);
  // memcached's oldest_live, as `stats settings` shows it.
  const int64_t cutoff =
      (requested != 0 ? requested : w.ctx.now()) - (w.settings.cas_enabled ? 1 : 0);
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

void set_verbosity(Worker& w, uint32_t level) noexcept {
  constexpr uint32_t kMaxVerbosity = 2;
  w.server.verbosity.store(static_cast<int>(std::min(level, kMaxVerbosity)),
                           std::memory_order_relaxed);
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
