// What `stats conns` lists, as proto sees it: the server's connections and listening sockets,
// one row each, from whoever owns them (net/ implements it; proto includes no socket header).
#pragma once

#include <string>
#include <string_view>

#include "cache/function_ref.h"
#include "cache/types.h"

namespace cuckood::proto {

// One connection or listening socket, in memcached's words (its conn_to_str and state_text).
struct ConnectionRow {
  int fd = -1;
  std::string addr;          // "tcp:127.0.0.1:5000", "unix:/path", ...
  std::string listen_addr;   // the local address of a client connection; empty for a listener
  std::string_view state;    // "conn_listening", "conn_read", "conn_parse_cmd", ...
  cache::Time last_cmd = 0;  // when it last began a command (a listener: since it listens)
};

class ConnectionDirectory {
 public:
  // Calls `visit` once per connection and listening socket open now, in no particular order.
  // Thread-safe: any worker may ask about every other's connections.
  virtual void list(FunctionRef<void(const ConnectionRow&)> visit) const = 0;

 protected:
  ~ConnectionDirectory() = default;
};

}  // namespace cuckood::proto
