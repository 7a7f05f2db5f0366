#include "proto/request_keys.h"

#include <charconv>
#include <cstring>

#include "proto/binary_header.h"
#include "proto/key.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto {

namespace {

using text::next_token;

// What a command line names: its keys (from token first_key on, the name being token 0; 0:
// none), whether they may be many (retrievals), whether they may be base64 (meta), and where
// its data block's length is (token; 0: it has none).
struct LineShape {
  size_t first_key = 0;
  bool many_keys = false;
  bool meta = false;
  size_t length_token = 0;
};

LineShape shape_of(std::string_view name) noexcept {
  if (name == "get" || name == "gets" || name == "bget") return {1, true, false, 0};
  if (name == "gat" || name == "gats") return {2, true, false, 0};
  if (name == "set" || name == "add" || name == "replace" || name == "append" ||
      name == "prepend" || name == "cas") {
    return {1, false, false, 4};
  }
  if (name == "delete" || name == "incr" || name == "decr" || name == "touch") return {1};
  if (name == "mg" || name == "md" || name == "ma") return {1, false, true, 0};
  if (name == "ms") return {1, false, true, 2};
  return {};
}

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

// The value length named by token `index` of a line whose tokens from `next` on are in
// `args`; false if absent or not a number.
bool value_length(std::string_view args, size_t next, size_t index, size_t& length) noexcept {
  std::string_view token;
  for (; next <= index; ++next) token = next_token(args);
  if (token.empty()) return false;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), length);
  return ec == std::errc() && end == token.data() + token.size();
}

// Whether a binary request of this opcode names a key the cache looks up.
bool looks_up_key(binary::Opcode opcode) noexcept {
  using binary::Opcode;
  switch (opcode) {
    case Opcode::kGet:
    case Opcode::kGetQ:
    case Opcode::kGetK:
    case Opcode::kGetKQ:
    case Opcode::kGat:
    case Opcode::kGatQ:
    case Opcode::kGatK:
    case Opcode::kGatKQ:
    case Opcode::kTouch:
    case Opcode::kSet:
    case Opcode::kSetQ:
    case Opcode::kAdd:
    case Opcode::kAddQ:
    case Opcode::kReplace:
    case Opcode::kReplaceQ:
    case Opcode::kAppend:
    case Opcode::kAppendQ:
    case Opcode::kPrepend:
    case Opcode::kPrependQ:
    case Opcode::kDelete:
    case Opcode::kDeleteQ:
    case Opcode::kIncrement:
    case Opcode::kIncrementQ:
    case Opcode::kDecrement:
    case Opcode::kDecrementQ:
      return true;
    default:
      return false;
  }
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
    const LineShape shape = shape_of(next_token(args));
    size_t request_size = line_size;
    if (shape.length_token != 0) {
      size_t length = 0;
      if (!value_length(args, 1, shape.length_token, length) || length > rest.size()) break;
      request_size += length + 2;  // the data block and its "\r\n"
      if (request_size > rest.size()) break;
    }
    if (shape.first_key == 2) next_token(args);  // gat's exptime
    if (shape.many_keys) {
      for (std::string_view key = next_token(args); !key.empty() && !batch.full();
           key = next_token(args)) {
        add_key(batch, key);
      }
    } else if (shape.first_key != 0) {
      const std::string_view key = next_token(args);
      if (shape.meta) {
        add_meta_key(batch, key, args);
      } else {
        add_key(batch, key);
      }
    }
    pos += request_size;
  }
  return pos;
}

size_t scan_binary_keys(std::string_view input, KeyBatch& batch) noexcept {
  size_t pos = 0;
  while (input.size() - pos >= binary::kHeaderSize && !batch.full()) {
    const binary::RequestHeader h = binary::decode_request_header(input.data() + pos);
    if (h.magic != binary::kRequestMagic) break;
    const size_t request_size = binary::kHeaderSize + size_t{h.body_length};
    if (request_size > input.size() - pos) break;
    if (looks_up_key(h.opcode) && size_t{h.key_length} + h.extras_length <= h.body_length) {
      add_key(batch, input.substr(pos + binary::kHeaderSize + h.extras_length, h.key_length));
    }
    pos += request_size;
  }
  return pos;
}

}  // namespace cuckood::proto
