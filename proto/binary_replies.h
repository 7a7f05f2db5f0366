// Encoding of binary protocol responses into a connection's output buffer, in memcached's
// shapes: which packets carry flags extras, a key or a message body, and what cas they report.
//
// Every function appends one complete packet to `out` (the only allocation is `out` growing).
// Views passed in are copied before the function returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cache/types.h"
#include "proto/binary_header.h"
#include "proto/output.h"

namespace cuckood::proto::binary {

// The request being answered: a response repeats its opcode (quiet variants included) and
// its opaque.
struct Reply {
  Opcode opcode;
  uint32_t opaque;
};

// The body memcached sends with an error status (e.g. "Not found" for kKeyNotFound).
std::string_view status_message(Status status) noexcept;

// memcached words kOutOfMemory per command (its out_of_memory() less "SERVER_ERROR "):
inline constexpr std::string_view kStoreNoMemory = "Out of memory allocating item";
inline constexpr std::string_view kArithNoMemory = "Out of memory incrementing value";
inline constexpr std::string_view kNoMemoryToCreate = "Out of memory allocating new item";

// A whole packet: header, then extras, key and value.
void append_packet(std::string& out, Reply reply, Status status, uint64_t cas,
                   std::string_view extras, std::string_view key, std::string_view value);

// Success with an empty body (stores, delete, flush, noop, quit, verbosity, stat terminator).
void append_success(std::string& out, Reply reply, uint64_t cas = 0);

// An error status with memcached's message as the body and cas 0.
void append_error(std::string& out, Reply reply, Status status);
// The same with a message of the command's own (memcached words "out of memory" per command).
void append_error(std::string& out, Reply reply, Status status, std::string_view message);

// A get-family miss that echoes the key (GetK, GatK): status kKeyNotFound, key, no message.
void append_miss_with_key(std::string& out, Reply reply, std::string_view key);

// A hit: the item's flags as 4 bytes of extras and its cas, then the key when `with_key`
// (GetK, GatK) and the value when `with_value` (all but Touch). From inside the item's visitor:
// a large value may become a slice of `out` (proto/output.h).
void append_item(Output& out, Reply reply, const cache::ItemView& item, bool with_key,
                 bool with_value);

// Increment/Decrement success: the new value as a big-endian u64 body.
void append_counter(std::string& out, Reply reply, uint64_t cas, uint64_t value);

// One statistic: name as the key, value as the value. The group ends with append_success.
void append_stat(std::string& out, Reply reply, std::string_view name, std::string_view value);

}  // namespace cuckood::proto::binary
