#include "proto/request_keys.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "proto/binary_protocol.h"
#include "proto/key.h"
#include "proto/text_handlers.h"
#include "proto/text_protocol.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto {

namespace {

using text::next_token;

void add_key(KeyBatch& batch, std::string_view key) noexcept {
  if (!key.empty() && valid_key_length(key.size())) batch.add(key);
}

// A meta command's key (token `index`), unless a later flag token says it is base64 (b): the
// bytes to hash are then decoded ones.
void add_meta_key(KeyBatch& batch, const text::Tokens& tokens, size_t index) noexcept {
  bool base64 = false;
  text::for_each_token(tokens, index + 1, [&](std::string_view flag) {
    base64 = flag.front() == 'b';
    return !base64;
  });
  if (!base64) add_key(batch, tokens[index]);
}

// The value length named by token `index`; false if absent or not a number.
bool value_length(const text::Tokens& tokens, size_t index, size_t& length) noexcept {
  const std::string_view token = tokens[index];
  if (token.empty()) return false;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), length);
  return ec == std::errc() && end == token.data() + token.size();
}

// The keys of one request line, at the places its command's table entry names.
void add_keys(KeyBatch& batch, const text::Tokens& tokens, text::KeyPlace place) noexcept {
  if (place.first == 0) return;
  if (place.many) {
    text::for_each_token(tokens, place.first, [&](std::string_view key) {
      add_key(batch, key);
      return !batch.full();
    });
  } else if (place.meta) {
    add_meta_key(batch, tokens, place.first);
  } else {
    add_key(batch, tokens[place.first]);
  }
}

}  // namespace

size_t scan_text_keys(std::string_view input, size_t max_requests, KeyBatch& batch,
                      ScannedLines& lines) noexcept {
  max_requests = std::min(max_requests, ScannedLines::kCapacity);  // a line for each
  size_t pos = 0;
  for (size_t n = 0; n < max_requests && pos < input.size() && !batch.full(); ++n) {
    const std::string_view rest = input.substr(pos);
    const void* newline = std::memchr(rest.data(), '\n', rest.size());
    if (newline == nullptr) break;
    const size_t newline_at = static_cast<size_t>(static_cast<const char*>(newline) - rest.data());
    // Split in place: a line the codec will not take is dropped again below.
    ScannedLine& scanned = lines.emplace_back();
    scanned.offset = pos;
    scanned.size = newline_at + 1;
    scanned.line = text::command_line(rest, newline_at);
    scanned.command = text::split_command_line(scanned.line, scanned.tokens);
    const text::KeyPlace place =
        scanned.command != nullptr ? scanned.command->keys : text::KeyPlace{};
    size_t request_size = scanned.size;
    if (place.length_token != 0) {
      size_t length = 0;
      if (!value_length(scanned.tokens, place.length_token, length) || length > rest.size() ||
          request_size + length + 2 > rest.size()) {
        lines.pop_back();
        break;
      }
      request_size += length + 2;  // the data block and its "\r\n"
    }
    add_keys(batch, scanned.tokens, place);
    if (newline_at > kMaxLineWithoutNewline) lines.pop_back();
    pos += request_size;
  }
  return pos;
}

size_t scan_binary_keys(std::string_view input, size_t max_requests, KeyBatch& batch) noexcept {
  size_t pos = 0;
  for (size_t n = 0; n < max_requests && input.size() - pos >= binary::kHeaderSize && !batch.full();
       ++n) {
    const binary::RequestHeader h = binary::decode_request_header(input.data() + pos);
    if (h.magic != binary::kRequestMagic) break;
    const size_t request_size = binary::kHeaderSize + size_t{h.body_length};
    if (request_size > input.size() - pos) break;
    if (binary::looks_up_key(h.opcode) && size_t{h.key_length} + h.extras_length <= h.body_length) {
      add_key(batch, input.substr(pos + binary::kHeaderSize + h.extras_length, h.key_length));
    }
    pos += request_size;
  }
  return pos;
}

}  // namespace cuckood::proto
