// One client connection: a non-blocking TCP socket (under --tls with the SSL object it reads
// and writes through), its input and output buffers, and the ring of requests sent but not yet
// answered (responses come back in request order, so the ring's front is the request the next
// response answers). Owned and used by one client thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/buffer.h"
#include "bench/load/tls_client.h"

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
  // ssl: the handshaken TLS session on fd under --tls, else null (plaintext).
  Connection(int fd, int depth, SslPtr ssl = nullptr);
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

  // Receives what the socket has (until EAGAIN or a bounded number of reads, for fairness;
  // under TLS until OpenSSL needs more ciphertext, so nothing decrypted waits inside OpenSSL
  // while epoll reports the socket idle).
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
  IoStatus receive_tls() noexcept;
  IoStatus flush_tls() noexcept;
  // What SSL_read/SSL_write's result `rc` means for the connection.
  IoStatus tls_status(int rc) noexcept;

  int fd_;
  SslPtr ssl_;
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

// connect_to, then under TLS (tls not null) the handshake: a connection keeping `depth`
// requests in flight, or null with `error` set. Start-up only.
std::unique_ptr<Connection> open_connection(const std::string& host_port, int depth,
                                            const TlsClient* tls, std::string& error);

}  // namespace cuckood::load
