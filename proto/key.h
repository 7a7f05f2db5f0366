// memcached's key rule, written once for every codec: a key is at most 250 bytes, the same
// bound the cache stores (cache::kMaxKeySize). The codecs ask valid_key_length and word the
// refusal in their own protocol (text: "CLIENT_ERROR bad command line format"; binary:
// "invalid arguments" and the connection closed).
#pragma once

#include <cstddef>

#include "cache/item.h"

namespace cuckood::proto {

inline constexpr size_t kMaxKeyLength = cache::kMaxKeySize;

constexpr bool valid_key_length(size_t size) noexcept {
  return size <= kMaxKeyLength;
}

}  // namespace cuckood::proto
