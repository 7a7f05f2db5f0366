// See udp_uring.h.
#include "net/udp_uring.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <string_view>
#include <system_error>
#include <utility>

#include "net/uring_ops.h"

namespace cuckood::net {

namespace {

constexpr uint16_t kBufferGroup = 1;  // the TCP receive buffers are group 0
constexpr unsigned kBufferCount = 16;
// The recvmsg header, the sender's address and the largest datagram (memcached reads UDP into
// 64 KiB too).
constexpr size_t kBufferSize = 68 * 1024;
static_assert(kBufferSize >= sizeof(io_uring_recvmsg_out) + sizeof(sockaddr_storage) + 65536);
// Reply datagrams queued per socket per turn: a large reply goes out over several turns, so
// other work is not held up behind it.
constexpr size_t kMaxSendsPerTurn = 128;

// io_uring waits for a blocking socket's readiness itself; a non-blocking one would turn its
// internal retries into -EAGAIN completions.
void make_blocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    throw std::system_error(errno, std::generic_category(), "fcntl");
  }
}

}  // namespace

UringUdp::UringUdp(io_uring& ring, proto::Worker& worker, std::vector<UniqueFd> sockets)
    : ring_(ring) {
  if (sockets.empty()) return;
  for (UniqueFd& fd : sockets) {
    make_blocking(fd.get());
    sockets_.push_back(std::make_unique<Socket>(std::move(fd), worker));
    sockets_.back()->recv_msg.msg_namelen = sizeof(sockaddr_storage);
  }
  buffers_.emplace(ring_, kBufferGroup, kBufferCount, kBufferSize);
}

void UringUdp::on_recv(uint32_t index, const io_uring_cqe& cqe) noexcept {
  Socket& s = *sockets_[index];
  if (!(cqe.flags & IORING_CQE_F_MORE)) {
    s.recv_armed = false;
    s.recv_cancelling = false;
  }
  if (!(cqe.flags & IORING_CQE_F_BUFFER)) return;  // an error or the end of the multishot
  const auto id = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  if (cqe.res > 0) {
    void* buffer = const_cast<char*>(buffers_->data(id, static_cast<size_t>(cqe.res)).data());
    io_uring_recvmsg_out* out = io_uring_recvmsg_validate(buffer, cqe.res, &s.recv_msg);
    // A truncated datagram (longer than any UDP payload over IPv4) is not a request.
    if (out != nullptr && !(out->flags & MSG_TRUNC)) {
      const auto* payload = static_cast<const char*>(io_uring_recvmsg_payload(out, &s.recv_msg));
      const unsigned length =
          io_uring_recvmsg_payload_length(out, static_cast<int>(cqe.res), &s.recv_msg);
      s.endpoint.receive(std::string_view(payload, length),
                         static_cast<const sockaddr*>(io_uring_recvmsg_name(out)), out->namelen);
    }
  }
  buffers_->recycle(id);
}

void UringUdp::on_send(uint32_t index) noexcept {
  Socket& s = *sockets_[index];
  // A failed send is a lost datagram, as UDP may lose any; the client times out or retries.
  if (--s.sends_inflight == 0) {
    s.endpoint.sent(s.batch);
    s.batch = 0;
  }
}

void UringUdp::submit(bool stopping) noexcept {
  for (uint32_t i = 0; i < sockets_.size(); ++i) {
    Socket& s = *sockets_[i];
    if (s.sends_inflight == 0 && s.endpoint.has_unsent()) {
      for (mmsghdr& m : s.endpoint.unsent(kMaxSendsPerTurn)) {
        io_uring_sqe* sqe = next_sqe(ring_);
        io_uring_prep_sendmsg(sqe, s.endpoint.fd(), &m.msg_hdr, 0);
        io_uring_sqe_set_data64(sqe, pack(Op::kUdpSend, i));
        ++s.batch;
      }
      s.sends_inflight = s.batch;
    }
    const bool want_input = !stopping && s.endpoint.wants_input();
    if (want_input && !s.recv_armed) {
      io_uring_sqe* sqe = next_sqe(ring_);
      io_uring_prep_recvmsg_multishot(sqe, s.endpoint.fd(), &s.recv_msg, 0);
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = kBufferGroup;
      io_uring_sqe_set_data64(sqe, pack(Op::kUdpRecv, i));
      s.recv_armed = true;
    } else if (!want_input && s.recv_armed && !s.recv_cancelling) {
      io_uring_sqe* sqe = next_sqe(ring_);
      io_uring_prep_cancel64(sqe, pack(Op::kUdpRecv, i), 0);
      io_uring_sqe_set_data64(sqe, pack(Op::kIgnore));
      s.recv_cancelling = true;
    }
  }
}

bool UringUdp::idle() const noexcept {
  for (const auto& s : sockets_) {
    if (s->recv_armed || s->sends_inflight != 0 || s->endpoint.has_unsent()) return false;
  }
  return true;
}

}  // namespace cuckood::net
