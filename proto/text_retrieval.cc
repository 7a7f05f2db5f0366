// get, gets, gat, gats (and bget): any number of keys, one VALUE block per hit, then END.
#include <cstdint>
#include <string_view>

#include "proto/commands.h"
#include "proto/key.h"
#include "proto/text_handlers.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"

namespace cuckood::proto::text {

namespace {

// Writes "VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n" for every hit and "END\r\n".
// Keys start at token `first_key` and continue into the unsplit rest of a long line.
// `exptime` is null for plain get; otherwise every hit is touched.
void retrieve(TextRequest& r, const Tokens& t, size_t first_key, bool with_cas,
              const int32_t* exptime) noexcept {
  const size_t start = r.out.size();
  bool ok = true;
  for_each_token(t, first_key, [&](std::string_view key) {
    ok = retrieve_key(r, key, with_cas, exptime);
    return ok;
  });
  if (!ok) {
    // As memcached: a too-long key voids the hits already written for this command.
    r.output.truncate(start);
    r.out.append(kBadFormat);
    return;
  }
  r.out.append(kEnd);
}

void retrieve_and_touch(TextRequest& r, const Tokens& t, bool with_cas) noexcept {
  int32_t exptime = 0;
  if (!parse_strtol32(t[1], exptime)) {
    r.out.append(kInvalidExptime);
    return;
  }
  retrieve(r, t, 2, with_cas, &exptime);
}

}  // namespace

bool retrieve_key(TextRequest& r, std::string_view key, bool with_cas,
                  const int32_t* exptime) noexcept {
  if (!valid_key_length(key.size())) return false;
  auto visit = [&](const cache::ItemView& item) {
    std::string& out = r.out;
    out.append(kValuePrefix);
    out.append(key);
    out.push_back(' ');
    append_number(out, item.flags);
    out.push_back(' ');
    append_number(out, item.value.size());
    if (with_cas) {
      out.push_back(' ');
      append_number(out, item.cas);
    }
    out.append(kCrlf);
    r.output.append_value(item.value);
    out.append(kCrlf);
  };
  if (exptime != nullptr) {
    get_and_touch(r.w, key, *exptime, visit);
  } else {
    get(r.w, key, visit);
  }
  return true;
}

void handle_get(TextRequest& r, const Tokens& t) noexcept {
  retrieve(r, t, 1, false, nullptr);
}
void handle_gets(TextRequest& r, const Tokens& t) noexcept {
  retrieve(r, t, 1, true, nullptr);
}
void handle_gat(TextRequest& r, const Tokens& t) noexcept {
  retrieve_and_touch(r, t, false);
}
void handle_gats(TextRequest& r, const Tokens& t) noexcept {
  retrieve_and_touch(r, t, true);
}

}  // namespace cuckood::proto::text
