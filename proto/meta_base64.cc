#include "proto/meta_base64.h"

#include <array>
#include <cstdint>

namespace cuckood::proto::meta {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

constexpr std::array<int8_t, 256> kDecode = make_decode_table();

}  // namespace

size_t base64_decode(std::string_view in, char* out) noexcept {
  if (in.empty() || in.size() % 4 != 0) return 0;
  size_t n = 0;
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    uint32_t bits = 0;
    int padding = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=' && last && j >= 2) {
        ++padding;
        bits <<= 6;
        continue;
      }
      const int8_t v = kDecode[static_cast<unsigned char>(c)];
      if (v < 0 || padding > 0) return 0;  // bad character, or data after padding
      bits = (bits << 6) | static_cast<uint32_t>(v);
    }
    out[n++] = static_cast<char>(bits >> 16);
    if (padding < 2) out[n++] = static_cast<char>(bits >> 8);
    if (padding < 1) out[n++] = static_cast<char>(bits);
  }
  return n;
}

void base64_encode(std::string_view in, std::string& out) {
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t bits = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                          static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                          static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[bits >> 18]);
    out.push_back(kAlphabet[(bits >> 12) & 63]);
    out.push_back(kAlphabet[(bits >> 6) & 63]);
    out.push_back(kAlphabet[bits & 63]);
  }
  const size_t left = in.size() - i;
  if (left == 0) return;
  uint32_t bits = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
  if (left == 2) bits |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
  out.push_back(kAlphabet[bits >> 18]);
  out.push_back(kAlphabet[(bits >> 12) & 63]);
  out.push_back(left == 2 ? kAlphabet[(bits >> 6) & 63] : '=');
  out.push_back('=');
}

}  // namespace cuckood::proto::meta
