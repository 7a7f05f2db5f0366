// memcached text protocol, client side: encodes get/set requests and decodes their responses
// (protocol.txt: "get <key>" → "VALUE <key> <flags> <bytes>\r\n<data>\r\nEND\r\n" or "END\r\n";
// "set <key> 0 0 <bytes>\r\n<data>\r\n" → "STORED\r\n"). Stateless and resumable: parse()
// either decodes a whole response or asks for more bytes without consuming any.
#pragma once

#include <string_view>

#include "bench/load/buffer.h"
#include "bench/load/reply.h"

namespace cuckood::load::text {

void append_get(Buffer& out, std::string_view key);

// The value is fill_value(key, value_len): see value_codec.h.
void append_set(Buffer& out, std::string_view key, size_t value_len);

ParseStatus parse(std::string_view in, const Expected& expected, Reply& reply) noexcept;

}  // namespace cuckood::load::text
