// The bigmem workload's records (issue 13, after a "Big Memory" evaluation of hash-table
// services): N records over M keys, each record a 16-byte value appended to its key's value.
//
// Keys are numbers 0..M-1 drawn uniformly; on the wire a key is 8 bytes written as 16 hex
// characters (a bijective mix of the number, so consecutive numbers do not make consecutive
// names). A record's value depends only on (key, occurrence) — occurrence n is the key's n-th
// record — so the expected value of a key after the run is the concatenation of its records'
// values, computed from how many records it received.
//
// The stream is split into lanes (one per connection): lane l issues records l, l+L, l+2L, ...
// and draws their keys among the keys congruent to l mod L. Each key therefore goes through
// one lane, in order, and the union of the lanes is still uniform over all keys. Everything is
// a pure function of (records, keys, lanes, seed), so runs are repeatable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cuckood::load::bigmem {

constexpr size_t kKeySize = 16;
constexpr size_t kValueSize = 16;

// Writes key number `key`'s 16-character name.
void key_name(uint64_t key, char out[kKeySize]) noexcept;

// Writes the value of `key`'s record number `occurrence` (from 0).
void record_value(uint64_t key, uint32_t occurrence, char out[kValueSize]) noexcept;

// What a key holds after `count` records: their values in order (empty for 0).
std::string expected_value(uint64_t key, uint32_t count);

struct Record {
  uint64_t key;
  uint32_t occurrence;
};

// How many records each key has received so far. Lanes touch disjoint keys, so each lane may
// update its own keys' counts from its own thread without synchronisation; read them only
// after every lane finished.
class Occurrences {
 public:
  explicit Occurrences(uint64_t keys) : counts_(keys, 0) {}
  uint32_t next(uint64_t key) noexcept { return counts_[key]++; }
  // Starts loading `key`'s count: a table of every key's count is out of cache at scale, and
  // one miss per record was most of the generator's time.
  void prefetch(uint64_t key) const noexcept { __builtin_prefetch(&counts_[key], 1); }
  uint32_t count(uint64_t key) const noexcept { return counts_[key]; }
  uint64_t keys() const noexcept { return counts_.size(); }
  // Keys with at least one record.
  uint64_t written() const noexcept;

 private:
  std::vector<uint32_t> counts_;
};

// One lane's records in issue order. Requires keys >= lanes (every lane owns a key).
class LaneStream {
 public:
  LaneStream(uint64_t records, uint64_t keys, uint32_t lanes, uint32_t lane,
             uint64_t seed) noexcept;
  uint64_t size() const noexcept { return size_; }
  bool done() const noexcept { return issued_ == size_; }
  // The next record; its occurrence comes from (and advances) `seen`, whose count of the key
  // kAhead records on it starts loading. Call only when !done().
  Record next(Occurrences& seen) noexcept;

 private:
  static constexpr uint64_t kAhead = 16;
  // The key of this lane's record number `index`.
  uint64_t key_at(uint64_t index) const noexcept;

  uint64_t size_;       // records in this lane
  uint64_t lane_keys_;  // keys in this lane
  uint32_t lanes_;
  uint32_t lane_;
  uint64_t seed_;
  uint64_t issued_ = 0;
};

// A sample of `n` key numbers for verification, uniform over [0, keys), repeatable by seed.
std::vector<uint64_t> sample_keys(uint64_t keys, uint64_t n, uint64_t seed);

// The verdict on one sampled key read back: `hit` and `value` as the server answered.
enum class Check : uint8_t {
  kMatch,       // the value is every record in order, or a key without records misses
  kMissing,     // the key has records but the server has no value
  kUnexpected,  // the key has no records but the server has a value
  kWrong,       // the value differs (a record lost, doubled, reordered or corrupted)
};
Check check_value(uint64_t key, uint32_t count, bool hit, std::string_view value);

}  // namespace cuckood::load::bigmem
