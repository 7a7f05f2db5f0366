// Helpers shared by the CuckooCache tests: an arena of standalone items for index tests, and
// whether a sanitizer is on (heavy tests scale down, RSS checks are skipped).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/item.h"
#include "cache/sanitizer.h"

namespace cuckood::cache::testing {

#ifdef CUCKOOD_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// prefix + decimal n. Spelled with append: GCC 12 at -O3 reports a false -Wrestrict on
// `"literal" + std::string` (an insert at position 0).
inline std::string numbered(std::string_view prefix, uint64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

// Owns items made outside a segment store; they live as long as the arena. Unless asked
// otherwise each has extras, so that a test can give it a deadline.
class ItemArena {
 public:
  Item* make(std::string_view key, std::string_view value, uint32_t flags = 0, Time exptime = 0,
             uint64_t cas = 1, bool extended = true) {
    const size_t size = Item::footprint(key.size(), value.size(), extended);
    blocks_.push_back(std::make_unique<uint64_t[]>(size / sizeof(uint64_t)));
    Item* item =
        Item::create(blocks_.back().get(), key, value.size(), flags, exptime, cas, extended);
    std::copy(value.begin(), value.end(), item->value_data());
    return item;
  }

 private:
  std::vector<std::unique_ptr<uint64_t[]>> blocks_;
};

}  // namespace cuckood::cache::testing
