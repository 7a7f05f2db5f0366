// `stats conns`' source (proto/connection_directory.h), kept by net/: the listening and UDP
// sockets, fixed at start-up, and per worker a book of the connections it owns. Each connection
// publishes its own state and last command time (ConnectionInfo: relaxed stores by its
// worker, once per event); a book changes only when its worker admits or closes a
// connection, under the book's mutex, which list() also takes. A connection leaves its book
// before its fd is closed, so list() may ask the kernel for the addresses of every fd in a
// book it holds without racing a close and a reuse of the number.
//
// A book also carries what `stats` reports of its worker (resources()): the connection slots
// its table has allocated and the receive buffers its engine holds, each a relaxed store by
// the worker when it changes (a table growing, an engine starting).
//
// Threading: a book's add/remove/set_* from its worker's thread; list() and resources() from
// any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
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

  // The connection slots the worker's table has allocated (memcached's connection structures,
  // which it never frees either).
  void set_slots(size_t slots) noexcept { slots_.store(slots, std::memory_order_relaxed); }
  // Receive buffers the worker's engine holds for good: `count` more of `bytes` in all.
  void add_receive_buffers(size_t count, size_t bytes) noexcept {
    receive_buffers_.store(receive_buffers_.load(std::memory_order_relaxed) + count,
                           std::memory_order_relaxed);
    receive_buffer_bytes_.store(receive_buffer_bytes_.load(std::memory_order_relaxed) + bytes,
                                std::memory_order_relaxed);
  }

 private:
  friend class NetDirectory;
  mutable std::mutex mutex_;
  std::vector<const ConnectionInfo*> infos_;
  std::atomic<uint64_t> slots_{0};
  std::atomic<uint64_t> receive_buffers_{0};
  std::atomic<uint64_t> receive_buffer_bytes_{0};
};

class NetDirectory final : public proto::ConnectionDirectory {
 public:
  // A listening or UDP socket, as its row shows it.
  struct ListenerRow {
    int fd;
    std::string addr;  // "tcp:0.0.0.0:11211", "unix:/path", "udp:0.0.0.0:11211"
    bool udp = false;
  };
  NetDirectory(std::vector<ListenerRow> listeners, cache::Time started)
      : listeners_(std::move(listeners)), started_(started) {}

  // A book for a new worker (start-up); it lives as long as the directory.
  ConnectionBook& add_worker();
  // What waits for the sockets ("io_uring", "epoll"): set once at start-up, before any
  // worker runs.
  void set_event_mechanism(std::string_view name) noexcept { event_mechanism_ = name; }

  void list(FunctionRef<void(const proto::ConnectionRow&)> visit) const override;
  // reserved_fds: the descriptors open in the process less the client connections listed in
  // the books, counted a moment apart (a connection opening or closing in between moves it
  // by one).
  proto::ConnectionResources resources() const override;

 private:
  const std::vector<ListenerRow> listeners_;
  std::string_view event_mechanism_;
  const cache::Time started_;
  mutable std::mutex mutex_;  // books_ membership
  std::deque<ConnectionBook> books_;
};

// memcached's text of a socket address: "tcp:1.2.3.4:5", "tcp6:[::1]:5", "unix:/path"; a UDP
// socket's "udp:" and "udp6:". `sockaddr` is a `const sockaddr*` of `length` bytes (kept
// opaque here).
std::string socket_address_text(const void* sockaddr, unsigned length, bool udp = false);

}  // namespace cuckood::net
