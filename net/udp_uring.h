// The io_uring engine's UDP part (memcached's -U): per UDP socket of the worker, one multishot
// recvmsg selecting from a buffer ring of its own (a datagram can be 64 KiB, four times the TCP
// receive buffers) and one sendmsg per reply datagram. The engine routes the completions
// tagged Op::kUdpRecv / Op::kUdpSend here (net/uring_ops.h) and calls submit() once per turn.
// Kernel: 6.0 (multishot recvmsg with provided buffers), like the rest of the engine.
//
// Rules the code relies on (as in uring_engine.cc): a multishot recvmsg is re-armed only after
// a completion without IORING_CQE_F_MORE; -ENOBUFS leaves the datagrams queued in the socket
// until the re-arm; a batch of sends (the msghdrs UdpEndpoint::unsent handed out) stays
// untouched until every one of its completions has arrived.
//
// Threading: owned by one worker's loop.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "net/buffer_ring.h"
#include "net/udp_endpoint.h"
#include "net/unique_fd.h"
#include "proto/worker.h"

namespace cuckood::net {

class UringUdp {
 public:
  // No sockets (UDP off): registers nothing. Throws std::system_error.
  UringUdp(io_uring& ring, proto::Worker& worker, std::vector<UniqueFd> sockets);
  UringUdp(const UringUdp&) = delete;
  UringUdp& operator=(const UringUdp&) = delete;

  // Its receive buffers; null without sockets.
  const BufferRing* buffers() const noexcept { return buffers_ ? &*buffers_ : nullptr; }

  // Unregisters the buffer ring: call before the ring exits.
  void release_buffers() noexcept { buffers_.reset(); }

  // A completion of socket `index`'s recvmsg or of one of its sends.
  void on_recv(uint32_t index, const io_uring_cqe& cqe) noexcept;
  void on_send(uint32_t index) noexcept;

  // Once per turn: queues each socket's sends, re-arms its recvmsg (or, once `stopping`,
  // cancels it).
  void submit(bool stopping) noexcept;

  // Hands this turn's recycled receive buffers back to the kernel.
  void publish() noexcept {
    if (buffers_) buffers_->publish();
  }

  // Nothing in flight and nothing left to send: the loop may end.
  bool idle() const noexcept;

 private:
  struct Socket {
    Socket(UniqueFd fd, proto::Worker& worker) noexcept : endpoint(std::move(fd), worker) {}
    UdpEndpoint endpoint;
    msghdr recv_msg{};  // the multishot recvmsg's layout: room for the sender's address
    bool recv_armed = false;
    bool recv_cancelling = false;
    size_t sends_inflight = 0;  // of the batch unsent() handed out
    size_t batch = 0;
  };

  io_uring& ring_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::optional<BufferRing> buffers_;
};

}  // namespace cuckood::net
