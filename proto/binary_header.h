// The memcached binary protocol's vocabulary and wire layout: magic bytes, opcodes, status
// codes, the 24-byte packet header and the fixed-size extras of each command, with big-endian
// encode/decode helpers. Nothing here allocates or knows about sessions or the cache.
//
// Reference: memcached's protocol_binary.h and the "BinaryProtocolRevamped" wiki page. Every
// multi-byte field on the wire is big-endian (network order).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cuckood::proto::binary {

inline constexpr uint8_t kRequestMagic = 0x80;
inline constexpr uint8_t kResponseMagic = 0x81;
inline constexpr size_t kHeaderSize = 24;

enum class Opcode : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncrement = 0x05,
  kDecrement = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoOp = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrementQ = 0x15,
  kDecrementQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  kVerbosity = 0x1b,
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kSaslListMechs = 0x20,
  kSaslAuth = 0x21,
  kSaslStep = 0x22,
  kGatK = 0x23,
  kGatKQ = 0x24,
};

enum class Status : uint16_t {
  kSuccess = 0x00,
  kKeyNotFound = 0x01,
  kKeyExists = 0x02,
  kTooLarge = 0x03,
  kInvalidArguments = 0x04,
  kNotStored = 0x05,
  kNonNumeric = 0x06,
  kAuthError = 0x20,     // also memcached's answer to a Flush under -F
  kAuthContinue = 0x21,  // a SASL mechanism's challenge: the client answers with a Step
  kUnknownCommand = 0x81,
  kOutOfMemory = 0x82,
};

// A request header in host byte order. `vbucket` is reserved in memcached (ignored).
struct RequestHeader {
  uint8_t magic = kRequestMagic;
  Opcode opcode = Opcode::kGet;
  uint16_t key_length = 0;
  uint8_t extras_length = 0;
  uint8_t data_type = 0;
  uint16_t vbucket = 0;
  uint32_t body_length = 0;  // extras + key + value
  uint32_t opaque = 0;       // echoed unchanged in the response
  uint64_t cas = 0;
};

// A response header in host byte order.
struct ResponseHeader {
  uint8_t magic = kResponseMagic;
  Opcode opcode = Opcode::kGet;
  uint16_t key_length = 0;
  uint8_t extras_length = 0;
  uint8_t data_type = 0;
  Status status = Status::kSuccess;
  uint32_t body_length = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

namespace detail {

// The header exactly as it lies on the wire: natural alignment gives the protocol's offsets
// with no padding, which the asserts below pin down.
struct WireHeader {
  uint8_t magic;
  uint8_t opcode;
  uint16_t key_length;
  uint8_t extras_length;
  uint8_t data_type;
  uint16_t vbucket_or_status;
  uint32_t body_length;
  uint32_t opaque;
  uint64_t cas;
};
static_assert(sizeof(WireHeader) == kHeaderSize);
static_assert(offsetof(WireHeader, key_length) == 2);
static_assert(offsetof(WireHeader, extras_length) == 4);
static_assert(offsetof(WireHeader, data_type) == 5);
static_assert(offsetof(WireHeader, vbucket_or_status) == 6);
static_assert(offsetof(WireHeader, body_length) == 8);
static_assert(offsetof(WireHeader, opaque) == 12);
static_assert(offsetof(WireHeader, cas) == 16);
static_assert(std::endian::native == std::endian::little ||
              std::endian::native == std::endian::big);

constexpr uint16_t to_big(uint16_t v) noexcept {
  return std::endian::native == std::endian::big ? v : __builtin_bswap16(v);
}
constexpr uint32_t to_big(uint32_t v) noexcept {
  return std::endian::native == std::endian::big ? v : __builtin_bswap32(v);
}
constexpr uint64_t to_big(uint64_t v) noexcept {
  return std::endian::native == std::endian::big ? v : __builtin_bswap64(v);
}

}  // namespace detail

// Big-endian loads and stores at any alignment.
template <class T>
T load_big(const char* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return detail::to_big(v);
}
template <class T>
void store_big(char* p, T v) noexcept {
  v = detail::to_big(v);
  std::memcpy(p, &v, sizeof(v));
}

// `p` points at kHeaderSize readable bytes.
inline RequestHeader decode_request_header(const char* p) noexcept {
  detail::WireHeader w;
  std::memcpy(&w, p, sizeof(w));
  return {w.magic,
          static_cast<Opcode>(w.opcode),
          detail::to_big(w.key_length),
          w.extras_length,
          w.data_type,
          detail::to_big(w.vbucket_or_status),
          detail::to_big(w.body_length),
          detail::to_big(w.opaque),
          detail::to_big(w.cas)};
}

// `p` points at kHeaderSize writable bytes.
inline void encode_request_header(const RequestHeader& h, char* p) noexcept {
  const detail::WireHeader w{h.magic,
                             static_cast<uint8_t>(h.opcode),
                             detail::to_big(h.key_length),
                             h.extras_length,
                             h.data_type,
                             detail::to_big(h.vbucket),
                             detail::to_big(h.body_length),
                             detail::to_big(h.opaque),
                             detail::to_big(h.cas)};
  std::memcpy(p, &w, sizeof(w));
}

inline ResponseHeader decode_response_header(const char* p) noexcept {
  detail::WireHeader w;
  std::memcpy(&w, p, sizeof(w));
  return {w.magic,
          static_cast<Opcode>(w.opcode),
          detail::to_big(w.key_length),
          w.extras_length,
          w.data_type,
          static_cast<Status>(detail::to_big(w.vbucket_or_status)),
          detail::to_big(w.body_length),
          detail::to_big(w.opaque),
          detail::to_big(w.cas)};
}

inline void encode_response_header(const ResponseHeader& h, char* p) noexcept {
  const detail::WireHeader w{h.magic,
                             static_cast<uint8_t>(h.opcode),
                             detail::to_big(h.key_length),
                             h.extras_length,
                             h.data_type,
                             detail::to_big(static_cast<uint16_t>(h.status)),
                             detail::to_big(h.body_length),
                             detail::to_big(h.opaque),
                             detail::to_big(h.cas)};
  std::memcpy(p, &w, sizeof(w));
}

// Fixed-size extras of the requests that carry them (offsets as in protocol_binary.h).
inline constexpr uint8_t kStoreExtrasSize = 8;    // flags u32, exptime u32
inline constexpr uint8_t kArithExtrasSize = 20;   // delta u64, initial u64, exptime u32
inline constexpr uint8_t kExptimeExtrasSize = 4;  // touch/gat exptime, flush delay
inline constexpr uint8_t kVerbosityExtrasSize = 4;
inline constexpr uint8_t kFlagsExtrasSize = 4;  // get/touch responses: the item's flags

// exptime 0xffffffff in an arithmetic request: do not create a missing counter.
inline constexpr uint32_t kArithNoCreate = 0xffffffff;

struct StoreExtras {
  uint32_t flags = 0;
  uint32_t exptime = 0;
};
struct ArithExtras {
  uint64_t delta = 0;
  uint64_t initial = 0;
  uint32_t exptime = 0;
};

inline StoreExtras decode_store_extras(const char* p) noexcept {
  return {load_big<uint32_t>(p), load_big<uint32_t>(p + 4)};
}
inline void encode_store_extras(const StoreExtras& e, char* p) noexcept {
  store_big(p, e.flags);
  store_big(p + 4, e.exptime);
}
inline ArithExtras decode_arith_extras(const char* p) noexcept {
  return {load_big<uint64_t>(p), load_big<uint64_t>(p + 8), load_big<uint32_t>(p + 16)};
}
inline void encode_arith_extras(const ArithExtras& e, char* p) noexcept {
  store_big(p, e.delta);
  store_big(p + 8, e.initial);
  store_big(p + 16, e.exptime);
}

}  // namespace cuckood::proto::binary
