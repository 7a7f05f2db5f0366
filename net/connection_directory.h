// `stats conns`' source (proto/connection_directory.h), kept by net/: the listening sockets,
// fixed at start-up, and per worker a book of the connections it owns. Each connection
// publishes its own state and last command time (ConnectionInfo: relaxed stores by its
// worker, once per event); a book changes only when its worker admits or closes a
// connection, under the book's mutex, which list() also takes. A connection leaves its book
// before its fd is closed, so list() may ask the kernel for the addresses of every fd in a
// book it holds without racing a close and a reuse of the number.
//
// Threading: a book's add/remove from its worker's thread; list() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "cache/types.h"
#include "proto/connection_directory.h"

namespace cuckood::net {

// memcached's connection states, as `stats conns` names them (its state_text).
enum class ConnState : uint8_t {
  kNewCmd,    // accepted, nothing received yet
  kParseCmd,  // its requests are being answered now
  kRead,      // waiting for a request (or the rest of one)
  kNread,     // waiting for the rest of a value whose length a request line announced
  kMwrite,    // reading held back until its replies drain
  kClosing,   // closing once its replies are sent
  kWatch,     // a `watch` connection: only receives log lines
};
std::string_view state_name(ConnState state) noexcept;

// What a connection publishes about itself.
class ConnectionInfo {
 public:
  ConnectionInfo(int fd, bool unix_socket, cache::Time now) noexcept
      : fd_(fd), unix_socket_(unix_socket), last_cmd_(now) {}

  int fd() const noexcept { return fd_; }
  bool unix_socket() const noexcept { return unix_socket_; }

  // By its worker: one relaxed store each.
  void set_state(ConnState state) noexcept { state_.store(state, std::memory_order_relaxed); }
  void set_last_cmd(cache::Time now) noexcept { last_cmd_.store(now, std::memory_order_relaxed); }

  ConnState state() const noexcept { return state_.load(std::memory_order_relaxed); }
  cache::Time last_cmd() const noexcept { return last_cmd_.load(std::memory_order_relaxed); }

 private:
  const int fd_;
  const bool unix_socket_;
  std::atomic<ConnState> state_{ConnState::kNewCmd};
  std::atomic<cache::Time> last_cmd_;
};

// One worker's connections.
class ConnectionBook {
 public:
  void add(const ConnectionInfo& info);
  void remove(const ConnectionInfo& info) noexcept;

 private:
  friend class NetDirectory;
  mutable std::mutex mutex_;
  std::vector<const ConnectionInfo*> infos_;
};

class NetDirectory final : public proto::ConnectionDirectory {
 public:
  // A listening socket, as its row shows it.
  struct ListenerRow {
    int fd;
    std::string addr;  // "tcp:0.0.0.0:11211", "unix:/path"
  };
  NetDirectory(std::vector<ListenerRow> listeners, cache::Time started)
      : listeners_(std::move(listeners)), started_(started) {}

  // A book for a new worker (start-up); it lives as long as the directory.
  ConnectionBook& add_worker();

  void list(FunctionRef<void(const proto::ConnectionRow&)> visit) const override;

 private:
  const std::vector<ListenerRow> listeners_;
  const cache::Time started_;
  mutable std::mutex mutex_;  // books_ membership
  std::deque<ConnectionBook> books_;
};

// memcached's text of a socket address: "tcp:1.2.3.4:5", "tcp6:[::1]:5", "unix:/path".
// `sockaddr` is a `const sockaddr*` of `length` bytes (kept opaque here).
std::string socket_address_text(const void* sockaddr, unsigned length);

}  // namespace cuckood::net
