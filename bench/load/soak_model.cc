#include "bench/load/soak_model.h"

#include <charconv>

namespace cuckood::load::soak {

bool KeyModel::check_get(std::optional<std::string_view> value) {
  if (!value) {
    gone();  // evicted: legal at any time
    return true;
  }
  if (!known_) {
    stored(*value);
    return true;
  }
  if (!present()) return false;
  // memcached rewrites a shorter incr result in place, padded with spaces to the old length.
  std::string_view v = *value;
  if (incremented_) v = v.substr(0, v.find_last_not_of(' ') + 1);
  return v == *content_;
}

bool KeyModel::check_append(std::string_view chunk, bool was_stored) {
  if (!was_stored) {
    gone();
    return true;
  }
  if (!known_) return true;      // still unknown: the content before the append was
  if (!present()) return false;  // nobody else writes this key: there was nothing to append to
  content_->append(chunk);
  return true;
}

bool KeyModel::check_incr(uint64_t delta, std::optional<uint64_t> result) {
  if (!result) {
    gone();
    return true;
  }
  if (!known_) {
    stored(std::to_string(*result));
    incremented_ = true;
    return true;
  }
  if (!present()) return false;
  uint64_t before = 0;
  const std::string& c = *content_;
  auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), before);
  if (ec != std::errc() || end != c.data() + c.size()) return false;
  if (*result != before + delta) return false;
  stored(std::to_string(*result));
  incremented_ = true;
  return true;
}

bool KeyModel::check_found(bool found, bool removes) {
  if (!found) {
    gone();
    return true;
  }
  const bool was_present = present() || !known_;
  if (removes) gone();
  return was_present;
}

std::string append_chunk(std::string_view key, uint64_t version) {
  std::string chunk(key);
  chunk += '#';
  chunk += std::to_string(version);
  chunk += ';';
  return chunk;
}

}  // namespace cuckood::load::soak
