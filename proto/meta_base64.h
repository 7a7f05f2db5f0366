// Standard base64 (RFC 4648, '+' '/', '=' padding) for meta commands' `b` flag: binary keys
// travel base64-encoded on the text protocol and are stored decoded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cuckood::proto::meta {

// Decodes `in` into `out` (room for at least in.size() * 3 / 4 bytes). Returns the decoded
// length; 0 when `in` is empty or not valid padded base64 (memcached's convention).
size_t base64_decode(std::string_view in, char* out) noexcept;

void base64_encode(std::string_view in, std::string& out);

}  // namespace cuckood::proto::meta
