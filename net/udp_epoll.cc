// See udp_epoll.h.
#include "net/udp_epoll.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

namespace cuckood::net {

namespace {

constexpr size_t kBufferSize = 64 * 1024;  // the largest UDP payload, as memcached reads
// Per readiness event: datagrams read, and sendmmsg calls of kSendBatch datagrams. What is
// left waits for the next turn (level-triggered readiness brings the socket back), so one busy
// socket cannot hold up the worker's connections.
constexpr int kMaxReadsPerEvent = 64;
constexpr int kMaxSendCallsPerEvent = 16;
constexpr size_t kSendBatch = 64;

}  // namespace

EpollUdp::EpollUdp(int epoll_fd, uint64_t tag, proto::Worker& worker, std::vector<UniqueFd> sockets)
    : epoll_fd_(epoll_fd), tag_(tag) {
  if (sockets.empty()) return;
  buffer_.resize(kBufferSize);
  for (UniqueFd& fd : sockets) {
    sockets_.push_back(std::make_unique<Socket>(std::move(fd), worker));
    Socket& s = *sockets_.back();
    epoll_event ev{};
    ev.events = s.events = EPOLLIN;
    ev.data.u64 = tag_ + sockets_.size() - 1;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, s.endpoint.fd(), &ev) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
  }
}

void EpollUdp::on_ready(uint32_t index, uint32_t events) noexcept {
  Socket& s = *sockets_[index];
  if (s.endpoint.fd() < 0) return;  // stopped earlier in the same batch of events
  if (events & (EPOLLIN | EPOLLERR)) receive_some(s);
  send_some(s);
  update_interest(index);
}

void EpollUdp::receive_some(Socket& s) noexcept {
  for (int i = 0; i < kMaxReadsPerEvent && s.endpoint.wants_input(); ++i) {
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof(peer);
    const ssize_t n = ::recvfrom(s.endpoint.fd(), buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (n < 0) return;  // EAGAIN: all read; anything else is a pending error, now cleared
    s.endpoint.receive(std::string_view(buffer_.data(), static_cast<size_t>(n)),
                       reinterpret_cast<const sockaddr*>(&peer), peer_length);
  }
}

void EpollUdp::send_some(Socket& s) noexcept {
  for (int call = 0; call < kMaxSendCallsPerEvent && s.endpoint.has_unsent(); ++call) {
    const std::span<mmsghdr> batch = s.endpoint.unsent(kSendBatch);
    const int n = ::sendmmsg(s.endpoint.fd(), batch.data(), static_cast<unsigned>(batch.size()),
                             MSG_DONTWAIT);
    if (n > 0) {
      s.endpoint.sent(static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS) {
      return;  // no room now: EPOLLOUT brings the socket back
    } else {
      s.endpoint.sent(1);  // this datagram cannot be sent (lost, as UDP may lose any)
    }
  }
}

void EpollUdp::update_interest(uint32_t index) noexcept {
  Socket& s = *sockets_[index];
  const uint32_t wanted =
      (s.endpoint.wants_input() ? EPOLLIN : 0u) | (s.endpoint.has_unsent() ? EPOLLOUT : 0u);
  if (wanted == s.events) return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.u64 = tag_ + index;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, s.endpoint.fd(), &ev);
  s.events = wanted;
}

void EpollUdp::stop() noexcept {
  for (const auto& s : sockets_) {
    send_some(*s);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, s->endpoint.fd(), nullptr);
    s->endpoint.close();
  }
}

}  // namespace cuckood::net
