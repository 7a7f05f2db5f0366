// The command handlers of the text protocol and the table that names them. The framing loop
// (text_protocol.cc) finds a complete line, splits it into tokens, checks the token count
// against the table and calls the handler; the handler decodes its arguments, calls the
// command layer (proto/commands.h) and writes the reply.
//
// Lifetime: every view in a TextRequest points into the input of the current
// TextProtocol::process call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/output.h"
#include "proto/session_control.h"
#include "proto/text_tokenizer.h"
#include "proto/worker.h"

namespace cuckood::proto::text {

struct TextRequest {
  Worker& w;
  std::string& out;  // output.bytes
  Output& output;    // for values (Output::append_value); text goes to `out`
  SessionControl& control;
  std::string_view rest;  // the input after the line: where a storage command's value is
  bool noreply = false;   // replies are suppressed (classic `noreply`, meta `q` on success)

  // Set by storage handlers for the framing loop.
  size_t value_consumed = 0;        // bytes of `rest` used up (the data block and its "\r\n")
  size_t value_wanted = 0;          // data block incomplete: bytes of `rest` needed in all
  uint64_t swallow = 0;             // bytes after the line to discard (a refused data block)
  std::string_view held_back = {};  // the reply `noreply` suppressed (-vv logs it, as memcached)

  void reply(std::string_view text) {
    if (noreply) {
      held_back = text;
    } else {
      out.append(text);
    }
  }
};

using Handler = void (*)(TextRequest&, const Tokens&) noexcept;

// Where a command line names the keys it looks up in the cache: what the pre-scan of a read's
// requests takes (proto/request_keys.h). Tokens count the command name as 0.
struct KeyPlace {
  uint8_t first = 0;         // the first key's token; 0: the command looks no key up
  bool many = false;         // every token from `first` on is a key (the retrievals)
  bool meta = false;         // a meta command: a `b` flag says the key is base64
  uint8_t length_token = 0;  // the token giving its data block's length; 0: no data block
};

struct Command {
  std::string_view name;
  uint8_t min_tokens;  // including the command name
  uint8_t max_tokens;
  Handler handler;
  KeyPlace keys = {};
};

// The command table: name → handler. nullptr when the name is unknown.
const Command* find_command(std::string_view name) noexcept;

// Splits a command line (command_line) into `tokens` and returns the command its first token
// names: nullptr when the line is empty or the name unknown.
const Command* split_command_line(std::string_view line, Tokens& tokens) noexcept;

// The key rule (proto/key.h) in the text protocol's words: false after answering
// "CLIENT_ERROR bad command line format" (suppressed by noreply, as memcached does).
bool check_key(TextRequest& r, std::string_view key) noexcept;

// Appends a decimal number (std::to_chars, no allocation beyond the output's growth).
void append_number(std::string& out, uint64_t value);

// Classic retrieval (text_retrieval.cc).
// One key of a get/gets (`exptime` null) or gat/gats line: its VALUE block if it is a hit.
// False, writing nothing, when the key is too long (the line's answer is then an error).
bool retrieve_key(TextRequest& r, std::string_view key, bool with_cas,
                  const int32_t* exptime) noexcept;
void handle_get(TextRequest& r, const Tokens& t) noexcept;
void handle_gets(TextRequest& r, const Tokens& t) noexcept;
void handle_gat(TextRequest& r, const Tokens& t) noexcept;
void handle_gats(TextRequest& r, const Tokens& t) noexcept;

// Classic storage (text_storage.cc).
void handle_set(TextRequest& r, const Tokens& t) noexcept;
void handle_add(TextRequest& r, const Tokens& t) noexcept;
void handle_replace(TextRequest& r, const Tokens& t) noexcept;
void handle_append(TextRequest& r, const Tokens& t) noexcept;
void handle_prepend(TextRequest& r, const Tokens& t) noexcept;
void handle_cas(TextRequest& r, const Tokens& t) noexcept;

// Classic single-key updates (text_update.cc).
void handle_incr(TextRequest& r, const Tokens& t) noexcept;
void handle_decr(TextRequest& r, const Tokens& t) noexcept;
void handle_delete(TextRequest& r, const Tokens& t) noexcept;
void handle_touch(TextRequest& r, const Tokens& t) noexcept;

// Server-wide commands (text_admin.cc).
void handle_flush_all(TextRequest& r, const Tokens& t) noexcept;
void handle_slabs(TextRequest& r, const Tokens& t) noexcept;
void handle_version(TextRequest& r, const Tokens& t) noexcept;
void handle_verbosity(TextRequest& r, const Tokens& t) noexcept;
void handle_quit(TextRequest& r, const Tokens& t) noexcept;
void handle_watch(TextRequest& r, const Tokens& t) noexcept;
void handle_shutdown(TextRequest& r, const Tokens& t) noexcept;
void handle_debugtime(TextRequest& r, const Tokens& t) noexcept;
void handle_stats(TextRequest& r, const Tokens& t) noexcept;
void handle_cache_memlimit(TextRequest& r, const Tokens& t) noexcept;
void handle_refresh_certs(TextRequest& r, const Tokens& t) noexcept;

// Item dumps and the crawler (text_crawler.cc).
void handle_lru_crawler(TextRequest& r, const Tokens& t) noexcept;
void stats_cachedump(TextRequest& r, const Tokens& t) noexcept;

// Meta commands (meta_commands.cc).
void handle_mg(TextRequest& r, const Tokens& t) noexcept;
void handle_ms(TextRequest& r, const Tokens& t) noexcept;
void handle_md(TextRequest& r, const Tokens& t) noexcept;
void handle_ma(TextRequest& r, const Tokens& t) noexcept;
void handle_me(TextRequest& r, const Tokens& t) noexcept;
void handle_mn(TextRequest& r, const Tokens& t) noexcept;

}  // namespace cuckood::proto::text
