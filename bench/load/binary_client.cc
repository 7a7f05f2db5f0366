#include "bench/load/binary_client.h"

#include <cstring>

#include "bench/load/value_codec.h"

namespace cuckood::load::binary {
namespace {

constexpr uint8_t kRequestMagic = 0x80;
constexpr uint8_t kResponseMagic = 0x81;
constexpr uint8_t kOpGet = 0x00;
constexpr uint8_t kOpSet = 0x01;
constexpr uint16_t kStatusOk = 0x0000;
constexpr uint16_t kStatusKeyNotFound = 0x0001;
constexpr uint16_t kStatusKeyExists = 0x0002;
constexpr uint16_t kStatusNotStored = 0x0005;
constexpr size_t kSetExtras = 8;  // flags (4) + exptime (4)

void put16(char* p, uint16_t v) noexcept {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}

void put32(char* p, uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (24 - 8 * i));
}

uint32_t get_be(const char* p, int n) noexcept {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Fills the 24-byte request header; cas is zero.
void put_header(char* p, uint8_t opcode, size_t key_len, size_t extras, size_t body,
                uint32_t opaque) noexcept {
  std::memset(p, 0, kHeaderSize);
  p[0] = static_cast<char>(kRequestMagic);
  p[1] = static_cast<char>(opcode);
  put16(p + 2, static_cast<uint16_t>(key_len));
  p[4] = static_cast<char>(extras);
  put32(p + 8, static_cast<uint32_t>(body));
  put32(p + 12, opaque);
}

}  // namespace

void append_get(Buffer& out, std::string_view key, uint32_t opaque) {
  char* p = out.prepare(kHeaderSize + key.size());
  put_header(p, kOpGet, key.size(), 0, key.size(), opaque);
  std::memcpy(p + kHeaderSize, key.data(), key.size());
  out.commit(kHeaderSize + key.size());
}

void append_set(Buffer& out, std::string_view key, size_t value_len, uint32_t opaque) {
  const size_t body = kSetExtras + key.size() + value_len;
  char* p = out.prepare(kHeaderSize + body);
  put_header(p, kOpSet, key.size(), kSetExtras, body, opaque);
  std::memset(p + kHeaderSize, 0, kSetExtras);
  std::memcpy(p + kHeaderSize + kSetExtras, key.data(), key.size());
  fill_value(key, value_len, p + kHeaderSize + kSetExtras + key.size());
  out.commit(kHeaderSize + body);
}

ParseStatus parse(std::string_view in, const Expected& expected, Reply& reply) noexcept {
  if (in.size() < kHeaderSize) return ParseStatus::kNeedMore;
  const char* h = in.data();
  const uint8_t opcode = static_cast<uint8_t>(h[1]);
  const size_t key_len = get_be(h + 2, 2);
  const size_t extras = static_cast<uint8_t>(h[4]);
  const uint16_t status = static_cast<uint16_t>(get_be(h + 6, 2));
  const size_t body = get_be(h + 8, 4);
  if (static_cast<uint8_t>(h[0]) != kResponseMagic || get_be(h + 12, 4) != expected.opaque ||
      opcode != (expected.is_get ? kOpGet : kOpSet) || extras + key_len > body)
    return ParseStatus::kInvalid;
  if (in.size() < kHeaderSize + body) return ParseStatus::kNeedMore;
  reply.consumed = kHeaderSize + body;
  reply.value = {};
  if (expected.is_get && status == kStatusOk) {
    reply.kind = ReplyKind::kHit;
    reply.value = in.substr(kHeaderSize + extras + key_len, body - extras - key_len);
  } else if (expected.is_get && status == kStatusKeyNotFound) {
    reply.kind = ReplyKind::kMiss;
  } else if (!expected.is_get && status == kStatusOk) {
    reply.kind = ReplyKind::kStored;
  } else if (!expected.is_get && (status == kStatusKeyExists || status == kStatusNotStored)) {
    reply.kind = ReplyKind::kNotStored;
  } else {
    reply.kind = ReplyKind::kError;
  }
  return ParseStatus::kComplete;
}

}  // namespace cuckood::load::binary
