#include "proto/text_protocol.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "proto/commands.h"
#include "proto/key.h"
#include "proto/request_keys.h"
#include "proto/request_log.h"
#include "proto/text_handlers.h"
#include "proto/text_long_retrieval.h"
#include "proto/text_replies.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto {

namespace text {

namespace {

// Token counts include the command name; kMaxTokens stands for "any number" because the
// tokenizer never splits more (memcached's bound as well).
constexpr uint8_t kAny = kMaxTokens;

// The one table from command name to handler, the most frequent commands first.
// Key places: retrievals name many keys (gat after its exptime); storage commands one, with a
// data block whose length is their fifth token (ms: third).
constexpr KeyPlace kRetrieval{1, true};
constexpr KeyPlace kTouchRetrieval{2, true};
constexpr KeyPlace kStorage{1, false, false, 4};
constexpr KeyPlace kOneKey{1};
constexpr KeyPlace kMetaKey{1, false, true};
constexpr KeyPlace kMetaStorage{1, false, true, 2};

constexpr Command kCommands[] = {
    {"get", 2, kAny, handle_get, kRetrieval},
    {"set", 5, 6, handle_set, kStorage},
    {"gets", 2, kAny, handle_gets, kRetrieval},
    {"delete", 2, 4, handle_delete, kOneKey},
    {"incr", 3, 4, handle_incr, kOneKey},
    {"decr", 3, 4, handle_decr, kOneKey},
    {"add", 5, 6, handle_add, kStorage},
    {"replace", 5, 6, handle_replace, kStorage},
    {"append", 5, 6, handle_append, kStorage},
    {"prepend", 5, 6, handle_prepend, kStorage},
    {"cas", 6, 7, handle_cas, kStorage},
    {"touch", 3, 4, handle_touch, kOneKey},
    {"gat", 2, kAny, handle_gat, kTouchRetrieval},
    {"gats", 2, kAny, handle_gats, kTouchRetrieval},
    {"bget", 2, kAny, handle_get, kRetrieval},  // memcached still answers this ancient alias of get
    {"flush_all", 1, 3, handle_flush_all},
    {"version", 1, kAny, handle_version},
    {"verbosity", 2, 3, handle_verbosity},
    {"quit", 1, kAny, handle_quit},
    {"watch", 1, kAny, handle_watch},
    {"shutdown", 1, kAny, handle_shutdown},
    {"debugtime", 2, kAny, handle_debugtime},
    {"stats", 1, kAny, handle_stats},
    {"cache_memlimit", 2, 3, handle_cache_memlimit},
    {"refresh_certs", 1, 2, handle_refresh_certs},
    {"slabs", 1, kAny, handle_slabs},
    {"lru_crawler", 1, kAny, handle_lru_crawler},
    {"mg", 2, kAny, handle_mg, kMetaKey},
    {"ms", 2, kAny, handle_ms, kMetaStorage},
    {"md", 2, kAny, handle_md, kMetaKey},
    {"ma", 2, kAny, handle_ma, kMetaKey},
    {"mn", 1, kAny, handle_mn},
    {"me", 1, kAny, handle_me},
};

}  // namespace

const Command* find_command(std::string_view name) noexcept {
  // Every request line is looked up here, usually once: by the key pre-scan, which hands the
  // codec its answer, or by the codec for a line no scan passed (or one run again). Compared
  // inline, byte by byte: the names are short and most differ in length or first byte, where
  // string_view's == called memcmp for every entry of the same length.
  auto same = [name](std::string_view candidate) {
    if (candidate.size() != name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if (candidate[i] != name[i]) return false;
    }
    return true;
  };
  for (const Command& command : kCommands) {
    if (same(command.name)) return &command;
  }
  return nullptr;
}

const Command* split_command_line(std::string_view line, Tokens& tokens) noexcept {
  tokenize(line, tokens);
  return tokens.count() > 0 ? find_command(tokens[0]) : nullptr;
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

// memcached hangs up, answering nothing, on an unknown command whose last token starts with
// "HTTP/" (an HTTP request sent to the cache port), but only past its first-letter dispatch:
// an unknown name starting with one of these letters, or of two letters starting with 'm',
// is answered ERROR whatever follows.
bool is_http_request(const text::Tokens& tokens) noexcept {
  const std::string_view name = tokens[0];
  constexpr std::string_view kDispatchedLetters = "gsacidt";
  if (kDispatchedLetters.find(name[0]) != std::string_view::npos) return false;
  if (name[0] == 'm' && name.size() == 2) return false;
  return tokens[tokens.count() - 1].starts_with("HTTP/");
}

// -vv: a long retrieval line is logged when it starts, as far as it has arrived.
void log_long_line_start(RequestLog& log, std::string_view line) noexcept {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (StateTrace* trace = log.state_trace()) trace->request_begins();
  log.request(line);
}

// -vvv: how a request went through memcached's machine (proto/state_trace.h).
RequestPath text_path(const text::TextRequest& request) noexcept {
  if (request.swallow > 0) return RequestPath::kValueRefused;
  if (request.value_consumed > 0) return RequestPath::kValueRead;
  if (request.control.quit) return RequestPath::kQuit;
  if (request.control.close) return RequestPath::kClosed;
  return RequestPath::kAnswered;
}

// `command` is find_command's answer for tokens[0].
void dispatch(text::TextRequest& request, const text::Tokens& tokens,
              const text::Command* command) noexcept {
  // memcached: no command is shorter than two characters.
  if (tokens.count() == 0 || tokens[0].size() < 2) {
    request.out.append(text::kError);
    return;
  }
  if (command == nullptr && is_http_request(tokens)) {
    request.control.close = true;
    return;
  }
  if (command == nullptr || tokens.count() < command->min_tokens ||
      tokens.count() > command->max_tokens) {
    request.out.append(text::kError);
    return;
  }
  command->handler(request, tokens);
}

}  // namespace

size_t TextProtocol::process(Worker& w, std::string_view input, Output& output,
                             SessionControl& control, RequestLog* log) noexcept {
  control.bytes_wanted = 0;
  w.prefetched.clear();  // its keys were views into another call's input
  size_t pos = 0;
  size_t prefetched_to = 0;  // the requests before this offset had their keys prefetched
  // The lines of the requests last scanned, found and split there once; lines_from is where
  // that scan started, next_line the first of them not yet run. On the stack (a few KiB, its
  // slots never initialised): it lives for this call only, as the views into `input` do.
  ScannedLines lines;
  size_t lines_from = 0;
  size_t next_line = 0;
  while (pos < input.size() && control.watcher < 0 && control.may_decode(output.size())) {
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

    if (long_retrieval_.active()) {
      text::TextRequest request{w, output.bytes, output, control, {}};
      const size_t reply_from = output.bytes.size();
      pos += long_retrieval_.feed(request, available);
      if (log != nullptr) log_text_reply(*log, output, reply_from);
      if (long_retrieval_.active()) break;  // the rest of the line is still to come
      if (log != nullptr && log->state_trace() != nullptr) {
        log->state_trace()->request_ends(control.close ? RequestPath::kClosed
                                                       : RequestPath::kFlushed);
      }
      --control.requests_left;
      continue;
    }

    if (pos >= prefetched_to && w.cache.prefetch_pays()) {
      KeyBatch batch;
      lines.clear();
      next_line = 0;
      lines_from = pos;
      prefetched_to =
          pos + std::max<size_t>(
                    scan_text_keys(available, std::min(control.requests_left, KeyBatch::kCapacity),
                                   batch, lines),
                    1);
      prefetch(w, batch.keys());
    }
    while (next_line < lines.size() && lines_from + lines[next_line].offset < pos) {
      ++next_line;
    }

    size_t line_size;
    std::string_view line;
    const text::Tokens* tokens;
    const text::Command* command;
    text::Tokens split;  // the line's tokens when the scan did not split it
    if (next_line < lines.size() && lines_from + lines[next_line].offset == pos) {
      const ScannedLine& found = lines[next_line++];
      scanned_ = 0;
      line_size = found.size;
      line = found.line;
      tokens = &found.tokens;
      command = found.command;
    } else {
      if (scanned_ > available.size()) scanned_ = 0;
      const void* newline =
          std::memchr(available.data() + scanned_, '\n', available.size() - scanned_);
      const size_t line_end =
          newline == nullptr
              ? available.size()
              : static_cast<size_t>(static_cast<const char*>(newline) - available.data());
      if (line_end > kMaxLineWithoutNewline) {
        // A long retrieval line is recognised by where its newline is, not by how much has
        // arrived, so it is answered alike however it is split into reads. Any other line
        // this long is answered if it came whole, else the connection closes (memcached's
        // rule).
        scanned_ = 0;
        if (text::LongRetrieval::matches(available)) {
          long_retrieval_.start();
          if (log != nullptr) log_long_line_start(*log, available.substr(0, line_end));
          continue;
        }
        if (newline == nullptr) {
          control.close = true;
          break;
        }
      }
      if (newline == nullptr) {
        scanned_ = available.size();
        break;
      }
      scanned_ = 0;
      line_size = line_end + 1;
      line = text::command_line(available, line_end);
      command = text::split_command_line(line, split);
      tokens = &split;
    }

    text::TextRequest request{w, output.bytes, output, control, available.substr(line_size)};
    const size_t reply_from = output.bytes.size();
    dispatch(request, *tokens, command);
    if (request.value_wanted > 0) {
      // Leave the line unconsumed until its data block is complete; it is parsed again then
      // (and logged then, once).
      waiting_for_ = line_size + request.value_wanted;
      control.bytes_wanted = waiting_for_;
      break;
    }
    if (log != nullptr) {
      log_text_request(*log, line, output, reply_from, request.held_back, text_path(request));
    }
    pos += line_size + request.value_consumed;
    swallow_ = request.swallow;
    --control.requests_left;
  }
  return pos;
}

}  // namespace cuckood::proto
