// What the generator writes and expects back. Key number n becomes 'k' followed by n in decimal,
// zero-padded to the key size. A value of length L for key K is the first L bytes of the
// endless repetition of the header "K:L;", so a value read back identifies both the key it
// belongs to and the length it was written with: a value of another key, a truncated or
// shifted value, or a corrupted byte all fail verify_value(). Different lengths written for one
// key by concurrent clients are each self-consistent, so races between writers never produce a
// false mismatch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cuckood::load {

// Writes exactly key_size bytes; key_size must hold 1 + the digits of n (checked by options).
void format_key(uint64_t n, int key_size, char* out) noexcept;

// Writes the len-byte value for `key` to out.
void fill_value(std::string_view key, size_t len, char* out) noexcept;

// True when `value` is exactly what fill_value(key, value.size(), ...) writes.
bool verify_value(std::string_view key, std::string_view value) noexcept;

}  // namespace cuckood::load
