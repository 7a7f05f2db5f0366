// incr, decr, delete, touch: one key, a short reply, `noreply` honoured (errors included, as
// memcached suppresses every reply of a noreply command).
#include <cstdint>
#include <string_view>

#include "proto/commands.h"
#include "proto/text_handlers.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"

namespace cuckood::proto::text {

namespace {

void arithmetic(TextRequest& r, const Tokens& t, bool increment) noexcept {
  r.noreply = t.noreply();
  const std::string_view key = t[1];
  if (!check_key(r, key)) return;
  ArithArgs args;
  args.key = key;
  args.increment = increment;
  if (!parse_strtoull(t[2], args.delta)) {
    r.reply(kInvalidDelta);
    return;
  }
  const ArithResult result = arith(r.w, args);
  switch (result.status) {
    case ArithStatus::kOk:
      if (!r.noreply) {
        append_number(r.out, result.value);
        r.out.append(kCrlf);
      }
      return;
    case ArithStatus::kNotFound:
      r.reply(kNotFound);
      return;
    case ArithStatus::kNonNumeric:
      r.reply(kNonNumeric);
      return;
    case ArithStatus::kExists:  // only with a cas, which the text command has not
      r.reply(kExists);
      return;
    case ArithStatus::kNoMemory:
    case ArithStatus::kNoMemoryToCreate:  // only with create, which the text command has not
      r.reply(kArithNoMemory);
      return;
  }
}

}  // namespace

void handle_incr(TextRequest& r, const Tokens& t) noexcept {
  arithmetic(r, t, true);
}
void handle_decr(TextRequest& r, const Tokens& t) noexcept {
  arithmetic(r, t, false);
}

// delete <key> [0] [noreply]: memcached still accepts the legacy hold time, but only "0".
void handle_delete(TextRequest& r, const Tokens& t) noexcept {
  if (t.count() > 2) {
    const bool hold_is_zero = t[2] == "0";
    r.noreply = t.noreply();
    const bool valid = (t.count() == 3 && (hold_is_zero || r.noreply)) ||
                       (t.count() == 4 && hold_is_zero && r.noreply);
    if (!valid) {
      r.reply(kDeleteUsage);
      return;
    }
  }
  const std::string_view key = t[1];
  if (!check_key(r, key)) return;
  switch (remove(r.w, key, std::nullopt)) {
    case DeleteStatus::kDeleted:
      r.reply(kDeleted);
      return;
    case DeleteStatus::kNotFound:
      r.reply(kNotFound);
      return;
    case DeleteStatus::kExists:  // only with a cas, which the text command has not
      r.reply(kExists);
      return;
  }
}

void handle_touch(TextRequest& r, const Tokens& t) noexcept {
  r.noreply = t.noreply();
  const std::string_view key = t[1];
  if (!check_key(r, key)) return;
  int32_t exptime = 0;
  if (!parse_strtol32(t[2], exptime)) {
    r.reply(kInvalidExptime);
    return;
  }
  r.reply(touch(r.w, key, exptime) ? kTouched : kNotFound);
}

}  // namespace cuckood::proto::text
