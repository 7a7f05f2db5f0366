#include "proto/session.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "proto/binary_header.h"

namespace cuckood::proto {

namespace {
constexpr unsigned char kBinaryRequestMagic = 0x80;
constexpr size_t kNoData = SIZE_MAX;

// The `index`th space-separated token of `line` (empty when there are fewer).
std::string_view token(std::string_view line, size_t index) noexcept {
  size_t pos = 0;
  for (;;) {
    pos = line.find_first_not_of(' ', pos);
    if (pos == std::string_view::npos) return {};
    const size_t end = std::min(line.find(' ', pos), line.size());
    if (index-- == 0) return line.substr(pos, end - pos);
    pos = end;
  }
}

size_t number(std::string_view text) noexcept {
  size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() ? value : kNoData;
}

// Size of the data block a text request line announces, kNoData if none.
size_t request_data(std::string_view line) noexcept {
  const std::string_view command = token(line, 0);
  if (command == "set" || command == "add" || command == "replace" || command == "append" ||
      command == "prepend" || command == "cas") {
    return number(token(line, 4));
  }
  if (command == "ms") return number(token(line, 2));
  return kNoData;
}

// Size of the value a text response line announces, kNoData if none.
size_t response_data(std::string_view line) noexcept {
  const std::string_view word = token(line, 0);
  if (word == "VALUE") return number(token(line, 3));
  if (word == "VA") return number(token(line, 1));
  return kNoData;
}

// Calls `line` per text line of `bytes`, skipping each data block a line announces.
void text_lines(std::string_view bytes, size_t (*data_size)(std::string_view) noexcept,
                Session::LineSink line) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) {
      line(bytes.substr(pos));  // not a whole line: data of a refused value being discarded
      return;
    }
    std::string_view text = bytes.substr(pos, end - pos);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    line(text);
    pos = end + 1;
    const size_t data = data_size(text);
    if (data != kNoData) pos += std::min(data + 2, bytes.size() - pos);
  }
}

constexpr std::string_view kOpcodeNames[] = {
    "get",    "set",     "add",      "replace",   "delete",  "incr",  "decr",   "quit",
    "flush",  "getq",    "noop",     "version",   "getk",    "getkq", "append", "prepend",
    "stat",   "setq",    "addq",     "replaceq",  "deleteq", "incrq", "decrq",  "quitq",
    "flushq", "appendq", "prependq", "verbosity", "touch",   "gat",   "gatq",   "0x1f",
    "0x20",   "0x21",    "0x22",     "gatk",      "gatkq"};

// Calls `line` per binary packet of `bytes`: opcode name, key, status (responses), body size.
void binary_packets(std::string_view bytes, bool responses, Session::LineSink line) {
  std::string text;
  size_t pos = 0;
  while (bytes.size() - pos >= binary::kHeaderSize) {
    const char* p = bytes.data() + pos;
    uint8_t opcode;
    uint16_t key_length;
    uint8_t extras_length;
    uint32_t body_length;
    unsigned status = 0;
    if (responses) {
      const binary::ResponseHeader h = binary::decode_response_header(p);
      opcode = static_cast<uint8_t>(h.opcode);
      key_length = h.key_length;
      extras_length = h.extras_length;
      body_length = h.body_length;
      status = static_cast<unsigned>(h.status);
    } else {
      const binary::RequestHeader h = binary::decode_request_header(p);
      opcode = static_cast<uint8_t>(h.opcode);
      key_length = h.key_length;
      extras_length = h.extras_length;
      body_length = h.body_length;
    }
    char head[64];
    if (opcode < std::size(kOpcodeNames)) {
      std::snprintf(head, sizeof(head), "%.*s", static_cast<int>(kOpcodeNames[opcode].size()),
                    kOpcodeNames[opcode].data());
    } else {
      std::snprintf(head, sizeof(head), "0x%02x", opcode);
    }
    text = head;
    const size_t body_start = pos + binary::kHeaderSize;
    const size_t key_start = std::min(body_start + extras_length, bytes.size());
    const std::string_view key = bytes.substr(key_start, key_length);
    if (!key.empty()) {
      text += ' ';
      text += key;
    }
    if (responses) {
      std::snprintf(head, sizeof(head), " status 0x%02x", status);
      text += head;
    }
    std::snprintf(head, sizeof(head), " body %u", body_length);
    text += head;
    line(text);
    pos = std::min(body_start + size_t{body_length}, bytes.size());
  }
}
}  // namespace

size_t Session::process(std::string_view input, std::string& output) noexcept {
  Output plain;
  plain.bytes.swap(output);
  const size_t consumed = process(input, plain);
  output.swap(plain.bytes);
  return consumed;
}

size_t Session::process(std::string_view input, Output& output) noexcept {
  if (input.empty() || control_.close) return 0;
  if (protocol_ == Protocol::kUndecided) {
    protocol_ = static_cast<unsigned char>(input.front()) == kBinaryRequestMagic ? Protocol::kBinary
                                                                                 : Protocol::kText;
  }
  const size_t before = output.size();
  const size_t consumed = protocol_ == Protocol::kBinary
                              ? binary_.process(worker_, input, output, control_)
                              : text_.process(worker_, input, output, control_);
  worker_.stats.bytes_read.add(consumed);
  worker_.stats.bytes_written.add(output.size() - before);
  return consumed;
}

void Session::describe_requests(std::string_view consumed, LineSink line) const {
  if (protocol_ == Protocol::kBinary) {
    binary_packets(consumed, false, line);
  } else {
    text_lines(consumed, request_data, line);
  }
}

void Session::describe_responses(std::string_view produced, LineSink line) const {
  if (protocol_ == Protocol::kBinary) {
    binary_packets(produced, true, line);
  } else {
    text_lines(produced, response_data, line);
  }
}

}  // namespace cuckood::proto
