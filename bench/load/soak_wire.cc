#include "bench/load/soak_wire.h"

#include <charconv>
#include <cstring>

namespace cuckood::load::soak {
namespace {

constexpr size_t kMaxLine = 2048;
constexpr size_t kHeader = 24;

void put_be(char* p, uint64_t v, int n) noexcept {
  for (int i = 0; i < n; ++i) p[i] = static_cast<char>(v >> (8 * (n - 1 - i)));
}

uint64_t get_be(const char* p, int n) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint8_t opcode(Op op) noexcept {
  switch (op) {
    case Op::kGet:
      return 0x00;
    case Op::kSet:
      return 0x01;
    case Op::kAppend:
      return 0x0e;
    case Op::kIncr:
      return 0x05;
    case Op::kDelete:
      return 0x04;
    case Op::kTouch:
      return 0x1c;
  }
  return 0xff;
}

void append_binary(Buffer& out, const Request& r) {
  char extras[20] = {};
  size_t extras_len = 0;
  if (r.op == Op::kSet) {
    extras_len = 8;  // flags, exptime: zero
  } else if (r.op == Op::kIncr) {
    put_be(extras, r.delta, 8);
    put_be(extras + 16, 0xffffffff, 4);  // initial unused: a missing key answers NOT_FOUND
    extras_len = 20;
  } else if (r.op == Op::kTouch) {
    extras_len = 4;  // exptime 0: never expires
  }
  const size_t body = extras_len + r.key.size() + r.value.size();
  char* p = out.prepare(kHeader + body);
  std::memset(p, 0, kHeader);
  p[0] = static_cast<char>(0x80);
  p[1] = static_cast<char>(opcode(r.op));
  put_be(p + 2, r.key.size(), 2);
  p[4] = static_cast<char>(extras_len);
  put_be(p + 8, body, 4);
  put_be(p + 12, r.opaque, 4);
  std::memcpy(p + kHeader, extras, extras_len);
  std::memcpy(p + kHeader + extras_len, r.key.data(), r.key.size());
  if (!r.value.empty())
    std::memcpy(p + kHeader + extras_len + r.key.size(), r.value.data(), r.value.size());
  out.commit(kHeader + body);
}

void append_text(Buffer& out, const Request& r) {
  char number[24];
  auto line = [&](std::string_view verb, std::string_view tail) {
    out.append(verb);
    out.append(" ");
    out.append(r.key);
    out.append(tail);
  };
  switch (r.op) {
    case Op::kGet:
      line("get", "\r\n");
      return;
    case Op::kDelete:
      line("delete", "\r\n");
      return;
    case Op::kTouch:
      line("touch", " 0\r\n");
      return;
    case Op::kIncr: {
      line("incr", " ");
      out.append(
          {number, static_cast<size_t>(std::to_chars(number, number + 24, r.delta).ptr - number)});
      out.append("\r\n");
      return;
    }
    case Op::kSet:
    case Op::kAppend: {
      line(r.op == Op::kSet ? "set" : "append", " 0 0 ");
      out.append({number, static_cast<size_t>(
                              std::to_chars(number, number + 24, r.value.size()).ptr - number)});
      out.append("\r\n");
      out.append(r.value);
      out.append("\r\n");
      return;
    }
  }
}

template <typename T>
bool to_number(std::string_view s, T& out) noexcept {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

ParseStatus parse_text_get(std::string_view in, std::string_view line, const Request& r,
                           SoakReply& reply) noexcept {
  const size_t header = line.size() + 2;
  if (line == "END") {
    reply = {Answer::kMiss, {}, 0, header};
    return ParseStatus::kComplete;
  }
  // "VALUE <key> <flags> <bytes>"
  if (!line.starts_with("VALUE ")) return ParseStatus::kInvalid;
  std::string_view rest = line.substr(6);
  const size_t s1 = rest.find(' ');
  if (s1 == std::string_view::npos || rest.substr(0, s1) != r.key) return ParseStatus::kInvalid;
  rest.remove_prefix(s1 + 1);
  const size_t s2 = rest.find(' ');
  size_t bytes = 0;
  if (s2 == std::string_view::npos || !to_number(rest.substr(s2 + 1), bytes))
    return ParseStatus::kInvalid;
  const size_t total = header + bytes + 7;  // data, "\r\nEND\r\n"
  if (in.size() < total) return ParseStatus::kNeedMore;
  if (in.substr(header + bytes, 7) != "\r\nEND\r\n") return ParseStatus::kInvalid;
  reply = {Answer::kValue, in.substr(header, bytes), 0, total};
  return ParseStatus::kComplete;
}

ParseStatus parse_text(std::string_view in, const Request& r, SoakReply& reply) noexcept {
  const size_t eol = in.substr(0, kMaxLine).find("\r\n");
  if (eol == std::string_view::npos)
    return in.size() >= kMaxLine ? ParseStatus::kInvalid : ParseStatus::kNeedMore;
  const std::string_view line = in.substr(0, eol);
  reply = {Answer::kError, {}, 0, eol + 2};
  if (line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR"))
    return ParseStatus::kComplete;
  if (r.op == Op::kGet) return parse_text_get(in, line, r, reply);
  if (line == "STORED" && (r.op == Op::kSet || r.op == Op::kAppend))
    reply.answer = Answer::kStored;
  else if (line == "NOT_STORED" && (r.op == Op::kSet || r.op == Op::kAppend))
    reply.answer = Answer::kNotStored;
  else if ((line == "DELETED" && r.op == Op::kDelete) || (line == "TOUCHED" && r.op == Op::kTouch))
    reply.answer = Answer::kFound;
  else if (line == "NOT_FOUND" && r.op != Op::kSet && r.op != Op::kAppend)
    reply.answer = Answer::kNotFound;
  else if (r.op == Op::kIncr && to_number(line, reply.number))
    reply.answer = Answer::kNumber;
  else
    return ParseStatus::kInvalid;
  return ParseStatus::kComplete;
}

ParseStatus parse_binary(std::string_view in, const Request& r, SoakReply& reply) noexcept {
  if (in.size() < kHeader) return ParseStatus::kNeedMore;
  const char* h = in.data();
  const size_t key_len = get_be(h + 2, 2);
  const size_t extras = static_cast<uint8_t>(h[4]);
  const uint64_t status = get_be(h + 6, 2);
  const size_t body = get_be(h + 8, 4);
  if (static_cast<uint8_t>(h[0]) != 0x81 || static_cast<uint8_t>(h[1]) != opcode(r.op) ||
      get_be(h + 12, 4) != r.opaque || extras + key_len > body)
    return ParseStatus::kInvalid;
  if (in.size() < kHeader + body) return ParseStatus::kNeedMore;
  const std::string_view value = in.substr(kHeader + extras + key_len, body - extras - key_len);
  reply = {Answer::kError, {}, 0, kHeader + body};
  if (status == 0x0001) {
    reply.answer = r.op == Op::kGet ? Answer::kMiss : Answer::kNotFound;
  } else if (status == 0x0005 || status == 0x0002) {
    reply.answer = Answer::kNotStored;
  } else if (status != 0) {
    reply.answer = Answer::kError;
  } else if (r.op == Op::kGet) {
    reply.answer = Answer::kValue;
    reply.value = value;
  } else if (r.op == Op::kIncr) {
    if (value.size() != 8) return ParseStatus::kInvalid;
    reply.answer = Answer::kNumber;
    reply.number = get_be(value.data(), 8);
  } else {
    reply.answer = r.op == Op::kDelete || r.op == Op::kTouch ? Answer::kFound : Answer::kStored;
  }
  return ParseStatus::kComplete;
}

}  // namespace

std::string_view to_string(Op op) noexcept {
  constexpr std::string_view kNames[kOpCount] = {"get", "set", "append", "incr", "delete", "touch"};
  return kNames[static_cast<int>(op)];
}

void append_request(Buffer& out, WireProtocol protocol, const Request& r) {
  if (protocol == WireProtocol::kText)
    append_text(out, r);
  else
    append_binary(out, r);
}

ParseStatus parse(WireProtocol protocol, std::string_view in, const Request& r,
                  SoakReply& reply) noexcept {
  return protocol == WireProtocol::kText ? parse_text(in, r, reply) : parse_binary(in, r, reply);
}

}  // namespace cuckood::load::soak
