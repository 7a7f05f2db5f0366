// The epoll engine's UDP part (memcached's -U): per UDP socket of the worker, datagrams read
// with recvfrom (up to a turn's worth per readiness event, each answered at once) and the
// replies sent in batches with sendmmsg. Level-triggered, like the rest of the engine: EPOLLIN
// while the socket's reply backlog allows reading, EPOLLOUT while replies wait for room.
// Kernel: epoll, sendmmsg (3.0).
//
// Threading: owned by one worker's loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/udp_endpoint.h"
#include "net/unique_fd.h"
#include "proto/worker.h"

namespace cuckood::net {

class EpollUdp {
 public:
  // Adds each socket to `epoll_fd` with event data `tag` + its index. Throws std::system_error.
  EpollUdp(int epoll_fd, uint64_t tag, proto::Worker& worker, std::vector<UniqueFd> sockets);
  EpollUdp(const EpollUdp&) = delete;
  EpollUdp& operator=(const EpollUdp&) = delete;

  // Bytes of its receive buffer; 0 without sockets.
  size_t buffer_bytes() const noexcept { return buffer_.size(); }

  // epoll reported `events` for socket `index`.
  void on_ready(uint32_t index, uint32_t events) noexcept;

  // Stop: what is queued is sent as far as the sockets take it at once, then they are closed.
  void stop() noexcept;

 private:
  struct Socket {
    Socket(UniqueFd fd, proto::Worker& worker) noexcept : endpoint(std::move(fd), worker) {}
    UdpEndpoint endpoint;
    uint32_t events = 0;  // current interest
  };

  void receive_some(Socket& s) noexcept;
  void send_some(Socket& s) noexcept;
  void update_interest(uint32_t index) noexcept;

  int epoll_fd_;
  uint64_t tag_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::vector<char> buffer_;  // one datagram at a time
};

}  // namespace cuckood::net
