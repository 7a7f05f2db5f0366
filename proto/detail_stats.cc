#include "proto/detail_stats.h"

namespace cuckood::proto {

PrefixCounts* DetailStats::find_locked(std::string_view key, char delimiter) {
  // As memcached: the prefix ends at the first delimiter; a NUL ends the search.
  size_t length = 0;
  while (length < key.size() && key[length] != '\0' && key[length] != delimiter) ++length;
  if (length == key.size() || key[length] != delimiter) return nullptr;
  const std::string_view prefix = key.substr(0, length);
  if (const auto it = table_.find(prefix); it != table_.end()) return &it->second;
  return &table_.try_emplace(std::string(prefix)).first->second;
}

void DetailStats::record_get(std::string_view key, char delimiter, bool hit) {
  std::lock_guard lock(mutex_);
  if (PrefixCounts* counts = find_locked(key, delimiter)) {
    ++counts->gets;
    if (hit) ++counts->hits;
  }
}

void DetailStats::record_set(std::string_view key, char delimiter) {
  std::lock_guard lock(mutex_);
  if (PrefixCounts* counts = find_locked(key, delimiter)) ++counts->sets;
}

void DetailStats::record_delete(std::string_view key, char delimiter) {
  std::lock_guard lock(mutex_);
  if (PrefixCounts* counts = find_locked(key, delimiter)) ++counts->deletes;
}

void DetailStats::dump_into(std::map<std::string, PrefixCounts, std::less<>>& into) const {
  std::lock_guard lock(mutex_);
  for (const auto& [prefix, counts] : table_) {
    PrefixCounts& sum = into[prefix];
    sum.gets += counts.gets;
    sum.hits += counts.hits;
    sum.sets += counts.sets;
    sum.deletes += counts.deletes;
  }
}

void DetailStats::clear() {
  std::lock_guard lock(mutex_);
  table_.clear();
}

std::string format_detail_dump(const std::map<std::string, PrefixCounts, std::less<>>& prefixes) {
  std::string out;
  for (const auto& [prefix, c] : prefixes) {
    out += "PREFIX " + prefix + " get " + std::to_string(c.gets) + " hit " +
           std::to_string(c.hits) + " set " + std::to_string(c.sets) + " del " +
           std::to_string(c.deletes) + "\r\n";
  }
  out += "END\r\n";
  return out;
}

}  // namespace cuckood::proto
