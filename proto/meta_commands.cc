// Meta commands (mg, ms, md, ma, me, mn) as memcached 1.6.18 answers them: a two-letter code
// ("VA <size>", "HD", "EN", "NS", "EX", "NF", "MN", "ME"), then the flags the request asked to
// see, in request order. `q` hides the nominal reply only (mg: EN; ms/md/ma: HD); errors are
// always sent. Stale-while-revalidate (mg N/R/T with W/X/Z, md I, ms I) is the command
// layer's (proto/commands.h: meta_get, invalidate, MetaStoreOptions); this file only words it.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "cache/copy_bytes.h"
#include "cache/expiry.h"
#include "proto/commands.h"
#include "proto/counter.h"
#include "proto/key.h"
#include "proto/meta_base64.h"
#include "proto/meta_flags.h"
#include "proto/text_data_block.h"
#include "proto/text_handlers.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"

namespace cuckood::proto::text {

namespace {

using meta::MetaFlags;

constexpr std::string_view kOpaqueTooLong = "CLIENT_ERROR opaque token too long\r\n";
constexpr std::string_view kGetFlagsTooLong = "CLIENT_ERROR options flags are too long\r\n";
constexpr std::string_view kFlagsTooLong = "CLIENT_ERROR options flags too long\r\n";
constexpr std::string_view kInvalidOrDuplicate = "CLIENT_ERROR invalid or duplicate flag\r\n";
constexpr std::string_view kBadSetMode = "CLIENT_ERROR invalid mode for ms M token\r\n";
constexpr std::string_view kBadArithMode = "CLIENT_ERROR invalid mode for ma M token\r\n";
constexpr size_t kFirstFlag = 2;  // mg/md/ma <key> <flags>*; ms has its length first

bool opaque_too_long(const Tokens& t, size_t first) noexcept {
  for (size_t i = first; i < t.count(); ++i) {
    if (t[i][0] == 'O' && t[i].size() > meta::kMaxOpaqueLength) return true;
  }
  return false;
}

// Which of the flags `a` and `b` comes last in the request; 0 when neither is there.
char last_of(const Tokens& t, char a, char b) noexcept {
  char last = 0;
  for (size_t i = kFirstFlag; i < t.count(); ++i) {
    if (t[i][0] == a || t[i][0] == b) last = t[i][0];
  }
  return last;
}

// The checks mg, md and ma make first, in memcached's order; appends the error and returns
// false at the first that fails. mg words two of them differently from md and ma.
bool parse_key_and_flags(TextRequest& r, const Tokens& t, bool is_get, MetaFlags& f) {
  if (!check_key(r, t[1])) return false;
  if (t.count() > meta::kMaxMetaTokens) {
    r.out.append(is_get ? kGetFlagsTooLong : kFlagsTooLong);
    return false;
  }
  std::string_view error = kBadFormat;
  if (!meta::parse_meta_flags(t, kFirstFlag, f, error)) {
    r.out.append(is_get ? error : kInvalidOrDuplicate);
    return false;
  }
  return true;
}

bool check_opaque(TextRequest& r, const Tokens& t) {
  if (!opaque_too_long(t, kFirstFlag)) return true;
  r.out.append(kOpaqueTooLong);
  return false;
}

void append_signed(std::string& out, int64_t value) {
  if (value < 0) {
    out.push_back('-');
    append_number(out, static_cast<uint64_t>(-value));
  } else {
    append_number(out, static_cast<uint64_t>(value));
  }
}

// Remaining lifetime as meta `t` shows it: -1 for none.
int64_t ttl_of(cache::Time exptime, cache::Time now) noexcept {
  return exptime == 0 ? -1 : static_cast<int64_t>(exptime) - static_cast<int64_t>(now);
}

// The flags every reply echoes: O(opaque) and k(key).
void append_echo_flag(std::string& out, std::string_view token, const MetaFlags& f) {
  if (token[0] == 'O') {
    out.push_back(' ');
    out.append(token);
  } else if (token[0] == 'k') {
    meta::append_key_flag(out, f);
  }
}

void append_status(std::string& out, std::string_view code, const Tokens& t, size_t first,
                   const MetaFlags& f) {
  out.append(code);
  for (size_t i = first; i < t.count(); ++i) append_echo_flag(out, t[i], f);
  out.append(kCrlf);
}

}  // namespace

void handle_mn(TextRequest& r, const Tokens&) noexcept {
  r.out.append("MN\r\n");
}

void handle_mg(TextRequest& r, const Tokens& t) noexcept {
  MetaFlags f;
  if (!parse_key_and_flags(r, t, /*is_get=*/true, f) || !check_opaque(r, t)) return;
  MetaGetArgs args;
  args.key = f.key;
  args.touch_exptime = f.ttl;
  args.vivify_exptime = f.vivify_ttl;
  args.recache_below = f.recache_ttl;
  args.record_access = !f.no_update;
  for (size_t i = kFirstFlag; i < t.count(); ++i) {
    switch (t[i][0]) {
      case 'T':
        args.steps[args.step_count++] = MetaGetStep::kTouch;
        break;
      case 'N':
        args.steps[args.step_count++] = MetaGetStep::kVivify;
        break;
      case 'R':
        args.steps[args.step_count++] = MetaGetStep::kRecache;
        break;
      default:
        break;
    }
  }
  const cache::Time now = r.w.ctx.now();
  auto render = [&](const MetaGetHit& hit) {
    const cache::ItemView& item = hit.item;
    std::string& out = r.out;
    if (f.value) {
      out.append("VA ");
      append_number(out, item.value.size());
    } else {
      out.append("HD");
    }
    // memcached applies T and N (to a created item) as it meets them: a `t` before them shows
    // the deadline the item had.
    cache::Time exptime = hit.exptime_before;
    for (size_t i = kFirstFlag; i < t.count(); ++i) {
      switch (t[i][0]) {
        case 'T':
          exptime = cache::expiry_deadline(f.ttl, now);
          break;
        case 'N':
          if (hit.created) exptime = cache::expiry_deadline(f.vivify_ttl, now);
          break;
        case 's':
          out.append(" s");
          append_number(out, item.value.size());
          break;
        case 't':
          out.append(" t");
          append_signed(out, ttl_of(exptime, now));
          break;
        case 'c':
          out.append(" c");
          append_number(out, item.cas);
          break;
        case 'f':
          out.append(" f");
          append_number(out, item.flags);
          break;
        case 'l':
          out.append(" l");
          append_number(out, item.last_access < now ? now - item.last_access : 0);
          break;
        case 'h':
          out.append(item.fetched ? " h1" : " h0");
          break;
        case 'k':
          // The key as the item was stored: base64 if it came so (memcached's item flag).
          meta::append_key_flag(out, item.key, (item.marks & item_marks::kBinaryKey) != 0);
          break;
        default:
          append_echo_flag(out, t[i], f);
          break;
      }
    }
    if (hit.win_sent) out.append(" Z");
    if (hit.stale) out.append(" X");
    if (hit.won) out.append(" W");
    out.append(kCrlf);
    if (f.value) {
      r.output.append_value(item.value);
      out.append(kCrlf);
    }
  };
  if (!meta_get(r.w, args, render) && !f.quiet) append_status(r.out, "EN", t, kFirstFlag, f);
}

void handle_ms(TextRequest& r, const Tokens& t) noexcept {
  if (!check_key(r, t[1])) return;
  if (t.count() == 2) {
    r.out.append(kBadFormat);
    return;
  }
  if (t.count() > meta::kMaxMetaTokens) {
    r.out.append(kFlagsTooLong);
    return;
  }
  DataBlock block;
  if (!parse_data_block(t[2], block)) {
    r.out.append(kBadFormat);
    return;
  }
  constexpr size_t kFirstSetFlag = 3;
  // From here on an error also swallows the data block, as in memcached.
  MetaFlags f;
  std::string_view error = kBadFormat;
  if (!meta::parse_meta_flags(t, kFirstSetFlag, f, error)) {
    return refuse_data_block(r, block, error);
  }
  StoreMode mode = StoreMode::kSet;
  switch (f.mode) {
    case 0:
    case 'S':
      break;
    case 'E':
      mode = StoreMode::kAdd;
      break;
    case 'A':
      mode = StoreMode::kAppend;
      break;
    case 'P':
      mode = StoreMode::kPrepend;
      break;
    case 'R':
      mode = StoreMode::kReplace;
      break;
    default:
      return refuse_data_block(r, block, kBadSetMode);
  }
  if (f.has_cas) mode = mode_with_cas(r.w, mode, CasOnAdd::kIgnored);
  if (opaque_too_long(t, kFirstSetFlag)) return refuse_data_block(r, block, kOpaqueTooLong);
  std::string_view value;
  if (!take_data_block(r, block, mode, f.key, Family::kMeta, value)) return;
  const bool vivify = f.vivify && (mode == StoreMode::kAppend || mode == StoreMode::kPrepend);
  const StoreResult result =
      store(r.w, mode, f.key, f.client_flags, vivify ? f.vivify_ttl : f.ttl, value, f.cas,
            {.invalidate = f.invalidate,
             .binary_key = f.base64,
             .vivify = vivify,
             .family = Family::kMeta});
  std::string_view code;
  switch (result.status) {
    case StoreStatus::kStored:
      if (f.quiet) return;
      code = "HD";
      break;
    case StoreStatus::kNotStored:
      code = "NS";
      break;
    case StoreStatus::kExists:
      code = "EX";
      break;
    case StoreStatus::kNotFound:
      code = "NF";
      break;
    case StoreStatus::kTooLarge:
      r.out.append(kTooLarge);
      return;
    case StoreStatus::kNoMemory:
      r.out.append(kStoreNoMemory);
      return;
  }
  std::string& out = r.out;
  out.append(code);
  for (size_t i = kFirstSetFlag; i < t.count(); ++i) {
    if (t[i][0] == 'c') {
      out.append(" c");
      append_number(out, result.status == StoreStatus::kStored ? result.cas : 0);
    } else {
      append_echo_flag(out, t[i], f);
    }
  }
  out.append(kCrlf);
}

void handle_md(TextRequest& r, const Tokens& t) noexcept {
  MetaFlags f;
  if (!parse_key_and_flags(r, t, /*is_get=*/false, f) || !check_opaque(r, t)) return;
  const std::optional<uint64_t> cas = f.has_cas ? std::optional<uint64_t>(f.cas) : std::nullopt;
  std::string_view code;
  if (f.invalidate) {  // marked stale instead of removed
    std::optional<int64_t> exptime;
    if (f.has_ttl) exptime = f.ttl;
    const StoreStatus status = invalidate(r.w, f.key, cas, exptime);
    if (status == StoreStatus::kNoMemory) {
      r.out.append(kStoreNoMemory);
      return;
    }
    code = status == StoreStatus::kStored ? "HD" : status == StoreStatus::kExists ? "EX" : "NF";
  } else {
    const DeleteStatus status = remove(r.w, f.key, cas, Family::kMeta);
    code = status == DeleteStatus::kDeleted ? "HD" : status == DeleteStatus::kExists ? "EX" : "NF";
  }
  if (code == "HD" && f.quiet) return;
  append_status(r.out, code, t, kFirstFlag, f);
}

void handle_ma(TextRequest& r, const Tokens& t) noexcept {
  MetaFlags f;
  if (!parse_key_and_flags(r, t, /*is_get=*/false, f)) return;
  ArithArgs args;
  switch (f.mode) {
    case 0:
    case 'I':
    case '+':
      args.increment = true;
      break;
    case 'D':
    case '-':
      args.increment = false;
      break;
    default:
      r.out.append(kBadArithMode);
      return;
  }
  if (!check_opaque(r, t)) return;
  args.key = f.key;
  args.delta = f.delta;
  args.cas = f.has_cas ? f.cas : 0;
  args.create = f.vivify;
  args.initial = f.initial;
  args.exptime = f.vivify_ttl;
  if (f.has_ttl) {
    args.new_exptime = f.ttl;
    // memcached applies T and N as it meets them in the request: a created counter keeps the
    // deadline of whichever comes last.
    if (last_of(t, 'T', 'N') == 'T') args.exptime = f.ttl;
  }
  const ArithResult result = arith(r.w, args);
  switch (result.status) {
    case ArithStatus::kOk:
      break;
    case ArithStatus::kNotFound:
      append_status(r.out, "NF", t, kFirstFlag, f);
      return;
    case ArithStatus::kExists:
      append_status(r.out, "EX", t, kFirstFlag, f);
      return;
    case ArithStatus::kNonNumeric:
      r.out.append(kNonNumeric);
      return;
    case ArithStatus::kNoMemory:
      r.out.append(kArithNoMemory);
      return;
    case ArithStatus::kNoMemoryToCreate:
      r.out.append(kNoMemoryToCreate);
      return;
  }
  if (f.quiet) return;

  std::string& out = r.out;
  char digits[kMaxCounterDigits];
  const auto number = std::to_chars(digits, digits + sizeof(digits), result.value);
  const std::string_view value(digits, static_cast<size_t>(number.ptr - digits));
  if (f.value) {
    out.append("VA ");
    append_number(out, value.size());
  } else {
    out.append("HD");
  }
  // memcached applies T (and N, to a created counter) as it meets them in the request: a `t`
  // before them shows the deadline the counter had.
  const cache::Time now = r.w.ctx.now();
  cache::Time exptime = result.previous_exptime;
  for (size_t i = kFirstFlag; i < t.count(); ++i) {
    switch (t[i][0]) {
      case 'c':
        out.append(" c");
        append_number(out, result.cas);
        break;
      case 't':
        out.append(" t");
        append_signed(out, ttl_of(exptime, now));
        break;
      case 'T':
        exptime = cache::expiry_deadline(f.ttl, now);
        break;
      case 'N':
        if (result.created) exptime = cache::expiry_deadline(f.vivify_ttl, now);
        break;
      default:
        append_echo_flag(out, t[i], f);
        break;
    }
  }
  out.append(kCrlf);
  if (f.value) {
    out.append(value);
    out.append(kCrlf);
  }
}

// me <key> [b]: memcached's human-readable item dump. Note its "exp" is now - deadline
// (negative while the item lives), kept as memcached prints it. cls and size are the item's
// size class and store size, as `lru_crawler metadump` and `stats items` count them.
void handle_me(TextRequest& r, const Tokens& t) noexcept {
  if (t.count() < 2 || !valid_key_length(t[1].size())) {
    r.out.append(kBadFormat);
    return;
  }
  std::string_view key = t[1];
  char decoded[kMaxKeyLength];
  const bool binary = t.count() > 2 && t[2] == "b";
  if (binary) {
    const size_t n = meta::base64_decode(key, decoded);
    if (n == 0) {
      r.out.append(kBadFormat);
      return;
    }
    key = std::string_view(decoded, n);
  }
  const cache::Time now = r.w.ctx.now();
  std::string& out = r.out;
  const bool hit = peek(r.w, key, [&](const cache::ItemView& item) {
    out.append("ME ");
    // The key as the item was stored (memcached's item flag), whatever the request's b.
    if ((item.marks & item_marks::kBinaryKey) != 0) {
      meta::base64_encode(item.key, out);
    } else {
      out.append(item.key);
    }
    out.append(" exp=");
    append_signed(out, item.exptime == 0 ? -1 : static_cast<int64_t>(now) - item.exptime);
    out.append(" la=");
    append_number(out, item.last_access < now ? now - item.last_access : 0);
    out.append(" cas=");
    append_number(out, item.cas);
    out.append(item.fetched ? " fetch=yes" : " fetch=no");
    const cache::WalkedItem measured = r.w.cache.measure(item);
    out.append(" cls=");
    append_number(out, measured.size_class + 1);
    out.append(" size=");
    append_number(out, measured.size);
    out.append(kCrlf);
  });
  if (!hit) out.append("EN\r\n");
}

}  // namespace cuckood::proto::text
