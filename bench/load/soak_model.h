// What the soak workload knows about the keys it writes, and how it judges what it reads back.
//
// Two kinds of key. Shared keys ('s' + number) are set and read by every connection at once;
// their values come from fill_value() (value_codec.h), so a value read back names its own key and
// length and any concurrent writer's value stays verifiable. Owned keys belong to one client slot
// (a client keeps its slot across reconnects and waits for every reply before it reconnects), so
// the slot knows each owned key's exact history: an append key's whole content, a counter's exact
// number. Eviction may drop any key at any moment, so a miss (or NOT_FOUND / NOT_STORED) is always
// legal and makes the key absent; a hit must then show exactly what the slot last made the key.
// A KeyModel is used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cuckood::load::soak {

// One owned key's known state: absent, or present with exactly `content`; or unknown after a
// server error left it open whether a write happened (every reply is then accepted and the
// next one that reveals the state — a get, incr, miss, delete or stored set — restores it).
class KeyModel {
 public:
  static KeyModel unknown() noexcept {
    KeyModel m;
    m.known_ = false;
    return m;
  }

  bool known() const noexcept { return known_; }
  bool present() const noexcept { return known_ && content_.has_value(); }
  const std::string& content() const noexcept { return *content_; }

  // A set (or any write replacing the whole value) was STORED.
  void stored(std::string_view value) {
    content_ = std::string(value);
    known_ = true;
    incremented_ = false;
  }
  // The key is gone: a miss, NOT_FOUND, NOT_STORED on append, DELETED.
  void gone() noexcept {
    content_.reset();
    known_ = true;
  }

  // A get answered `value` (nullopt for a miss). False when the value is not what the key holds.
  bool check_get(std::optional<std::string_view> value);
  // An append of `chunk` answered stored (true) or NOT_STORED (false).
  bool check_append(std::string_view chunk, bool was_stored);
  // An incr by `delta` answered `result` (nullopt for NOT_FOUND); the key holds a decimal
  // counter. memcached's incr wraps at 2^64; after it, a get may see the number followed by
  // spaces (memcached writes a shorter result in place, padded to the old length).
  bool check_incr(uint64_t delta, std::optional<uint64_t> result);
  // A delete or touch answered found (DELETED/TOUCHED) or NOT_FOUND. `removes`: it was a delete.
  bool check_found(bool found, bool removes);

 private:
  std::optional<std::string> content_;
  bool known_ = true;
  bool incremented_ = false;  // the last write was an incr: a get may see trailing spaces
};

// The chunk appended as version `version` of owned key `key`: "<key>#<version>;" — so an
// append applied twice, lost or out of order changes the content the model compares against.
std::string append_chunk(std::string_view key, uint64_t version);

}  // namespace cuckood::load::soak
