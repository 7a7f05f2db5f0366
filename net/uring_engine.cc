// The io_uring engine: per worker one ring, a multishot accept per listener (net/listener.h),
// one provided-buffer ring shared by the worker's connections, and per connection a multishot
// recv. A loop turn: queue this turn's sends, re-arms and cancels; one
// io_uring_submit_and_wait; handle every completion, recycling each receive buffer as soon as
// its bytes are parsed or copied; publish the recycled buffers and advance the CQ once.
// UDP sockets (-U) are served by net/udp_uring.h inside the same loop.
// Kernel: 6.0 (multishot recv, buffer rings, multishot accept); 6.1 for DEFER_TASKRUN,
// used when present (see uring_setup.h).
//
// Rules the code relies on:
//   - A multishot request stays armed while its completions carry IORING_CQE_F_MORE; it is
//     re-armed only after one arrives without it.
//   - -ENOBUFS ends a multishot recv when the buffer ring is empty: the bytes stay in the
//     socket; the recv is re-armed at the end of the turn, after this turn's buffers are
//     recycled. Nothing is dropped.
//   - A connection's slot is freed only when no request of it is in flight (`inflight` == 0),
//     so a completion never finds its slot reused.
//   - A connection's sendmsg (msghdr in UringConnection, iovecs in Connection) and the item
//     memory its slices point at stay untouched and pinned until the send's CQE: a closing
//     connection waits for it (inflight), and only then is destroyed (which unpins).
#include <liburing.h>
#include <sys/socket.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <system_error>

#include "net/buffer_ring.h"
#include "net/connection.h"
#include "net/connection_table.h"
#include "net/engine.h"
#include "net/log.h"
#include "net/udp_uring.h"
#include "net/uring_ops.h"
#include "net/uring_setup.h"

namespace cuckood::net {

namespace {

constexpr unsigned kRingEntries = 1024;
constexpr int kMaxCancelTurns = 50;  // of kDrainPoll each: a second at most
constexpr uint16_t kBufferGroup = 0;
constexpr unsigned kBufferCount = 256;     // 256 x 16 KiB: 4 MiB of address space per worker,
constexpr size_t kBufferSize = 16 * 1024;  // resident only as far as traffic touches it

__kernel_timespec to_timespec(std::chrono::milliseconds ms) noexcept {
  return {.tv_sec = ms.count() / 1000, .tv_nsec = (ms.count() % 1000) * 1'000'000};
}

struct UringConnection : ConnectionEntry {
  using ConnectionEntry::ConnectionEntry;
  msghdr send_msg{};  // the in-flight sendmsg's header: kept here until its CQE
  int inflight = 0;   // submitted requests whose last completion has not arrived
  bool recv_armed = false;
  bool recv_cancelling = false;
  bool send_inflight = false;
  bool closing = false;  // cancel sent; freed when inflight drops to 0
};

class UringLoop final : public EventLoop {
 public:
  UringLoop(WorkerState& state, std::vector<Listener> listeners, std::vector<UniqueFd> udp)
      : state_(state),
        listeners_(std::move(listeners)),
        accept_armed_(listeners_.size(), false),
        connections_(state) {
    if (const int rc = init_worker_ring(ring_, kRingEntries); rc < 0) {
      throw std::system_error(-rc, std::generic_category(), "io_uring_queue_init");
    }
    try {
      buffers_.emplace(ring_, kBufferGroup, kBufferCount, kBufferSize);
      udp_.emplace(ring_, state_.worker(), std::move(udp));
      ConnectionBook& book = state_.connections();
      book.add_receive_buffers(buffers_->buffer_count(), buffers_->bytes());
      if (const BufferRing* udp_buffers = udp_->buffers()) {
        book.add_receive_buffers(udp_buffers->buffer_count(), udp_buffers->bytes());
      }
    } catch (...) {
      buffers_.reset();
      exit_worker_ring(ring_);
      throw;
    }
  }

  // The connections are closed after the ring is gone (connections_ is destroyed after this
  // body): an in-flight sendmsg may still point into them until then.
  ~UringLoop() override {
    buffers_.reset();
    if (udp_) udp_->release_buffers();
    exit_worker_ring(ring_);  // cancels whatever is still armed
  }

  void run() noexcept override;

 private:
  io_uring_sqe* sqe() noexcept { return next_sqe(ring_); }
  void arm_accept(uint32_t listener) noexcept;
  bool any_accept_armed() const noexcept {
    return std::find(accept_armed_.begin(), accept_armed_.end(), true) != accept_armed_.end();
  }
  void handle(const io_uring_cqe& cqe) noexcept;
  void on_accept(const io_uring_cqe& cqe) noexcept;
  void on_recv(UringConnection& c, const io_uring_cqe& cqe) noexcept;
  void on_send(UringConnection& c, const io_uring_cqe& cqe) noexcept;
  void begin_stop() noexcept;
  void set_accept_backoff(bool on) noexcept;
  void end_of_turn_io() noexcept;
  void service(uint32_t slot) noexcept;

  WorkerState& state_;
  std::vector<Listener> listeners_;
  std::vector<bool> accept_armed_;  // by listener
  int stop_turns_ = 0;              // turns waited for accept cancellations after the drain
  io_uring ring_{};
  std::optional<BufferRing> buffers_;
  std::optional<UringUdp> udp_;  // outlives the ring: in-flight sends point into it
  ConnectionTable<UringConnection> connections_;
  // Out of descriptors or memory: accepting again at once would only fail again, in a busy
  // loop (WorkerState::accept_failed).
  bool accept_backoff_ = false;
};

void UringLoop::arm_accept(uint32_t listener) noexcept {
  // Blocking accepted sockets: io_uring waits for readiness itself; O_NONBLOCK would only
  // turn its internal retries into -EAGAIN completions.
  io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, listeners_[listener].fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, pack(Op::kAccept, listener));
  accept_armed_[listener] = true;
}

void UringLoop::run() noexcept {
  io_uring_sqe* s = sqe();
  io_uring_prep_poll_add(s, state_.env().stop.fd(), POLLIN);
  io_uring_sqe_set_data64(s, pack(Op::kStop));

  for (;;) {
    end_of_turn_io();
    // Once stopping, the accepts' cancellations are awaited too: until then the ring holds the
    // listening sockets open (and the kernel would keep accepting into their backlog).
    if (connections_.drained() &&
        ((!any_accept_armed() && udp_->idle()) || ++stop_turns_ > kMaxCancelTurns)) {
      break;
    }
    const std::chrono::milliseconds wait = connections_.wait_timeout();
    int rc;
    if (wait.count() == 0) {
      // A yielded connection has requests left: collect what has completed without waiting.
      // A zero timeout would still take the kernel's wait path (a timer, a sleep, a wake-up)
      // once per turn, several times the cost of the turn's requests.
      rc = io_uring_submit_and_get_events(&ring_);
    } else {
      __kernel_timespec timeout = to_timespec(wait);
      io_uring_cqe* first = nullptr;
      rc = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &timeout, nullptr);
      if (rc == -ETIME) {
        set_accept_backoff(false);
        connections_.idle_tick();
      }
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
      // Not expected from a working ring; a server missing a worker would serve some
      // connections and strand others, so the whole server stops.
      log_line("io_uring_submit_and_wait: %s; stopping", std::strerror(-rc));
      state_.env().stop.request();
      break;
    }
    unsigned head;
    unsigned count = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      handle(*cqe);
      ++count;
    }
    io_uring_cq_advance(&ring_, count);
    buffers_->publish();
    udp_->publish();
    connections_.resume_yielded();
    state_.end_turn();
  }
}

void UringLoop::handle(const io_uring_cqe& cqe) noexcept {
  const Op op = op_of(cqe.user_data);
  switch (op) {
    case Op::kAccept:
      on_accept(cqe);
      return;
    case Op::kStop:
      begin_stop();
      return;
    case Op::kIgnore:
      return;
    case Op::kUdpRecv:
      udp_->on_recv(slot_of(cqe.user_data), cqe);
      return;
    case Op::kUdpSend:
      udp_->on_send(slot_of(cqe.user_data));
      return;
    case Op::kRecv:
    case Op::kSend:
    case Op::kCancel:
      break;
  }
  const uint32_t slot = slot_of(cqe.user_data);
  UringConnection& c = connections_[slot];
  if (op == Op::kRecv) {
    on_recv(c, cqe);
  } else if (op == Op::kSend) {
    on_send(c, cqe);
  } else {
    --c.inflight;
  }
  connections_.schedule(slot);
}

void UringLoop::on_accept(const io_uring_cqe& cqe) noexcept {
  const uint32_t listener = slot_of(cqe.user_data);
  if (!(cqe.flags & IORING_CQE_F_MORE)) accept_armed_[listener] = false;  // re-armed later
  if (cqe.res < 0) {
    if (cqe.res != -ECANCELED && state_.accept_failed(-cqe.res)) set_accept_backoff(true);
    return;
  }
  const int fd = cqe.res;
  if (connections_.stopping()) {
    ::close(fd);
    return;
  }
  const uint32_t slot = connections_.admit(fd, listeners_[listener]);
  if (slot != connections_.kNoSlot) connections_.schedule(slot);  // arms its recv
}

void UringLoop::on_recv(UringConnection& c, const io_uring_cqe& cqe) noexcept {
  if (!(cqe.flags & IORING_CQE_F_MORE)) {
    c.recv_armed = false;
    c.recv_cancelling = false;
    --c.inflight;
  }
  if (cqe.flags & IORING_CQE_F_BUFFER) {
    const auto id = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    if (cqe.res > 0 && !c.closing) c.conn.receive(buffers_->data(id, static_cast<size_t>(cqe.res)));
    buffers_->recycle(id);
  }
  if (cqe.res == 0) {
    c.conn.peer_closed();
  } else if (cqe.res < 0 && cqe.res != -ENOBUFS && cqe.res != -ECANCELED) {
    c.aborted = true;  // reset by peer or another socket error
  }
}

void UringLoop::on_send(UringConnection& c, const io_uring_cqe& cqe) noexcept {
  --c.inflight;
  c.send_inflight = false;
  if (cqe.res < 0) {
    c.aborted = true;  // EPIPE, ECONNRESET: the peer is gone
    return;
  }
  c.conn.sent(static_cast<size_t>(cqe.res));
}

void UringLoop::set_accept_backoff(bool on) noexcept {
  if (on == accept_backoff_) return;
  accept_backoff_ = on;
  state_.set_accepting(!on);
}

void UringLoop::begin_stop() noexcept {
  connections_.begin_stop();
  for (uint32_t i = 0; i < listeners_.size(); ++i) {
    if (!accept_armed_[i]) continue;
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel64(s, pack(Op::kAccept, i), 0);
    io_uring_sqe_set_data64(s, pack(Op::kIgnore));
  }
}

void UringLoop::end_of_turn_io() noexcept {
  for (uint32_t i = 0; i < listeners_.size(); ++i) {
    if (!accept_armed_[i] && !connections_.stopping() && !accept_backoff_) arm_accept(i);
  }
  connections_.service_scheduled([this](uint32_t slot) { service(slot); });
  udp_->submit(connections_.stopping());
}

// Decides, once per turn, what one connection needs: its single send of the turn, a recv
// re-arm or cancel, or closing.
void UringLoop::service(uint32_t slot) noexcept {
  UringConnection& c = connections_[slot];
  Connection& conn = c.conn;
  if (connections_.done(c) && !c.send_inflight) c.closing = true;
  if (c.closing) {
    if (c.inflight == 0) {
      connections_.close(slot);
      set_accept_backoff(false);
    } else if (c.recv_armed && !c.recv_cancelling) {
      io_uring_sqe* s = sqe();
      io_uring_prep_cancel64(s, pack(Op::kRecv, slot), 0);
      io_uring_sqe_set_data64(s, pack(Op::kCancel, slot));
      ++c.inflight;
      c.recv_cancelling = true;
    }
    return;
  }
  if (!c.send_inflight && connections_.send_due(c)) {
    // One sendmsg: the reply bytes and the values sent from item memory, in order.
    const std::span<const iovec> out = conn.unsent();
    c.send_msg = {};
    c.send_msg.msg_iov = const_cast<iovec*>(out.data());
    c.send_msg.msg_iovlen = out.size();
    io_uring_sqe* s = sqe();
    io_uring_prep_sendmsg(s, conn.fd(), &c.send_msg, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, pack(Op::kSend, slot));
    ++c.inflight;
    c.send_inflight = true;
  }
  const bool want_input = conn.wants_input() && !connections_.stopping();
  if (want_input && !c.recv_armed) {
    io_uring_sqe* s = sqe();
    io_uring_prep_recv_multishot(s, conn.fd(), nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = buffers_->group();
    io_uring_sqe_set_data64(s, pack(Op::kRecv, slot));
    ++c.inflight;
    c.recv_armed = true;
  } else if (!want_input && c.recv_armed && !c.recv_cancelling) {
    // Backpressure or end of input: stop the multishot recv; bytes that still arrive
    // before the cancel lands are held by the Connection, not dropped.
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel64(s, pack(Op::kRecv, slot), 0);
    io_uring_sqe_set_data64(s, pack(Op::kCancel, slot));
    ++c.inflight;
    c.recv_cancelling = true;
  }
}

}  // namespace

std::unique_ptr<EventLoop> make_uring_loop(WorkerState& state, std::vector<Listener> listeners,
                                           std::vector<UniqueFd> udp) {
  return std::make_unique<UringLoop>(state, std::move(listeners), std::move(udp));
}

}  // namespace cuckood::net
