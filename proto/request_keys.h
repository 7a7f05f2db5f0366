// The keys a read's buffered requests will look up, found before any of them runs, so that
// the cache can load their memory together (proto::prefetch, Cache::prefetch): the codecs
// scan ahead of the request they execute, then execute as before.
//
// A scan is a hint, not a parse: it takes the keys of the commands that look a key up, as the
// codecs' command tables say (text::Command::keys; binary::looks_up_key): retrievals, stores,
// delete, arithmetic, touch and the meta commands, quiet or not. It steps over every other
// complete request, data blocks included, without judging it. It stops at the first request
// not yet complete in the input, and at a storage line whose value length it cannot read (the
// codec decides what such a line means). Keys longer than memcached allows and meta keys
// given in base64 are left out.
//
// The text scan also hands the codec each complete request line it passed, split exactly as
// the codec splits a line to run it (ScannedLine), so a line is found and split once per read.
//
// Lifetime: the keys and lines are views into the scanned input.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "proto/fixed_vector.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto {

namespace text {
struct Command;
}

class KeyBatch {
 public:
  // Enough to cover a deep pipeline; past this, the misses of one batch outnumber what a
  // core keeps in flight.
  static constexpr size_t kCapacity = 32;

  // False, and the key not added, when the batch is full.
  bool add(std::string_view key) noexcept {
    if (keys_.full()) return false;
    keys_.push_back(key);
    return true;
  }
  bool full() const noexcept { return keys_.full(); }
  std::span<const std::string_view> keys() const noexcept { return keys_.span(); }

 private:
  FixedVector<std::string_view, kCapacity> keys_;
};

// A complete text request line, as the codec would find and split it (text::command_line,
// text::split_command_line).
struct ScannedLine {
  size_t offset;          // where the line starts in the scanned input
  size_t size;            // its bytes, up to and including the '\n'
  std::string_view line;  // text::command_line
  text::Tokens tokens;
  const text::Command* command;  // of tokens[0]; nullptr when unknown
};

// At most one line per request a scan may cover.
using ScannedLines = FixedVector<ScannedLine, KeyBatch::kCapacity>;

// Adds the keys of the complete text (classic and meta) requests at the front of `input` to
// `batch`, stopping after `max_requests` requests (ScannedLines::kCapacity at most) or when the
// batch is full; returns the bytes of the requests scanned (a multi-get cut short by a full
// batch counts as scanned). Both bounds keep a scan's cost proportional to the requests its
// caller is about to run. Each request's line is appended to `lines`, unless it is longer than
// kMaxLineWithoutNewline (the codec answers those in its own way).
size_t scan_text_keys(std::string_view input, size_t max_requests, KeyBatch& batch,
                      ScannedLines& lines) noexcept;

// The same for binary request packets.
size_t scan_binary_keys(std::string_view input, size_t max_requests, KeyBatch& batch) noexcept;

}  // namespace cuckood::proto
