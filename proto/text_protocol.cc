#include "proto/text_protocol.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "proto/key.h"
#include "proto/request_log.h"
#include "proto/text_handlers.h"
#include "proto/text_replies.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto {

namespace text {

namespace {

// Token counts include the command name; kMaxTokens stands for "any number" because the
// tokenizer never splits more (memcached's bound as well).
constexpr uint8_t kAny = kMaxTokens;

// The one table from command name to handler, the most frequent commands first.
constexpr Command kCommands[] = {
    {"get", 2, kAny, handle_get},
    {"set", 5, 6, handle_set},
    {"gets", 2, kAny, handle_gets},
    {"delete", 2, 4, handle_delete},
    {"incr", 3, 4, handle_incr},
    {"decr", 3, 4, handle_decr},
    {"add", 5, 6, handle_add},
    {"replace", 5, 6, handle_replace},
    {"append", 5, 6, handle_append},
    {"prepend", 5, 6, handle_prepend},
    {"cas", 6, 7, handle_cas},
    {"touch", 3, 4, handle_touch},
    {"gat", 2, kAny, handle_gat},
    {"gats", 2, kAny, handle_gats},
    {"bget", 2, kAny, handle_get},  // memcached still answers this ancient alias of get
    {"flush_all", 1, 3, handle_flush_all},
    {"version", 1, kAny, handle_version},
    {"verbosity", 2, 3, handle_verbosity},
    {"quit", 1, kAny, handle_quit},
    {"shutdown", 1, kAny, handle_shutdown},
    {"debugtime", 2, kAny, handle_debugtime},
    {"stats", 1, kAny, handle_stats},
    {"cache_memlimit", 2, 3, handle_cache_memlimit},
    {"slabs", 1, kAny, handle_slabs},
    {"lru_crawler", 1, kAny, handle_lru_crawler},
    {"mg", 2, kAny, handle_mg},
    {"ms", 2, kAny, handle_ms},
    {"md", 2, kAny, handle_md},
    {"ma", 2, kAny, handle_ma},
    {"mn", 1, kAny, handle_mn},
    {"me", 1, kAny, handle_me},
};

}  // namespace

const Command* find_command(std::string_view name) noexcept {
  for (const Command& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

bool check_key(TextRequest& r, std::string_view key) noexcept {
  if (valid_key_length(key.size())) return true;
  r.reply(kBadFormat);
  return false;
}

void append_number(std::string& out, uint64_t value) {
  char buf[20];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, static_cast<size_t>(result.ptr - buf));
}

}  // namespace text

namespace {

using text::kMaxTokens;

// memcached counts a line with more leading spaces than this as junk even if a get follows
// (the kMaxLineWithoutNewline rule).
constexpr size_t kMaxLeadingSpaces = 100;

bool is_long_multiget(std::string_view partial) noexcept {
  const size_t start = std::min(partial.find_first_not_of(' '), partial.size());
  if (start > kMaxLeadingSpaces) return false;
  const std::string_view command = partial.substr(start);
  return command.starts_with("get ") || command.starts_with("gets ");
}

void dispatch(text::TextRequest& request, std::string_view line) noexcept {
  text::Tokens tokens;
  text::tokenize(line, tokens);
  // memcached: no command is shorter than two characters.
  if (tokens.count == 0 || tokens[0].size() < 2) {
    request.out.append(text::kError);
    return;
  }
  const text::Command* command = text::find_command(tokens[0]);
  if (command == nullptr || tokens.count < command->min_tokens ||
      tokens.count > command->max_tokens) {
    request.out.append(text::kError);
    return;
  }
  command->handler(request, tokens);
}

}  // namespace

size_t TextProtocol::process(Worker& w, std::string_view input, Output& output,
                             SessionControl& control, RequestLog* log) noexcept {
  control.bytes_wanted = 0;
  size_t pos = 0;
  while (pos < input.size() && !control.close && control.requests_left != 0) {
    const std::string_view available = input.substr(pos);
    if (swallow_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(swallow_, available.size()));
      swallow_ -= n;
      pos += n;
      continue;
    }
    if (waiting_for_ > available.size()) {
      control.bytes_wanted = waiting_for_;
      break;
    }
    waiting_for_ = 0;

    if (scanned_ > available.size()) scanned_ = 0;
    const void* newline =
        std::memchr(available.data() + scanned_, '\n', available.size() - scanned_);
    if (newline == nullptr) {
      scanned_ = available.size();
      if (available.size() > kMaxLineWithoutNewline && !is_long_multiget(available)) {
        control.close = true;
      }
      break;
    }
    scanned_ = 0;
    size_t line_end = static_cast<size_t>(static_cast<const char*>(newline) - available.data());
    const size_t line_size = line_end + 1;
    // As memcached: a '\r' before the '\n' is dropped, unless it is the line's only byte.
    if (line_end > 1 && available[line_end - 1] == '\r') --line_end;

    text::TextRequest request{w, output.bytes, output, control, available.substr(line_size)};
    const std::string_view line = available.substr(0, line_end);
    const size_t reply_from = output.bytes.size();
    dispatch(request, line);
    if (request.value_wanted > 0) {
      // Leave the line unconsumed until its data block is complete; it is parsed again then
      // (and logged then, once).
      waiting_for_ = line_size + request.value_wanted;
      control.bytes_wanted = waiting_for_;
      break;
    }
    if (log != nullptr) log_text_request(*log, line, output, reply_from, request.held_back);
    pos += line_size + request.value_consumed;
    swallow_ = request.swallow;
    --control.requests_left;
  }
  return pos;
}

}  // namespace cuckood::proto
