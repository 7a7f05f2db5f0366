#include "proto/request_log.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "proto/binary_protocol.h"

namespace cuckood::proto {

namespace {

// Drops a line's "\r" before its "\n" (the "\n" is already cut off).
std::string_view without_cr(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void append_decimal(std::string& out, uint64_t value) {
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, end);
}

void append_hex_byte(std::string& out, unsigned value) {
  constexpr char kDigits[] = "0123456789abcdef";
  out += "0x";
  out += kDigits[(value >> 4) & 0xf];
  out += kDigits[value & 0xf];
}

// "<opcode> [<key>]": the name from the binary codec's command table, hex for an opcode
// it does not know.
std::string packet_head(binary::Opcode opcode, std::string_view key) {
  std::string line;
  const std::string_view name = binary::opcode_name(opcode);
  if (name.empty()) {
    append_hex_byte(line, static_cast<uint8_t>(opcode));
  } else {
    line = name;
  }
  if (!key.empty()) {
    line += ' ';
    line += key;
  }
  return line;
}

}  // namespace

void log_text_request(RequestLog& log, std::string_view line, const Output& output,
                      size_t reply_from, std::string_view held_back) {
  log.request(line);
  log_text_reply(log, output, reply_from);
  if (!held_back.empty()) {
    std::string text = "NOREPLY ";
    text += without_cr(held_back.substr(0, held_back.find('\n')));
    log.reply(text);
  }
}

void log_text_reply(RequestLog& log, const Output& output, size_t reply_from) {
  const std::string_view bytes = output.bytes;
  const std::vector<ValueSpan>& values = output.value_spans();
  // The values of this reply are the last spans, those from reply_from on.
  auto value = std::partition_point(values.begin(), values.end(),
                                    [&](const ValueSpan& v) { return v.offset < reply_from; });
  size_t pos = reply_from;
  while (pos < bytes.size()) {
    if (value != values.end() && value->offset == pos) {
      pos += value->size;
      ++value;
      continue;
    }
    const size_t next_value = value != values.end() ? value->offset : bytes.size();
    const size_t newline = std::min(bytes.find('\n', pos), next_value);
    const std::string_view text = without_cr(bytes.substr(pos, newline - pos));
    // An empty line is the "\r\n" that ends a value.
    if (!text.empty()) log.reply(text);
    pos = newline < next_value ? newline + 1 : newline;
  }
}

void log_binary_request(RequestLog& log, const binary::RequestHeader& h, std::string_view consumed,
                        const Output& output, size_t reply_from) {
  const size_t key_start = binary::kHeaderSize + h.extras_length;
  const std::string_view key = consumed.size() >= key_start + h.key_length
                                   ? consumed.substr(key_start, h.key_length)
                                   : std::string_view{};
  std::string line = packet_head(h.opcode, key);
  line += " body ";
  append_decimal(line, h.body_length);
  log.request(line);

  // The responses: whole packets in output.bytes (values are not sliced while logging).
  const std::string_view bytes = std::string_view(output.bytes).substr(reply_from);
  size_t pos = 0;
  while (bytes.size() - pos >= binary::kHeaderSize) {
    const binary::ResponseHeader r = binary::decode_response_header(bytes.data() + pos);
    const size_t body = pos + binary::kHeaderSize;
    line = packet_head(r.opcode,
                       bytes.substr(std::min(body + r.extras_length, bytes.size()), r.key_length));
    line += " status ";
    append_hex_byte(line, static_cast<unsigned>(r.status));
    line += " body ";
    append_decimal(line, r.body_length);
    log.reply(line);
    pos = std::min(body + size_t{r.body_length}, bytes.size());
  }
}

}  // namespace cuckood::proto
