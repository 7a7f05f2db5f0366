// What `stats conns` lists, as proto sees it: the server's connections and listening sockets,
// one row each, from whoever owns them (net/ implements it; proto includes no socket header);
// and what they hold, for the general `stats`.
#pragma once

#include <cstdint>
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
                             // and a UDP socket
  std::string_view state;    // "conn_listening", "conn_read", "conn_parse_cmd", ...
  cache::Time last_cmd = 0;  // when it last began a command (a listener: since it listens)
  bool udp = false;          // a UDP socket (memcached lists each as a connection in conn_read)
};

// What the connections hold, under the names of memcached's general `stats`.
struct ConnectionResources {
  std::string_view event_mechanism;  // libevent: what waits for the sockets ("epoll", ...)
  uint64_t structures = 0;           // connection_structures: listeners, UDP sockets, client slots
  uint64_t read_buffers = 0;         // read_buf_count: receive buffers the workers hold
  uint64_t read_buffer_bytes = 0;    // read_buf_bytes: their bytes
  uint64_t reserved_fds = 0;         // descriptors open for the server's own use, not clients
};

class ConnectionDirectory {
 public:
  // Calls `visit` once per connection and listening socket open now, in no particular order.
  // Thread-safe: any worker may ask about every other's connections.
  virtual void list(FunctionRef<void(const ConnectionRow&)> visit) const = 0;
  // Thread-safe; reads a few counters (and lists the process's descriptors).
  virtual ConnectionResources resources() const = 0;

 protected:
  ~ConnectionDirectory() = default;
};

}  // namespace cuckood::proto
