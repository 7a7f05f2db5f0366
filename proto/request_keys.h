// The keys a read's buffered requests will look up, found before any of them runs, so that
// the cache can load their memory together (proto::prefetch, Cache::prefetch): the codecs
// scan ahead of the request they execute, then execute as before.
//
// A scan is a hint, not a parse: it takes the keys of the commands that look a key up, as the
// codecs' command tables say (text::Command::keys; binary::looks_up_key): retrievals, stores,
// delete, arithmetic, touch and the meta commands, quiet or not. It steps over every other
// complete request, data blocks included, without judging it. It stops at the first request
// not yet complete in the input, and at a storage line whose value length it cannot read (the
// codec decides what such a line means). Keys longer than memcached allows and meta keys
// given in base64 are left out.
//
// Lifetime: the keys are views into the scanned input.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "proto/fixed_vector.h"

namespace cuckood::proto {

class KeyBatch {
 public:
  // Enough to cover a deep pipeline; past this, the misses of one batch outnumber what a
  // core keeps in flight.
  static constexpr size_t kCapacity = 32;

  // False, and the key not added, when the batch is full.
  bool add(std::string_view key) noexcept {
    if (keys_.full()) return false;
    keys_.push_back(key);
    return true;
  }
  bool full() const noexcept { return keys_.full(); }
  std::span<const std::string_view> keys() const noexcept { return keys_.span(); }

 private:
  FixedVector<std::string_view, kCapacity> keys_;
};

// Adds the keys of the complete text (classic and meta) requests at the front of `input` to
// `batch`, stopping after `max_requests` requests or when the batch is full; returns the
// bytes of the requests scanned (a multi-get cut short by a full batch counts as scanned).
// Both bounds keep a scan's cost proportional to the requests its caller is about to run.
size_t scan_text_keys(std::string_view input, size_t max_requests, KeyBatch& batch) noexcept;

// The same for binary request packets.
size_t scan_binary_keys(std::string_view input, size_t max_requests, KeyBatch& batch) noexcept;

}  // namespace cuckood::proto
