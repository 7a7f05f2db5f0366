// Builds binary-protocol responses for the load generator's client tests.
#pragma once

#include <cstdint>
#include <string>

namespace cuckood::load::testing {

// A binary response header (magic 0x81) followed by extras and value (no key).
inline std::string binary_response(uint8_t opcode, uint16_t status, uint32_t opaque,
                                   const std::string& extras, const std::string& value) {
  std::string h(24, '\0');
  h[0] = static_cast<char>(0x81);
  h[1] = static_cast<char>(opcode);
  h[4] = static_cast<char>(extras.size());
  h[6] = static_cast<char>(status >> 8);
  h[7] = static_cast<char>(status);
  const uint32_t body = static_cast<uint32_t>(extras.size() + value.size());
  for (int i = 0; i < 4; ++i) h[8 + i] = static_cast<char>(body >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) h[12 + i] = static_cast<char>(opaque >> (24 - 8 * i));
  return h + extras + value;
}

}  // namespace cuckood::load::testing
