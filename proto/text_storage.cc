// set, add, replace, append, prepend, cas:
//   <command> <key> <flags> <exptime> <bytes> [<cas>] [noreply]\r\n<data block>\r\n
// The data block is used in place (a view into the input); its framing is text_data_block.h's.
#include <cstdint>
#include <string_view>

#include "proto/commands.h"
#include "proto/text_data_block.h"
#include "proto/text_handlers.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"

namespace cuckood::proto::text {

namespace {

std::string_view store_reply(StoreStatus status) noexcept {
  switch (status) {
    case StoreStatus::kStored:
      return kStored;
    case StoreStatus::kNotStored:
      return kNotStored;
    case StoreStatus::kExists:
      return kExists;
    case StoreStatus::kNotFound:
      return kNotFound;
    case StoreStatus::kTooLarge:
      return kTooLarge;
    case StoreStatus::kNoMemory:
      return kStoreNoMemory;
  }
  return kStoreNoMemory;
}

// The checks come in memcached's order, which decides the reply when several are wrong.
void store_command(TextRequest& r, const Tokens& t, StoreMode mode) noexcept {
  r.noreply = t.noreply();
  const std::string_view key = t[1];
  if (!check_key(r, key)) return;
  uint32_t flags = 0;
  int32_t exptime = 0;
  DataBlock block;
  if (!(parse_strtoul32(t[2], flags) && parse_strtol32(t[3], exptime) &&
        parse_data_block(t[4], block))) {
    r.reply(kBadFormat);
    return;
  }
  uint64_t cas = 0;
  if (mode == StoreMode::kCas && !parse_strtoull(t[5], cas)) {
    r.reply(kBadFormat);
    return;
  }
  std::string_view value;
  if (!take_data_block(r, block, mode, key, Family::kClassic, value)) return;
  const StoreResult result = store(r.w, mode, key, flags, exptime, value, cas);
  r.reply(store_reply(result.status));
}

}  // namespace

void handle_set(TextRequest& r, const Tokens& t) noexcept {
  store_command(r, t, StoreMode::kSet);
}
void handle_add(TextRequest& r, const Tokens& t) noexcept {
  store_command(r, t, StoreMode::kAdd);
}
void handle_replace(TextRequest& r, const Tokens& t) noexcept {
  store_command(r, t, StoreMode::kReplace);
}
void handle_append(TextRequest& r, const Tokens& t) noexcept {
  store_command(r, t, StoreMode::kAppend);
}
void handle_prepend(TextRequest& r, const Tokens& t) noexcept {
  store_command(r, t, StoreMode::kPrepend);
}
void handle_cas(TextRequest& r, const Tokens& t) noexcept {
  store_command(r, t, StoreMode::kCas);
}

}  // namespace cuckood::proto::text
