#include "proto/request_log.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "proto/binary_header.h"

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

// memcached's dump of a 24-byte packet header: four bytes a line, each " 0x<nn>" after
// `indent`.
void dump_header(std::string_view header, std::string_view indent,
                 void (RequestLog::*emit)(std::string_view) noexcept, RequestLog& log) {
  for (size_t line = 0; line + 4 <= header.size() && line < binary::kHeaderSize; line += 4) {
    std::string text(indent);
    for (size_t i = line; i < line + 4; ++i) {
      text += ' ';
      append_hex_byte(text, static_cast<uint8_t>(header[i]));
    }
    (log.*emit)(text);
  }
}

uint64_t big_endian(std::string_view bytes) noexcept {
  uint64_t value = 0;
  for (const char c : bytes) value = value << 8 | static_cast<uint8_t>(c);
  return value;
}

// The get and touch family: memcached's process_bin_get_or_touch.
bool reads_item(binary::Opcode opcode) noexcept {
  using binary::Opcode;
  switch (opcode) {
    case Opcode::kGet:
    case Opcode::kGetQ:
    case Opcode::kGetK:
    case Opcode::kGetKQ:
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatQ:
    case Opcode::kGatK:
    case Opcode::kGatKQ:
      return true;
    default:
      return false;
  }
}

// The line memcached prints as it starts the command (its process_bin_* functions at -vv),
// if any: `prefixed` lines carry the connection's "<fd " prefix, notes do not.
void log_command(RequestLog& log, const binary::RequestHeader& h, std::string_view extras,
                 std::string_view key) {
  using binary::Opcode;
  const size_t value_size = h.body_length - h.key_length - h.extras_length;
  std::string line;
  if (reads_item(h.opcode)) {
    const bool get = h.opcode == Opcode::kGet || h.opcode == Opcode::kGetQ ||
                     h.opcode == Opcode::kGetK || h.opcode == Opcode::kGetKQ;
    log.request(line.append(get ? "GET " : "TOUCH ").append(key));
    return;
  }
  switch (h.opcode) {
    case Opcode::kSet:
    case Opcode::kSetQ:
    case Opcode::kAdd:
    case Opcode::kAddQ:
    case Opcode::kReplace:
    case Opcode::kReplaceQ: {
      const bool set = h.opcode == Opcode::kSet || h.opcode == Opcode::kSetQ;
      const bool add = h.opcode == Opcode::kAdd || h.opcode == Opcode::kAddQ;
      line = set ? "SET " : add ? "ADD " : "REPLACE ";
      line.append(key).append(" Value len is ");
      append_decimal(line, value_size);
      log.request(line);
      return;
    }
    case Opcode::kAppend:
    case Opcode::kAppendQ:
    case Opcode::kPrepend:
    case Opcode::kPrependQ:
      line = "Value len is ";
      append_decimal(line, h.body_length - h.key_length);
      log.note(line);
      return;
    case Opcode::kDelete:
    case Opcode::kDeleteQ:
      log.note(line.append("Deleting ").append(key));
      return;
    case Opcode::kIncrement:
    case Opcode::kIncrementQ:
    case Opcode::kDecrement:
    case Opcode::kDecrementQ: {
      if (extras.size() < 20) return;
      line.append("incr ").append(key).append(" ");
      line += std::to_string(static_cast<int64_t>(big_endian(extras.substr(0, 8))));
      line += ", ";
      append_decimal(line, big_endian(extras.substr(8, 8)));
      line += ", ";
      line += std::to_string(static_cast<int32_t>(big_endian(extras.substr(16, 4))));
      log.note(line);
      return;
    }
    case Opcode::kStat:
      log.request(line.append("STATS ").append(key));
      return;
    default:
      return;
  }
}

// The commands that read a value (memcached's conn_nread) once their header is accepted.
bool carries_value(binary::Opcode opcode) noexcept {
  using binary::Opcode;
  switch (opcode) {
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
      return true;
    default:
      return false;
  }
}

// A response packet memcached writes with its error routine (write_bin_error): an error status
// with neither key nor extras. That routine logs "Writing an error" and flushes at once.
bool is_written_error(const binary::ResponseHeader& r) noexcept {
  return r.status != binary::Status::kSuccess && r.key_length == 0 && r.extras_length == 0;
}

// How a binary request went through memcached's machine, from the packets answering it.
RequestPath binary_path(const binary::RequestHeader& h, std::string_view bytes, size_t reply_from,
                        bool reached, bool closes) noexcept {
  using binary::Opcode;
  if (closes) {
    if (h.magic != binary::kRequestMagic) return RequestPath::kClosed;
    return h.opcode == Opcode::kQuit || h.opcode == Opcode::kQuitQ ? RequestPath::kAnsweredQuit
                                                                   : RequestPath::kQuit;
  }
  bool flushed = false;
  bool too_large = false;
  for (size_t pos = reply_from; bytes.size() - pos >= binary::kHeaderSize;) {
    const binary::ResponseHeader r = binary::decode_response_header(bytes.data() + pos);
    flushed = flushed || is_written_error(r);
    too_large = too_large || r.status == binary::Status::kTooLarge;
    pos = std::min(pos + binary::kHeaderSize + r.body_length, bytes.size());
  }
  if (reached && carries_value(h.opcode)) {
    if (too_large) return RequestPath::kErrorSwallow;
    return flushed ? RequestPath::kValueFlushed : RequestPath::kValueRead;
  }
  return flushed ? RequestPath::kFlushed : RequestPath::kAnswered;
}

// A text get family line answered with END: memcached flushes its reply at once (conn_mwrite).
bool flushed_retrieval(std::string_view line, std::string_view reply) noexcept {
  const std::string_view name = line.substr(0, line.find(' '));
  const bool retrieval = name == "get" || name == "gets" || name == "gat" || name == "gats";
  return retrieval && reply.ends_with("END\r\n");
}

// Whether memcached gets as far as the command's own code (and its line): not for a request it
// refuses from the header alone.
bool reaches_command(const binary::RequestHeader& h, std::string_view bytes, size_t reply_from) {
  if (h.magic != binary::kRequestMagic) return false;
  if (bytes.size() < reply_from + binary::kHeaderSize) return true;
  const binary::ResponseHeader r = binary::decode_response_header(bytes.data() + reply_from);
  return r.status != binary::Status::kUnknownCommand &&
         !(r.status == binary::Status::kInvalidArguments && r.key_length == 0);
}

// The responses: whole packets in output.bytes (values are not sliced while logging), each
// preceded by the lookups `trace` recorded before it (none printed when null). Stat answers
// are written without memcached's header routine, so it dumps none of them.
void log_binary_responses(RequestLog& log, const binary::RequestHeader& h, std::string_view bytes,
                          size_t reply_from, StateTrace* trace) {
  if (h.opcode == binary::Opcode::kStat) return;
  size_t pos = reply_from;
  while (bytes.size() - pos >= binary::kHeaderSize) {
    const binary::ResponseHeader r = binary::decode_response_header(bytes.data() + pos);
    const size_t body = pos + binary::kHeaderSize;
    if (trace != nullptr) trace->print_lookups(pos);
    if (is_written_error(r)) {
      std::string line = "Writing an error: ";
      line.append(bytes.substr(std::min(body, bytes.size()), r.body_length));
      log.reply(line);
    }
    log.reply("Writing bin response:");
    std::string header(bytes.substr(pos, binary::kHeaderSize));
    // memcached dumps a hit's header before it fills the cas in: it logs cas 0.
    if (r.status == binary::Status::kSuccess && reads_item(h.opcode)) {
      std::fill(header.begin() + 16, header.end(), '\0');
    }
    dump_header(header, " ", &RequestLog::reply, log);
    pos = std::min(body + size_t{r.body_length}, bytes.size());
  }
}

// The reply lines from output.bytes[reply_from], values left out; each preceded by the lookups
// `trace` recorded before it (none printed when null).
void log_reply_lines(RequestLog& log, const Output& output, size_t reply_from, StateTrace* trace) {
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
    if (!text.empty()) {
      if (trace != nullptr) trace->print_lookups(pos);
      log.reply(text);
    }
    pos = newline < next_value ? newline + 1 : newline;
  }
}

}  // namespace

void log_text_request(RequestLog& log, std::string_view line, const Output& output,
                      size_t reply_from, std::string_view held_back, RequestPath path) {
  StateTrace* trace = log.state_trace();
  if (trace != nullptr) trace->request_begins();
  log.request(line);
  if (trace != nullptr && path == RequestPath::kValueRead) trace->value_read_begins();
  // memcached's classic update looks a refused value's key up once it discards the value; its
  // ms before it answers.
  const bool lookups_after = path == RequestPath::kValueRefused && !line.starts_with("ms ");
  log_reply_lines(log, output, reply_from, lookups_after ? nullptr : trace);
  if (trace != nullptr && !lookups_after) trace->print_lookups(SIZE_MAX);
  if (!held_back.empty()) {
    std::string text = "NOREPLY ";
    text += without_cr(held_back.substr(0, held_back.find('\n')));
    log.reply(text);
  }
  if (trace != nullptr) {
    const std::string_view reply = std::string_view(output.bytes).substr(reply_from);
    if (path == RequestPath::kAnswered && flushed_retrieval(line, reply)) {
      path = RequestPath::kFlushed;
    }
    trace->request_ends(path);
  }
}

void log_text_reply(RequestLog& log, const Output& output, size_t reply_from) {
  log_reply_lines(log, output, reply_from, log.state_trace());
}

void log_binary_request(RequestLog& log, const binary::RequestHeader& h, std::string_view consumed,
                        const Output& output, size_t reply_from, bool closes) {
  StateTrace* trace = log.state_trace();
  if (trace != nullptr) trace->request_begins();
  log.request("Read binary protocol data:");
  dump_header(consumed.substr(0, binary::kHeaderSize), "  ", &RequestLog::request, log);
  const std::string_view bytes = output.bytes;
  const size_t key_start = binary::kHeaderSize + h.extras_length;
  const bool reached =
      consumed.size() >= key_start + h.key_length && reaches_command(h, bytes, reply_from);
  if (reached) {
    log_command(log, h, consumed.substr(binary::kHeaderSize, h.extras_length),
                consumed.substr(key_start, h.key_length));
  }
  const RequestPath path = binary_path(h, bytes, reply_from, reached, closes);
  if (trace != nullptr && (path == RequestPath::kValueRead || path == RequestPath::kValueFlushed)) {
    trace->value_read_begins();
  }
  // A refused value's key is looked up once memcached discards the value (conn_swallow).
  log_binary_responses(log, h, bytes, reply_from,
                       path == RequestPath::kErrorSwallow ? nullptr : trace);
  if (trace != nullptr) trace->request_ends(path);
}

}  // namespace cuckood::proto
