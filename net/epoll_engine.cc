// The epoll engine: the same behaviour as the io_uring engine on any Linux (and the fallback
// when io_uring is disabled or too old). Level-triggered: per turn, at most one read of up to
// 64 KiB per readable connection (parsed in place in the worker's read buffer) and one sendmsg
// per connection with output, then interest updated — EPOLLIN only while the connection
// wants input (backpressure), EPOLLOUT only while output is due (ConnectionTable::send_due).
// UDP sockets (-U): net/udp_epoll.h.
// Kernel: epoll (2.6), accept4 (2.6.28).
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "net/connection.h"
#include "net/connection_table.h"
#include "net/engine.h"
#include "net/log.h"
#include "net/udp_epoll.h"

namespace cuckood::net {

namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
constexpr int kMaxEvents = 256;
constexpr int kMaxAcceptsPerTurn = 64;  // others wait one turn; served connections keep pace

// epoll_event.data: a connection's slot (< 2^32), kListenerTag + a listener's index, kUdpTag +
// a UDP socket's index, or the stop.
constexpr uint64_t kListenerTag = uint64_t{1} << 40;
constexpr uint64_t kUdpTag = uint64_t{1} << 48;
constexpr uint64_t kStopTag = UINT64_MAX;

struct EpollConnection : ConnectionEntry {
  using ConnectionEntry::ConnectionEntry;
  uint32_t events = EPOLLIN;  // current interest
};

class EpollLoop final : public EventLoop {
 public:
  EpollLoop(WorkerState& state, std::vector<Listener> listeners, std::vector<UniqueFd> udp)
      : state_(state),
        listeners_(std::move(listeners)),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)),
        read_buffer_(kReadBufferSize),
        connections_(state) {
    if (!epoll_.valid()) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    udp_.emplace(epoll_.get(), kUdpTag, state_.worker(), std::move(udp));
    state_.connections().add_receive_buffers(1, read_buffer_.size());
    if (udp_->buffer_bytes() != 0)
      state_.connections().add_receive_buffers(1, udp_->buffer_bytes());
    for (size_t i = 0; i < listeners_.size(); ++i) {
      watch(listeners_[i].fd.get(), EPOLLIN, kListenerTag + i);
    }
    watch(state_.env().stop.fd(), EPOLLIN, kStopTag);
  }

  void run() noexcept override;

 private:
  void watch(int fd, uint32_t events, uint64_t tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
  }
  void accept_some(const Listener& listener) noexcept;
  void set_accept_backoff(bool on) noexcept;
  void on_ready(uint32_t slot, uint32_t events) noexcept;
  void begin_stop() noexcept;
  void service(uint32_t slot) noexcept;

  WorkerState& state_;
  std::vector<Listener> listeners_;
  UniqueFd epoll_;
  std::vector<char> read_buffer_;
  std::optional<EpollUdp> udp_;                   // after epoll_, which it registers with
  ConnectionTable<EpollConnection> connections_;  // closed before epoll_ and the listeners
  // Out of descriptors or memory (WorkerState::accept_failed): the listeners leave the epoll
  // set, else level-triggered readiness spins.
  bool accept_backoff_ = false;
};

void EpollLoop::run() noexcept {
  epoll_event events[kMaxEvents];
  for (;;) {
    connections_.service_scheduled([this](uint32_t slot) { service(slot); });
    if (connections_.drained()) break;
    const auto timeout = connections_.wait_timeout();
    const int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, static_cast<int>(timeout.count()));
    if (n < 0 && errno != EINTR) {
      log_line("epoll_wait: %s; stopping", std::strerror(errno));  // as in the io_uring loop
      state_.env().stop.request();
      break;
    }
    if (n == 0) {
      set_accept_backoff(false);
      connections_.idle_tick();
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kStopTag) {
        begin_stop();
      } else if (tag >= kUdpTag) {
        udp_->on_ready(static_cast<uint32_t>(tag - kUdpTag), events[i].events);
      } else if (tag >= kListenerTag) {
        accept_some(listeners_[tag - kListenerTag]);
      } else {
        on_ready(static_cast<uint32_t>(tag), events[i].events);
      }
    }
    connections_.resume_yielded();
    state_.end_turn();
  }
}

void EpollLoop::accept_some(const Listener& listener) noexcept {
  for (int i = 0; i < kMaxAcceptsPerTurn && !connections_.stopping() && !accept_backoff_; ++i) {
    const int fd = ::accept4(listener.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err != EAGAIN && err != EINTR && state_.accept_failed(err)) set_accept_backoff(true);
      return;
    }
    const uint32_t slot = connections_.admit(fd, listener);
    if (slot == connections_.kNoSlot) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = slot;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) connections_.close(slot);
  }
}

void EpollLoop::set_accept_backoff(bool on) noexcept {
  if (on == accept_backoff_ || connections_.stopping()) return;
  accept_backoff_ = on;
  state_.set_accepting(!on);
  for (size_t i = 0; i < listeners_.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerTag + i;
    ::epoll_ctl(epoll_.get(), on ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, listeners_[i].fd.get(), &ev);
  }
}

void EpollLoop::on_ready(uint32_t slot, uint32_t events) noexcept {
  EpollConnection& c = connections_[slot];
  if (events & EPOLLERR) {
    c.aborted = true;
  } else if (c.conn.wants_input() && !connections_.stopping() && (events & (EPOLLIN | EPOLLHUP))) {
    const ssize_t n = ::recv(c.conn.fd(), read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      c.conn.receive(std::string_view(read_buffer_.data(), static_cast<size_t>(n)));
    } else if (n == 0) {
      c.conn.peer_closed();
    } else if (errno != EAGAIN && errno != EINTR) {
      c.aborted = true;
    }
  } else if (events & EPOLLHUP) {
    c.aborted = true;  // both directions are gone: nothing can be sent any more
  }
  connections_.schedule(slot);
}

void EpollLoop::begin_stop() noexcept {
  connections_.begin_stop();
  // Closed at once: the kernel stops completing connections for them.
  for (Listener& listener : listeners_) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener.fd.get(), nullptr);
    listener.fd.reset();
  }
  udp_->stop();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, state_.env().stop.fd(), nullptr);
}

// Once per turn per active connection: its single send, then close or update interest.
void EpollLoop::service(uint32_t slot) noexcept {
  EpollConnection& c = connections_[slot];
  Connection& conn = c.conn;
  if (!c.aborted && connections_.send_due(c)) {
    // One sendmsg: the reply bytes and the values sent from item memory, in order.
    const std::span<const iovec> out = conn.unsent();
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(out.data());
    msg.msg_iovlen = out.size();
    const ssize_t n = ::sendmsg(conn.fd(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      conn.sent(static_cast<size_t>(n));
    } else if (errno != EAGAIN && errno != EINTR) {
      c.aborted = true;  // EPIPE, ECONNRESET: the peer is gone
    }
  }
  if (connections_.done(c)) {
    connections_.close(slot);  // also leaves the epoll set
    set_accept_backoff(false);
    return;
  }
  const uint32_t wanted = (conn.wants_input() && !connections_.stopping() ? EPOLLIN : 0u) |
                          (connections_.send_due(c) ? EPOLLOUT : 0u);
  if (wanted != c.events) {
    epoll_event ev{};
    ev.events = wanted;
    ev.data.u64 = slot;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, conn.fd(), &ev);
    c.events = wanted;
  }
}

}  // namespace

std::unique_ptr<EventLoop> make_epoll_loop(WorkerState& state, std::vector<Listener> listeners,
                                           std::vector<UniqueFd> udp) {
  return std::make_unique<EpollLoop>(state, std::move(listeners), std::move(udp));
}

}  // namespace cuckood::net
