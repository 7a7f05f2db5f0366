#include "bench/load/text_client.h"

#include <charconv>
#include <cstring>

#include "bench/load/value_codec.h"

namespace cuckood::load::text {
namespace {

// A response line longer than this without "\r\n" cannot be one memcached sends.
constexpr size_t kMaxLine = 2048;
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kEnd = "END\r\n";

bool is_error_line(std::string_view line) noexcept {
  return line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR");
}

// Splits off the next space-separated token of `line`.
std::string_view next_token(std::string_view& line) noexcept {
  size_t start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  size_t end = line.find(' ');
  std::string_view token = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return token;
}

template <typename T>
bool to_number(std::string_view s, T& out) noexcept {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

ParseStatus parse_get(std::string_view in, std::string_view line, const Expected& expected,
                      Reply& reply) noexcept {
  const size_t header = line.size() + kCrlf.size();
  if (line == "END") {
    reply = {ReplyKind::kMiss, {}, header};
    return ParseStatus::kComplete;
  }
  if (!line.starts_with("VALUE ")) return ParseStatus::kInvalid;
  std::string_view rest = line.substr(6);
  std::string_view key = next_token(rest);
  uint32_t flags = 0;
  size_t bytes = 0;
  if (key != expected.key || !to_number(next_token(rest), flags) ||
      !to_number(next_token(rest), bytes))
    return ParseStatus::kInvalid;
  const size_t total = header + bytes + kCrlf.size() + kEnd.size();
  if (in.size() < total) return ParseStatus::kNeedMore;
  if (in.substr(header + bytes, kCrlf.size() + kEnd.size()) != "\r\nEND\r\n")
    return ParseStatus::kInvalid;
  reply = {ReplyKind::kHit, in.substr(header, bytes), total};
  return ParseStatus::kComplete;
}

ParseStatus parse_set(std::string_view line, Reply& reply) noexcept {
  const size_t consumed = line.size() + kCrlf.size();
  if (line == "STORED") {
    reply = {ReplyKind::kStored, {}, consumed};
  } else if (line == "NOT_STORED" || line == "EXISTS" || line == "NOT_FOUND") {
    reply = {ReplyKind::kNotStored, {}, consumed};
  } else {
    return ParseStatus::kInvalid;
  }
  return ParseStatus::kComplete;
}

}  // namespace

void append_get(Buffer& out, std::string_view key) {
  char* p = out.prepare(4 + key.size() + 2);
  std::memcpy(p, "get ", 4);
  std::memcpy(p + 4, key.data(), key.size());
  std::memcpy(p + 4 + key.size(), "\r\n", 2);
  out.commit(4 + key.size() + 2);
}

void append_set(Buffer& out, std::string_view key, size_t value_len) {
  constexpr size_t kMaxHeader = 4 + 250 + 5 + 20 + 2;  // "set ", key, " 0 0 ", length, CRLF
  char* const start = out.prepare(kMaxHeader + value_len + 2);
  char* p = start;
  std::memcpy(p, "set ", 4);
  p += 4;
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  std::memcpy(p, " 0 0 ", 5);
  p += 5;
  p = std::to_chars(p, p + 20, value_len).ptr;
  std::memcpy(p, "\r\n", 2);
  p += 2;
  fill_value(key, value_len, p);
  p += value_len;
  std::memcpy(p, "\r\n", 2);
  p += 2;
  out.commit(static_cast<size_t>(p - start));
}

ParseStatus parse(std::string_view in, const Expected& expected, Reply& reply) noexcept {
  const size_t eol = in.substr(0, kMaxLine).find(kCrlf);
  if (eol == std::string_view::npos)
    return in.size() >= kMaxLine ? ParseStatus::kInvalid : ParseStatus::kNeedMore;
  const std::string_view line = in.substr(0, eol);
  if (is_error_line(line)) {
    reply = {ReplyKind::kError, {}, eol + kCrlf.size()};
    return ParseStatus::kComplete;
  }
  return expected.is_get ? parse_get(in, line, expected, reply) : parse_set(line, reply);
}

}  // namespace cuckood::load::text
