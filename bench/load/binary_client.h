// memcached binary protocol, client side: Get (0x00) and Set (0x01) requests and their
// responses. Every request carries an opaque the server echoes; parse() checks it, so a
// response matched to the wrong request is caught. Stateless and resumable like text_client.h.
#pragma once

#include <cstdint>
#include <string_view>

#include "bench/load/buffer.h"
#include "bench/load/reply.h"

namespace cuckood::load::binary {

constexpr size_t kHeaderSize = 24;

void append_get(Buffer& out, std::string_view key, uint32_t opaque);

// flags 0, exptime 0; the value is fill_value(key, value_len): see value_codec.h.
void append_set(Buffer& out, std::string_view key, size_t value_len, uint32_t opaque);

ParseStatus parse(std::string_view in, const Expected& expected, Reply& reply) noexcept;

}  // namespace cuckood::load::binary
