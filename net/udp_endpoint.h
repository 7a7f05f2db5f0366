// One worker's UDP socket (memcached's -U), whichever engine runs it: each datagram received
// is answered at once (proto/udp_responder.h) and its reply datagrams wait here, addressed to
// the datagram's sender, until the engine has sent them. Replies collect in one batch while the
// engine sends the previous one, so what unsent() hands out stays put until sent().
// No socket calls here: the engine owns the I/O.
//
// Threading: used by its worker's thread only.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/unique_fd.h"
#include "proto/udp_frame.h"
#include "proto/udp_responder.h"
#include "proto/worker.h"

namespace cuckood::net {

class UdpEndpoint {
 public:
  // Reply bytes waiting to be sent beyond which requests are dropped unanswered (the engines
  // also stop reading): a client that cannot be answered fast enough must not make the server
  // hold its replies without bound. UDP may lose requests; the client sees a miss.
  static constexpr size_t kMaxBacklog = size_t{4} << 20;

  UdpEndpoint(UniqueFd fd, proto::Worker& worker) noexcept
      : fd_(std::move(fd)), responder_(worker) {}
  UdpEndpoint(const UdpEndpoint&) = delete;
  UdpEndpoint& operator=(const UdpEndpoint&) = delete;

  int fd() const noexcept { return fd_.get(); }
  // Closes the socket (epoll's stop); what is queued is dropped.
  void close() noexcept { fd_.reset(); }

  // `datagram` (used only during the call) came from `peer`.
  void receive(std::string_view datagram, const sockaddr* peer, socklen_t peer_length) noexcept;

  bool wants_input() const noexcept { return backlog_ < kMaxBacklog; }
  bool has_unsent() const noexcept {
    return sending_.sent < sending_.messages.size() || !filling_.spans.empty();
  }

  // Up to `max` reply datagrams to send next, each a complete message header (address, one
  // iovec); they and the memory they point at stay unchanged until sent() (io_uring reads
  // them asynchronously), whatever arrives meanwhile. Empty when nothing waits.
  std::span<mmsghdr> unsent(size_t max) noexcept;

  // The first `count` datagrams of unsent() are done with: sent, or lost (a UDP send that
  // fails is not retried, as in memcached).
  void sent(size_t count) noexcept;

 private:
  struct Peer {
    sockaddr_storage address;
    socklen_t length;
  };
  // Reply datagrams back to back in `bytes`; spans[i] went to peers[peer_of[i]].
  struct Batch {
    std::string bytes;
    std::vector<proto::UdpDatagramSpan> spans;
    std::vector<uint32_t> peer_of;
    std::vector<Peer> peers;
    std::vector<iovec> iovecs;      // built when the batch is handed to the engine
    std::vector<mmsghdr> messages;  // likewise
    size_t sent = 0;                // of messages
    void clear() noexcept;
  };

  void start_sending() noexcept;

  UniqueFd fd_;
  proto::UdpResponder responder_;
  Batch filling_;       // receive() appends here
  Batch sending_;       // handed to the engine
  size_t backlog_ = 0;  // reply bytes of both batches not yet sent
};

}  // namespace cuckood::net
