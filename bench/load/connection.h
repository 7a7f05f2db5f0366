// One client connection: a non-blocking TCP socket, its input and output buffers, and the ring
// of requests sent but not yet answered (responses come back in request order, so the ring's
// front is the request the next response answers). Owned and used by one client thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/load/buffer.h"

namespace cuckood::load {

struct Pending {
  uint64_t key;       // key number
  uint64_t start_ns;  // when the request was sent (or, under --rate, scheduled)
  uint32_t opaque;    // binary protocol: the value the response must echo
  bool is_get;
};

enum class IoStatus { kOk, kClosed, kError };

class Connection {
 public:
  Connection(int fd, int depth);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const noexcept { return fd_; }
  bool open() const noexcept { return fd_ >= 0; }
  void close() noexcept;

  // At most `depth` requests are in flight: the client thread pops a request before it issues the
  // one that replaces it (a read-through set included).
  size_t in_flight() const noexcept { return count_; }
  void push(const Pending& p) noexcept {
    ring_[(head_ + count_) % ring_.size()] = p;
    ++count_;
  }
  const Pending& front() const noexcept { return ring_[head_]; }
  void pop() noexcept {
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }

  Buffer& in() noexcept { return in_; }
  Buffer& out() noexcept { return out_; }

  // Receives what the socket has (until EAGAIN or a bounded number of reads, for fairness).
  IoStatus receive() noexcept;
  // Sends as much of out() as the socket takes.
  IoStatus flush() noexcept;

  uint32_t next_opaque() noexcept { return opaque_++; }

  // ClientThread bookkeeping: whether EPOLLOUT is armed, the next cursor/due time.
  bool write_armed = false;
  uint64_t preload_next = 0;
  uint64_t preload_end = 0;
  uint64_t due_ns = 0;

 private:
  int fd_;
  std::vector<Pending> ring_;
  size_t head_ = 0;
  size_t count_ = 0;
  Buffer in_;
  Buffer out_;
  uint32_t opaque_ = 0;
};

// Resolves "host:port" and opens a connected, non-blocking TCP socket with TCP_NODELAY.
// Returns the fd, or -1 with `error` set. Start-up only (blocking connect).
int connect_to(const std::string& host_port, std::string& error);

}  // namespace cuckood::load
