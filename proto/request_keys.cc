#include "proto/request_keys.h"

#include <charconv>
#include <cstring>

#include "proto/binary_protocol.h"
#include "proto/key.h"
#include "proto/text_handlers.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto {

namespace {

using text::next_token;

void add_key(KeyBatch& batch, std::string_view key) noexcept {
  if (!key.empty() && valid_key_length(key.size())) batch.add(key);
}

// A meta command's key, unless a flag token says it is base64 (b): the bytes to hash are then
// decoded ones.
void add_meta_key(KeyBatch& batch, std::string_view key, std::string_view flags) noexcept {
  for (std::string_view flag = next_token(flags); !flag.empty(); flag = next_token(flags)) {
    if (flag.front() == 'b') return;
  }
  add_key(batch, key);
}

// The value length named by token `index` of a line whose tokens after the command name are
// `args`; false if absent or not a number.
bool value_length(std::string_view args, size_t index, size_t& length) noexcept {
  std::string_view token;
  for (size_t i = 1; i <= index; ++i) token = next_token(args);
  if (token.empty()) return false;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), length);
  return ec == std::errc() && end == token.data() + token.size();
}

}  // namespace

size_t scan_text_keys(std::string_view input, size_t max_requests, KeyBatch& batch) noexcept {
  size_t pos = 0;
  for (size_t n = 0; n < max_requests && pos < input.size() && !batch.full(); ++n) {
    const std::string_view rest = input.substr(pos);
    const void* newline = std::memchr(rest.data(), '\n', rest.size());
    if (newline == nullptr) break;
    const size_t line_size =
        static_cast<size_t>(static_cast<const char*>(newline) - rest.data()) + 1;
    std::string_view args = rest.substr(0, line_size - 1);
    if (args.ends_with('\r')) args.remove_suffix(1);
    const text::Command* command = text::find_command(next_token(args));
    const text::KeyPlace place = command != nullptr ? command->keys : text::KeyPlace{};
    size_t request_size = line_size;
    if (place.length_token != 0) {
      size_t length = 0;
      if (!value_length(args, place.length_token, length) || length > rest.size()) break;
      request_size += length + 2;  // the data block and its "\r\n"
      if (request_size > rest.size()) break;
    }
    for (size_t token = 1; token < place.first; ++token) next_token(args);
    if (place.many) {
      for (std::string_view key = next_token(args); !key.empty() && !batch.full();
           key = next_token(args)) {
        add_key(batch, key);
      }
    } else if (place.first != 0) {
      const std::string_view key = next_token(args);
      if (place.meta) {
        add_meta_key(batch, key, args);
      } else {
        add_key(batch, key);
      }
    }
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
