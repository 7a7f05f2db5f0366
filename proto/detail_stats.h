// `stats detail`: per key prefix (the key up to the first -D delimiter; keys without one are
// not counted) the gets, hits, sets and deletes, as memcached's stats_prefix.c. Each worker
// records in its own table, so counting writes nothing shared between workers; `stats detail
// dump` merges the tables.
//
// Thread-safety: record_*() by the owning worker only; dump_into() and clear() from any thread.
// The owner takes the table's mutex per record, uncontended unless a dump or reset runs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cuckood::proto {

struct PrefixCounts {
  uint64_t gets = 0;
  uint64_t hits = 0;
  uint64_t sets = 0;
  uint64_t deletes = 0;
};

class DetailStats {
 public:
  void record_get(std::string_view key, char delimiter, bool hit);
  void record_set(std::string_view key, char delimiter);
  void record_delete(std::string_view key, char delimiter);

  // Adds this table's counts to `into`, by prefix.
  void dump_into(std::map<std::string, PrefixCounts, std::less<>>& into) const;
  void clear();

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  // The counts of the prefix of `key`, or nullptr when the key has no delimiter. Locked.
  PrefixCounts* find_locked(std::string_view key, char delimiter);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, PrefixCounts, Hash, std::equal_to<>> table_;
};

// The `stats detail dump` text of `prefixes`: "PREFIX <p> get <n> hit <n> set <n> del <n>"
// lines, then END.
std::string format_detail_dump(const std::map<std::string, PrefixCounts, std::less<>>& prefixes);

}  // namespace cuckood::proto
