// `stats conns`: memcached's process_stats_conns over the rows net/ lists
// (proto/connection_directory.h), ordered by fd as memcached walks its fd-indexed table.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "proto/commands.h"

namespace cuckood::proto {

void collect_connection_stats(Worker& w, StatSink sink) {
  const ConnectionDirectory* directory = w.server.connections.load(std::memory_order_acquire);
  if (directory == nullptr) return;
  std::vector<ConnectionRow> rows;
  directory->list([&rows](const ConnectionRow& row) { rows.push_back(row); });
  std::sort(rows.begin(), rows.end(),
            [](const ConnectionRow& a, const ConnectionRow& b) { return a.fd < b.fd; });
  const cache::Time now = w.ctx.now();
  std::string name;
  const auto stat = [&](const ConnectionRow& row, std::string_view field, std::string_view value) {
    name = std::to_string(row.fd);
    name.push_back(':');
    name.append(field);
    sink(name, value);
  };
  for (const ConnectionRow& row : rows) {
    if (row.udp) stat(row, "UDP", "UDP");
    stat(row, "addr", row.addr);
    if (!row.listen_addr.empty()) stat(row, "listen_addr", row.listen_addr);
    stat(row, "state", row.state);
    stat(row, "secs_since_last_cmd",
         std::to_string(now > row.last_cmd ? now - row.last_cmd : cache::Time{0}));
  }
}

}  // namespace cuckood::proto
