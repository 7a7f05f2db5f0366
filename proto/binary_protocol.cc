// The binary protocol's opcode table and handlers. Each opcode has one row: the shape its
// extras, key and value must have (memcached's checks in dispatch_bin_command), whether it is
// a quiet variant, and the handler that calls the command layer and encodes the outcome.
// Quiet variants share their loud twin's handler; the row's `quiet` decides what is answered
// (quiet gets: hits only; quiet stores, deletes, arithmetic, flush, quit: errors only).
#include "proto/binary_protocol.h"

#include <algorithm>
#include <array>
#include <optional>

#include "proto/binary_replies.h"
#include "proto/commands.h"
#include "proto/key.h"
#include "proto/request_keys.h"
#include "proto/request_log.h"
#include "proto/settings.h"

namespace cuckood::proto {

using namespace binary;

namespace {

enum class KeyRule : uint8_t { kNone, kRequired, kOptional };

// A complete request packet. Lifetime: the views point into the input given to process().
struct Request {
  RequestHeader header;
  std::string_view extras;
  std::string_view key;
  std::string_view value;
  Reply reply() const noexcept { return {header.opcode, header.opaque}; }
};

struct Context {
  Worker& w;
  std::string& out;  // output.bytes
  Output& output;    // for values (append_item)
  SessionControl& control;
  BinarySasl& sasl;  // this connection's -S state
};

struct Command;
using Handler = void (*)(Context&, const Request&, const Command&);

struct Command {
  Handler handler = nullptr;     // nullptr: unknown opcode
  uint8_t extras = 0;            // required extras length
  bool extras_optional = false;  // Flush: no extras or `extras`
  KeyRule key = KeyRule::kNone;
  bool has_value = false;  // a value may follow the key
  bool quiet = false;
  bool returns_key = false;  // GetK, GatK: responses carry the key
  // Stores: the value is checked against the item limit before it arrives; `mode` is the
  // command's store mode (see mode_with_cas for a request carrying a cas).
  bool stores = false;
  StoreMode mode = StoreMode::kSet;
};

// ---- handlers -------------------------------------------------------------------------------

void answer_miss(Context& c, const Request& r, const Command& cmd) {
  if (cmd.quiet) return;
  if (cmd.returns_key) {
    append_miss_with_key(c.out, r.reply(), r.key);
  } else {
    append_error(c.out, r.reply(), Status::kKeyNotFound);
  }
}

void handle_get(Context& c, const Request& r, const Command& cmd) {
  const bool hit = get(c.w, r.key, [&](const cache::ItemView& item) {
    append_item(c.output, r.reply(), item, cmd.returns_key, /*with_value=*/true);
  });
  if (!hit) answer_miss(c, r, cmd);
}

void handle_gat(Context& c, const Request& r, const Command& cmd) {
  const uint32_t exptime = load_big<uint32_t>(r.extras.data());
  const bool hit = get_and_touch(c.w, r.key, exptime, [&](const cache::ItemView& item) {
    append_item(c.output, r.reply(), item, cmd.returns_key, /*with_value=*/true);
  });
  if (!hit) answer_miss(c, r, cmd);
}

void handle_touch(Context& c, const Request& r, const Command& cmd) {
  const uint32_t exptime = load_big<uint32_t>(r.extras.data());
  // memcached answers a Touch hit with the item's flags and cas, without the value.
  const bool hit = touch(c.w, r.key, exptime, [&](const cache::ItemView& item) {
    append_item(c.output, r.reply(), item, /*with_key=*/false, /*with_value=*/false);
  });
  if (!hit) answer_miss(c, r, cmd);
}

// memcached's mapping of a store outcome to a status (proto_bin.c complete_update_bin): a
// refused add means the key exists, a refused replace that it does not, and append/prepend
// say "not stored" even when a cas names a missing item.
Status store_status(StoreStatus status, StoreMode mode) noexcept {
  switch (status) {
    case StoreStatus::kStored:
      return Status::kSuccess;
    case StoreStatus::kExists:
      return Status::kKeyExists;
    case StoreStatus::kNotFound:
      return Status::kKeyNotFound;
    case StoreStatus::kTooLarge:
      return Status::kTooLarge;
    case StoreStatus::kNoMemory:
      return Status::kOutOfMemory;  // worded by answer_store
    case StoreStatus::kNotStored:
      break;
  }
  if (mode == StoreMode::kAdd) return Status::kKeyExists;
  if (mode == StoreMode::kReplace) return Status::kKeyNotFound;
  return Status::kNotStored;
}

void answer_store(Context& c, const Request& r, const Command& cmd, StoreMode mode,
                  StoreResult result) {
  const Status status = store_status(result.status, mode);
  if (result.status == StoreStatus::kNoMemory) {
    append_error(c.out, r.reply(), status, kStoreNoMemory);
  } else if (status != Status::kSuccess) {
    append_error(c.out, r.reply(), status);
  } else if (!cmd.quiet) {
    append_success(c.out, r.reply(), result.cas);
  }
}

void handle_store(Context& c, const Request& r, const Command& cmd) {
  const StoreExtras extras = decode_store_extras(r.extras.data());
  const StoreMode mode =
      r.header.cas != 0 ? mode_with_cas(c.w, cmd.mode, CasOnAdd::kCompared) : cmd.mode;
  const StoreResult result =
      store(c.w, mode, r.key, extras.flags, extras.exptime, r.value, r.header.cas);
  answer_store(c, r, cmd, mode, result);
}

void handle_concat(Context& c, const Request& r, const Command& cmd) {
  const StoreResult result = store(c.w, cmd.mode, r.key, 0, 0, r.value, r.header.cas);
  answer_store(c, r, cmd, cmd.mode, result);
}

void handle_delete(Context& c, const Request& r, const Command& cmd) {
  const std::optional<uint64_t> cas =
      r.header.cas != 0 ? std::optional<uint64_t>(r.header.cas) : std::nullopt;
  switch (remove(c.w, r.key, cas)) {
    case DeleteStatus::kDeleted:
      if (!cmd.quiet) append_success(c.out, r.reply());
      break;
    case DeleteStatus::kNotFound:
      append_error(c.out, r.reply(), Status::kKeyNotFound);
      break;
    case DeleteStatus::kExists:
      append_error(c.out, r.reply(), Status::kKeyExists);
      break;
  }
}

void answer_arith(Context& c, const Request& r, const Command& cmd, bool increment) {
  const ArithExtras extras = decode_arith_extras(r.extras.data());
  ArithArgs args;
  args.key = r.key;
  args.delta = extras.delta;
  args.increment = increment;
  args.cas = r.header.cas;
  args.create = extras.exptime != kArithNoCreate;
  args.initial = extras.initial;
  args.exptime = extras.exptime;
  const ArithResult result = arith(c.w, args);
  switch (result.status) {
    case ArithStatus::kOk:
      if (!cmd.quiet) append_counter(c.out, r.reply(), result.cas, result.value);
      break;
    case ArithStatus::kNotFound:
      append_error(c.out, r.reply(), Status::kKeyNotFound);
      break;
    case ArithStatus::kNonNumeric:
      append_error(c.out, r.reply(), Status::kNonNumeric);
      break;
    case ArithStatus::kExists:
      append_error(c.out, r.reply(), Status::kKeyExists);
      break;
    case ArithStatus::kNoMemory:
      append_error(c.out, r.reply(), Status::kOutOfMemory, kArithNoMemory);
      break;
    case ArithStatus::kNoMemoryToCreate:
      append_error(c.out, r.reply(), Status::kOutOfMemory, kNoMemoryToCreate);
      break;
  }
}

void handle_increment(Context& c, const Request& r, const Command& cmd) {
  answer_arith(c, r, cmd, /*increment=*/true);
}

void handle_decrement(Context& c, const Request& r, const Command& cmd) {
  answer_arith(c, r, cmd, /*increment=*/false);
}

void handle_quit(Context& c, const Request& r, const Command& cmd) {
  if (!cmd.quiet) append_success(c.out, r.reply());
  c.control.close = true;
  c.control.quit = true;
}

// Under -F memcached answers "auth error", quiet or not.
void handle_flush(Context& c, const Request& r, const Command& cmd) {
  const uint32_t delay = r.extras.empty() ? 0 : load_big<uint32_t>(r.extras.data());
  if (flush_all(c.w, int64_t{delay}, FlushCount::kWhenFlushed) == FlushStatus::kDisabled) {
    append_error(c.out, r.reply(), Status::kAuthError);
  } else if (!cmd.quiet) {
    append_success(c.out, r.reply());
  }
}

void handle_noop(Context& c, const Request& r, const Command& /*cmd*/) {
  append_success(c.out, r.reply());
}

void handle_version(Context& c, const Request& r, const Command& /*cmd*/) {
  append_packet(c.out, r.reply(), Status::kSuccess, 0, {}, {}, kVersion);
}

// memcached 1.6 no longer implements Verbosity in the binary protocol (it answers 0x81); we
// honour it as the protocol specifies: 4 bytes of extras carry the level.
void handle_verbosity(Context& c, const Request& r, const Command& /*cmd*/) {
  set_verbosity(c.w, load_big<uint32_t>(r.extras.data()));
  append_success(c.out, r.reply());
}

// `stats detail on|off|dump` in the binary protocol (memcached's process_bin_stat): the
// action follows "detail" as a prefix; on and off answer the terminator alone, dump one
// "detailed" statistic holding the text protocol's dump.
bool answer_stat_detail(Context& c, const Request& r, std::string_view action) {
  if (action.starts_with(" dump")) {
    append_stat(c.out, r.reply(), "detailed", detail_dump(c.w));
  } else if (action.starts_with(" on") || action.starts_with(" off")) {
    set_detail(c.w, action.starts_with(" on"));
  } else {
    return false;
  }
  return true;
}

// One packet per statistic, then an empty packet that ends the group; an unknown group is
// "not found". As memcached, "reset", "settings" and "detail" are matched as prefixes of the
// key, other groups exactly, and per-connection statistics (`stats conns`) are text only.
// cuckood's "hotkeys" takes its count as "detail" takes its action: "hotkeys N".
void handle_stat(Context& c, const Request& r, const Command& /*cmd*/) {
  const std::string_view key = r.key;
  const auto packet = [&](std::string_view name, std::string_view value) {
    append_stat(c.out, r.reply(), name, value);
  };
  bool known = true;
  if (key.starts_with("reset")) {
    reset_stats(c.w);
  } else if (key.starts_with("detail")) {
    known = answer_stat_detail(c, r, key.substr(6));
  } else if (key == "hotkeys" || key.starts_with("hotkeys ")) {
    known = collect_hot_key_stats(c.w, key.substr(std::min<size_t>(key.size(), 8)), packet);
  } else {
    const std::string_view group = key.starts_with("settings") ? "settings" : key;
    known = group != "conns" && collect_stats(c.w, group, packet);
  }
  if (!known) {
    append_error(c.out, r.reply(), Status::kKeyNotFound);
    return;
  }
  append_success(c.out, r.reply());
}

void handle_sasl_list_mechs(Context& c, const Request& r, const Command& /*cmd*/) {
  c.sasl.list_mechanisms(c.w, c.out, r.reply());
}

void handle_sasl_auth(Context& c, const Request& r, const Command& /*cmd*/) {
  c.sasl.authenticate(c.w, c.out, r.reply(), r.header.opcode == Opcode::kSaslStep, r.key, r.value);
}

// ---- the opcode table -----------------------------------------------------------------------

constexpr Command get_row(bool quiet, bool returns_key) {
  return {handle_get, 0, false, KeyRule::kRequired, false, quiet, returns_key};
}
constexpr Command gat_row(bool quiet, bool returns_key) {
  return {handle_gat, kExptimeExtrasSize, false, KeyRule::kRequired, false, quiet, returns_key};
}
constexpr Command store_row(StoreMode mode, bool quiet) {
  return {handle_store, kStoreExtrasSize, false, KeyRule::kRequired, true, quiet, false, true,
          mode};
}
constexpr Command concat_row(StoreMode mode, bool quiet) {
  return {handle_concat, 0, false, KeyRule::kRequired, true, quiet, false, true, mode};
}
constexpr Command arith_row(Handler handler, bool quiet) {
  return {handler, kArithExtrasSize, false, KeyRule::kRequired, false, quiet};
}
constexpr Command delete_row(bool quiet) {
  return {handle_delete, 0, false, KeyRule::kRequired, false, quiet};
}
constexpr Command flush_row(bool quiet) {
  return {handle_flush, kExptimeExtrasSize, true, KeyRule::kNone, false, quiet};
}
constexpr Command quit_row(bool quiet) {
  return {handle_quit, 0, false, KeyRule::kNone, false, quiet};
}

// One row per opcode. Without -S the SASL opcodes are answered "unknown
// command" once their shape is checked (dispatch).
constexpr std::array<Command, 256> make_table() {
  std::array<Command, 256> t{};
  auto row = [&t](Opcode op, Command command) { t[static_cast<uint8_t>(op)] = command; };
  row(Opcode::kGet, get_row(false, false));
  row(Opcode::kGetQ, get_row(true, false));
  row(Opcode::kGetK, get_row(false, true));
  row(Opcode::kGetKQ, get_row(true, true));
  row(Opcode::kGat, gat_row(false, false));
  row(Opcode::kGatQ, gat_row(true, false));
  row(Opcode::kGatK, gat_row(false, true));
  row(Opcode::kGatKQ, gat_row(true, true));
  row(Opcode::kTouch, {handle_touch, kExptimeExtrasSize, false, KeyRule::kRequired});
  row(Opcode::kSet, store_row(StoreMode::kSet, false));
  row(Opcode::kSetQ, store_row(StoreMode::kSet, true));
  row(Opcode::kAdd, store_row(StoreMode::kAdd, false));
  row(Opcode::kAddQ, store_row(StoreMode::kAdd, true));
  row(Opcode::kReplace, store_row(StoreMode::kReplace, false));
  row(Opcode::kReplaceQ, store_row(StoreMode::kReplace, true));
  row(Opcode::kAppend, concat_row(StoreMode::kAppend, false));
  row(Opcode::kAppendQ, concat_row(StoreMode::kAppend, true));
  row(Opcode::kPrepend, concat_row(StoreMode::kPrepend, false));
  row(Opcode::kPrependQ, concat_row(StoreMode::kPrepend, true));
  row(Opcode::kDelete, delete_row(false));
  row(Opcode::kDeleteQ, delete_row(true));
  row(Opcode::kIncrement, arith_row(handle_increment, false));
  row(Opcode::kIncrementQ, arith_row(handle_increment, true));
  row(Opcode::kDecrement, arith_row(handle_decrement, false));
  row(Opcode::kDecrementQ, arith_row(handle_decrement, true));
  row(Opcode::kFlush, flush_row(false));
  row(Opcode::kFlushQ, flush_row(true));
  row(Opcode::kQuit, quit_row(false));
  row(Opcode::kQuitQ, quit_row(true));
  row(Opcode::kNoOp, {handle_noop});
  row(Opcode::kVersion, {handle_version});
  row(Opcode::kVerbosity, {handle_verbosity, kVerbosityExtrasSize});
  row(Opcode::kStat, {handle_stat, 0, false, KeyRule::kOptional});
  row(Opcode::kSaslListMechs, {handle_sasl_list_mechs});
  row(Opcode::kSaslAuth, {handle_sasl_auth, 0, false, KeyRule::kRequired, true});
  row(Opcode::kSaslStep, {handle_sasl_auth, 0, false, KeyRule::kRequired, true});
  return t;
}

constexpr std::array<Command, 256> kCommands = make_table();

// Whether extras, key and value lengths are what the opcode takes (header alone decides).
bool well_formed(const Command& cmd, const RequestHeader& h) noexcept {
  const bool extras_ok =
      h.extras_length == cmd.extras || (cmd.extras_optional && h.extras_length == 0);
  bool key_ok = true;
  switch (cmd.key) {
    case KeyRule::kNone:
      key_ok = h.key_length == 0;
      break;
    case KeyRule::kRequired:
      key_ok = h.key_length != 0;
      break;
    case KeyRule::kOptional:
      break;
  }
  const bool value_ok = cmd.has_value || h.body_length == uint32_t{h.extras_length} + h.key_length;
  return extras_ok && key_ok && value_ok;
}

// What a SASL request is refused with before its body is read (kSuccess: nothing): without -S
// memcached answers "unknown command", under -S an Auth or Step may be refused by its lengths.
Status sasl_refusal(const Worker& w, const RequestHeader& h, size_t value_size) noexcept {
  if (!w.settings.sasl) return Status::kUnknownCommand;
  if (h.opcode == Opcode::kSaslListMechs) return Status::kSuccess;
  return BinarySasl::refusal(w, h.key_length, value_size);
}

}  // namespace

namespace binary {

bool looks_up_key(Opcode opcode) noexcept {
  const Command& cmd = kCommands[static_cast<uint8_t>(opcode)];
  return cmd.key == KeyRule::kRequired && cmd.handler != handle_sasl_auth;
}

}  // namespace binary

size_t BinaryProtocol::process(Worker& w, std::string_view input, Output& output,
                               SessionControl& control, RequestLog* log) noexcept {
  control.bytes_wanted = 0;
  w.prefetched.clear();  // its keys were views into another call's input
  size_t pos = 0;
  size_t prefetched_to = 0;  // the requests before this offset had their keys prefetched
  while (pos < input.size() && control.may_decode(output.size())) {
    if (swallow_ != 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(swallow_, input.size() - pos));
      swallow_ -= n;
      pos += n;
      continue;
    }
    if (input.size() - pos < kHeaderSize) break;
    if (pos >= prefetched_to && w.cache.prefetch_pays()) {
      KeyBatch batch;
      prefetched_to =
          pos + std::max<size_t>(
                    scan_binary_keys(input.substr(pos),
                                     std::min(control.requests_left, KeyBatch::kCapacity), batch),
                    1);
      prefetch(w, batch.keys());
    }
    const RequestHeader header = decode_request_header(input.data() + pos);
    const size_t reply_from = output.bytes.size();
    const size_t consumed = dispatch(w, header, input.substr(pos), output, control);
    if (consumed == 0) break;
    if (log != nullptr) {
      log_binary_request(*log, header, input.substr(pos, consumed), output, reply_from,
                         control.close);
    }
    pos += consumed;
    --control.requests_left;
  }
  return pos;
}

size_t BinaryProtocol::dispatch(Worker& w, const RequestHeader& h, std::string_view input,
                                Output& out, SessionControl& control) noexcept {
  std::string& output = out.bytes;
  const Reply reply{h.opcode, h.opaque};
  // The checks and their order are memcached's: each failure is answered at once from the
  // header (memcached waits for extras and key first; the answer is the same) and closes.
  if (h.magic != kRequestMagic) {  // memcached closes without a word
    control.close = true;
    return kHeaderSize;
  }
  if (uint32_t{h.key_length} + h.extras_length > h.body_length) {
    append_error(output, reply, Status::kUnknownCommand);
    control.close = true;
    return kHeaderSize;
  }
  if (!sasl_.allows(w, h.opcode)) {  // -S: memcached checks this before the key
    append_error(output, reply, Status::kAuthError);
    control.close = true;
    return kHeaderSize;
  }
  if (!valid_key_length(h.key_length)) {
    append_error(output, reply, Status::kInvalidArguments);
    control.close = true;
    return kHeaderSize;
  }
  const Command& cmd = kCommands[static_cast<uint8_t>(h.opcode)];
  if (cmd.handler == nullptr) {
    // Skips exactly the body. (memcached 1.6.18 skips body_length bytes after extras and key,
    // eating the start of the next request; we do not copy that.)
    append_error(output, reply, Status::kUnknownCommand);
    swallow_ = h.body_length;
    return kHeaderSize;
  }
  if (!well_formed(cmd, h)) {
    append_error(output, reply, Status::kInvalidArguments);
    control.close = true;
    return kHeaderSize;
  }

  const size_t prefix = kHeaderSize + h.extras_length + h.key_length;
  const size_t value_size = h.body_length - h.extras_length - h.key_length;
  if (BinarySasl::is_sasl_opcode(h.opcode)) {
    // Refused before the body is read; the body is skipped as it arrives, never buffered.
    const Status refusal = sasl_refusal(w, h, value_size);
    if (refusal != Status::kSuccess) {
      append_error(output, reply, refusal);
      swallow_ = h.body_length;
      return kHeaderSize;
    }
  }
  if (cmd.stores && !fits(w, h.key_length, value_size)) {
    // Refuse as soon as the key is here (a Set must drop the old item under it), then discard
    // the value as it arrives instead of waiting for all of it.
    if (input.size() < prefix) {
      control.bytes_wanted = prefix;
      return 0;
    }
    refuse_too_large(w, cmd.mode, input.substr(kHeaderSize + h.extras_length, h.key_length),
                     Family::kClassic);
    append_error(output, reply, Status::kTooLarge);
    swallow_ = value_size;
    return prefix;
  }

  const size_t total = kHeaderSize + h.body_length;
  if (input.size() < total) {
    control.bytes_wanted = total;
    return 0;
  }
  const Request request{h, input.substr(kHeaderSize, h.extras_length),
                        input.substr(kHeaderSize + h.extras_length, h.key_length),
                        input.substr(prefix, value_size)};
  Context context{w, output, out, control, sasl_};
  cmd.handler(context, request, cmd);
  return total;
}

}  // namespace cuckood::proto
