#include "bench/load/client_thread.h"

#include <sys/epoll.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "bench/load/binary_client.h"
#include "bench/load/text_client.h"
#include "bench/load/value_codec.h"

namespace cuckood::load {
namespace {

// How long requests still in flight at the end may take before they count as timeouts.
constexpr uint64_t kDrainNs = 2'000'000'000;
// How long a thread's connections may all go without a reply while requests are in flight
// before the server counts as stalled (they become timeouts and the phase ends): without it a
// stalled server would keep a preload or a --requests run waiting forever.
constexpr uint64_t kStallNs = 5'000'000'000;
// Longest sleep in epoll: bounds how late the loop notices the end of the window.
constexpr uint64_t kMaxWaitNs = 50'000'000;
constexpr int kMaxEvents = 256;

}  // namespace

uint64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

ClientThread::ClientThread(const Options& options, const KeySampler& sampler, int depth,
                           uint64_t seed)
    : opt_(options),
      sampler_(sampler),
      depth_(depth),
      rng_(seed),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
  get_threshold_ =
      options.get_ratio >= 1.0 ? UINT64_MAX : static_cast<uint64_t>(options.get_ratio * 0x1.0p64);
  pace_interval_ns_ =
      options.rate > 0 ? static_cast<uint64_t>(1e9 * options.connections / options.rate) : 0;
}

ClientThread::~ClientThread() {
  conns_.clear();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool ClientThread::connect(const std::vector<std::string>& addresses, const TlsClient* tls,
                           std::string& error) {
  if (epoll_fd_ < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  for (const std::string& address : addresses) {
    std::unique_ptr<Connection> c = open_connection(address, depth_, tls, error);
    if (!c) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c.get();
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->fd(), &ev) != 0) {
      error = std::string("epoll_ctl: ") + std::strerror(errno);
      return false;
    }
    conns_.push_back(std::move(c));
  }
  open_conns_ = conns_.size();
  return true;
}

void ClientThread::preload(uint64_t lo, uint64_t hi) {
  for (auto& c : conns_) {
    c->preload_next = lo;
    c->preload_end = hi;
  }
  window_ = Window{};
  loop(Mode::kPreload);
}

void ClientThread::run(const Window& window) {
  window_ = window;
  const uint64_t now = now_ns();
  // Spread the first paced request of each connection over one interval.
  for (auto& c : conns_) c->due_ns = now + (pace_interval_ns_ ? rng_.below(pace_interval_ns_) : 0);
  loop(Mode::kLoad);
}

void ClientThread::loop(Mode mode) {
  stopping_ = false;
  uint64_t now = now_ns();
  progress_ns_ = now;
  if (mode == Mode::kLoad && pace_interval_ns_) {
    issue_paced(now);
  } else {
    for (auto& c : conns_) {
      refill(*c, now, mode);
      send(*c);
    }
  }
  epoll_event events[kMaxEvents];
  while (true) {
    now = now_ns();
    if (mode == Mode::kLoad && !stopping_ && now >= window_.end_ns) begin_stop(now);
    // Refill issues whenever it can, so nothing in flight outside the paced load means done.
    if (in_flight_ == 0 && (stopping_ || mode == Mode::kPreload || open_conns_ == 0)) break;
    if ((stopping_ && now >= drain_deadline_ns_) ||
        (in_flight_ > 0 && now > progress_ns_ + kStallNs)) {
      counters_.timeouts += in_flight_;
      break;
    }
    if (mode == Mode::kLoad && pace_interval_ns_ && !stopping_) issue_paced(now);
    const uint64_t wait = next_timeout_ns(now_ns());
    timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    int n = epoll_pwait2(epoll_fd_, events, kMaxEvents, &ts, nullptr);
    if (n < 0 && errno != EINTR) {
      counters_.timeouts += in_flight_;  // cannot wait for them any more
      break;
    }
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Connection*>(events[i].data.ptr);
      if (c->open()) handle(*c, events[i].events, mode);
    }
  }
}

uint64_t ClientThread::next_timeout_ns(uint64_t now) const noexcept {
  uint64_t until = now + kMaxWaitNs;
  if (stopping_)
    until = std::min(until, drain_deadline_ns_);
  else if (window_.end_ns != UINT64_MAX)
    until = std::min(until, window_.end_ns);
  if (pace_interval_ns_ && !stopping_) {
    for (const auto& c : conns_)
      if (c->open() && c->in_flight() < static_cast<size_t>(depth_))
        until = std::min(until, c->due_ns);
  }
  return until > now ? until - now : 0;
}

void ClientThread::handle(Connection& c, uint32_t events, Mode mode) {
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    const IoStatus status = c.receive();
    const uint64_t now = now_ns();
    if (!drain_replies(c, now, mode)) return;
    if (status != IoStatus::kOk) {
      drop(c, counters_.disconnects);
      return;
    }
    if (!stopping_ && !(mode == Mode::kLoad && pace_interval_ns_)) refill(c, now, mode);
  }
  if (c.open()) send(c);
}

bool ClientThread::drain_replies(Connection& c, uint64_t now, Mode mode) {
  while (c.in_flight() > 0) {
    const Pending p = c.front();
    const Expected expected{p.is_get, key_of(p.key), p.opaque};
    Reply reply;
    const std::string_view input = c.in().readable();
    const ParseStatus status = opt_.protocol == Protocol::kText
                                   ? text::parse(input, expected, reply)
                                   : binary::parse(input, expected, reply);
    if (status == ParseStatus::kNeedMore) break;
    if (status == ParseStatus::kInvalid) {
      drop(c, counters_.protocol_errors);
      return false;
    }
    c.pop();
    --in_flight_;
    complete(c, p, reply, now, mode);
    c.in().consume(reply.consumed);
  }
  return true;
}

void ClientThread::complete(Connection& c, const Pending& p, const Reply& reply, uint64_t now,
                            Mode mode) {
  progress_ns_ = now;
  if (reply.kind == ReplyKind::kError) ++counters_.server_errors;
  if (reply.kind == ReplyKind::kHit && !verify_value(key_of(p.key), reply.value))
    ++counters_.mismatches;
  const bool measured =
      mode == Mode::kPreload || (now >= window_.measure_start_ns && now <= window_.end_ns);
  if (measured) {
    ++counters_.requests;
    ++(p.is_get ? counters_.gets : counters_.sets);
    switch (reply.kind) {
      case ReplyKind::kHit:
        ++counters_.hits;
        break;
      case ReplyKind::kMiss:
        ++counters_.misses;
        break;
      case ReplyKind::kNotStored:
        ++counters_.not_stored;
        break;
      case ReplyKind::kStored:
      case ReplyKind::kError:
        break;
    }
    latency_.record(now > p.start_ns ? now - p.start_ns : 0);
    last_completion_ns_ = now;
  }
  if (reply.kind == ReplyKind::kMiss && opt_.read_through && !stopping_)
    issue(c, p.key, /*is_get=*/false, now, mode);
}

void ClientThread::refill(Connection& c, uint64_t now, Mode mode) {
  const size_t depth = static_cast<size_t>(depth_);
  if (mode == Mode::kPreload) {
    while (c.in_flight() < depth && c.preload_next < c.preload_end)
      issue(c, c.preload_next++, /*is_get=*/false, now, mode);
    return;
  }
  while (c.in_flight() < depth && !stopping_)
    issue(c, sampler_.next(rng_), rng_.next() < get_threshold_, now, mode);
}

void ClientThread::issue_paced(uint64_t now) {
  const size_t depth = static_cast<size_t>(depth_);
  for (auto& c : conns_) {
    if (!c->open()) continue;
    bool issued = false;
    while (!stopping_ && c->in_flight() < depth && c->due_ns <= now) {
      issue(*c, sampler_.next(rng_), rng_.next() < get_threshold_, c->due_ns, Mode::kLoad);
      c->due_ns += pace_interval_ns_;
      issued = true;
    }
    if (issued) send(*c);
  }
}

void ClientThread::issue(Connection& c, uint64_t key, bool is_get, uint64_t start_ns, Mode mode) {
  const std::string_view k = key_of(key);
  const uint32_t opaque = c.next_opaque();
  if (opt_.protocol == Protocol::kText) {
    if (is_get)
      text::append_get(c.out(), k);
    else
      text::append_set(c.out(), k, value_length());
  } else {
    if (is_get)
      binary::append_get(c.out(), k, opaque);
    else
      binary::append_set(c.out(), k, value_length(), opaque);
  }
  c.push(Pending{key, start_ns, opaque, is_get});
  if (in_flight_++ == 0) progress_ns_ = start_ns;  // an idle spell ends: the stall clock restarts
  if (mode == Mode::kLoad && start_ns >= window_.measure_start_ns && window_.quota &&
      ++issued_in_window_ >= window_.quota)
    begin_stop(start_ns);
}

void ClientThread::send(Connection& c) {
  if (c.flush() != IoStatus::kOk) {
    drop(c, counters_.disconnects);
    return;
  }
  const bool want_write = !c.out().empty();
  if (want_write == c.write_armed) return;
  epoll_event ev{};
  ev.events = want_write ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  ev.data.ptr = &c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd(), &ev);
  c.write_armed = want_write;
}

void ClientThread::drop(Connection& c, uint64_t& reason) {
  ++reason;
  in_flight_ -= c.in_flight();
  while (c.in_flight() > 0) c.pop();
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd(), nullptr);
  c.close();
  --open_conns_;
}

void ClientThread::begin_stop(uint64_t now) noexcept {
  stopping_ = true;
  drain_deadline_ns_ = now + kDrainNs;
}

std::string_view ClientThread::key_of(uint64_t key) noexcept {
  format_key(key, opt_.key_size, key_buf_);
  return {key_buf_, static_cast<size_t>(opt_.key_size)};
}

uint32_t ClientThread::value_length() noexcept {
  if (opt_.value_min == opt_.value_max) return opt_.value_min;
  return opt_.value_min + static_cast<uint32_t>(rng_.below(opt_.value_max - opt_.value_min + 1));
}

}  // namespace cuckood::load
