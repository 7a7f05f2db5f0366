#include "proto/request_keys.h"

#include <charconv>
#include <cstring>

#include "proto/binary_header.h"
#include "proto/key.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto {

namespace {

using text::next_token;

// The token after the command name at which a classic retrieval line's keys start; 0: not
// one.
size_t first_key_token(std::string_view name) noexcept {
  if (name == "get" || name == "gets" || name == "bget") return 1;
  if (name == "gat" || name == "gats") return 2;
  return 0;
}

// The token holding a storage line's value length; 0: not a storage command.
size_t length_token(std::string_view name) noexcept {
  if (name == "set" || name == "add" || name == "replace" || name == "append" ||
      name == "prepend" || name == "cas") {
    return 4;
  }
  if (name == "ms") return 2;
  return 0;
}

void add_key(KeyBatch& batch, std::string_view key) noexcept {
  if (valid_key_length(key.size())) batch.add(key);
}

// mg's key, unless a flag token says it is base64 (b): the bytes to hash are then decoded.
void add_meta_key(KeyBatch& batch, std::string_view args) noexcept {
  const std::string_view key = next_token(args);
  for (std::string_view flag = next_token(args); !flag.empty(); flag = next_token(args)) {
    if (flag.front() == 'b') return;
  }
  add_key(batch, key);
}

// The value length named by token `index` of `args` (the tokens after the command name,
// counted from 1); false if absent or not a number.
bool value_length(std::string_view args, size_t index, size_t& length) noexcept {
  std::string_view token;
  for (size_t i = 0; i < index; ++i) token = next_token(args);
  if (token.empty()) return false;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), length);
  return ec == std::errc() && end == token.data() + token.size();
}

}  // namespace

size_t scan_text_keys(std::string_view input, KeyBatch& batch) noexcept {
  size_t pos = 0;
  while (pos < input.size() && !batch.full()) {
    const std::string_view rest = input.substr(pos);
    const void* newline = std::memchr(rest.data(), '\n', rest.size());
    if (newline == nullptr) break;
    const size_t line_size =
        static_cast<size_t>(static_cast<const char*>(newline) - rest.data()) + 1;
    std::string_view args = rest.substr(0, line_size - 1);
    if (args.ends_with('\r')) args.remove_suffix(1);
    const std::string_view name = next_token(args);
    size_t request_size = line_size;
    if (const size_t first = first_key_token(name); first != 0) {
      if (first == 2) next_token(args);  // the exptime
      for (std::string_view key = next_token(args); !key.empty() && !batch.full();
           key = next_token(args)) {
        add_key(batch, key);
      }
    } else if (name == "mg") {
      add_meta_key(batch, args);
    } else if (const size_t index = length_token(name); index != 0) {
      size_t length = 0;
      if (!value_length(args, index, length) || length > rest.size()) break;
      request_size += length + 2;  // the data block and its "\r\n"
      if (request_size > rest.size()) break;
    }
    pos += request_size;
  }
  return pos;
}

size_t scan_binary_keys(std::string_view input, KeyBatch& batch) noexcept {
  using binary::Opcode;
  size_t pos = 0;
  while (input.size() - pos >= binary::kHeaderSize && !batch.full()) {
    const binary::RequestHeader h = binary::decode_request_header(input.data() + pos);
    if (h.magic != binary::kRequestMagic) break;
    const size_t request_size = binary::kHeaderSize + size_t{h.body_length};
    if (request_size > input.size() - pos) break;
    switch (h.opcode) {
      case Opcode::kGet:
      case Opcode::kGetQ:
      case Opcode::kGetK:
      case Opcode::kGetKQ:
      case Opcode::kGat:
      case Opcode::kGatQ:
      case Opcode::kGatK:
      case Opcode::kGatKQ:
        if (h.key_length != 0 && size_t{h.key_length} + h.extras_length <= h.body_length) {
          add_key(batch, input.substr(pos + binary::kHeaderSize + h.extras_length, h.key_length));
        }
        break;
      default:
        break;
    }
    pos += request_size;
  }
  return pos;
}

}  // namespace cuckood::proto
