// One generator thread: its connections, an epoll loop over them, and what it measured.
//
// Closed loop: each connection keeps `depth` requests in flight; every response is answered at
// once by the next request (a get miss by a set of the same key under --read-through), and all
// requests a connection gains in one loop turn leave in one send(). Under --rate the requests
// are paced instead, and latency runs from each request's scheduled time, so a stalled server
// shows up in the percentiles instead of merely slowing the generator down (no coordinated
// omission).
//
// Counting: throughput, hit ratio and latency cover responses received inside the measured
// window; errors and value mismatches are counted over the whole run, warm-up included. A
// thread whose requests in flight get no reply for 5 s counts them as timeouts and stops.
// A ClientThread is used by one thread at a time; the KeySampler it reads is shared read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/connection.h"
#include "bench/load/counters.h"
#include "bench/load/histogram.h"
#include "bench/load/key_sampler.h"
#include "bench/load/options.h"
#include "bench/load/reply.h"
#include "bench/load/rng.h"

namespace cuckood::load {

// CLOCK_MONOTONIC in nanoseconds: the clock of every timestamp the generator takes.
uint64_t now_ns() noexcept;

// The measured window on the now_ns() clock.
struct Window {
  uint64_t measure_start_ns = 0;
  uint64_t end_ns = UINT64_MAX;  // stop issuing here...
  uint64_t quota = 0;            // ...or after this many requests issued in the window (if > 0)
};

class ClientThread {
 public:
  // depth: requests in flight per connection (the preload uses its own, deeper pipeline).
  ClientThread(const Options& options, const KeySampler& sampler, int depth, uint64_t seed);
  ~ClientThread();
  ClientThread(const ClientThread&) = delete;
  ClientThread& operator=(const ClientThread&) = delete;

  // Opens one connection per address (an address may repeat), over TLS when tls is not null
  // (it must outlive the connections). Start-up only.
  bool connect(const std::vector<std::string>& addresses, const TlsClient* tls, std::string& error);

  // Sets keys [lo, hi) once over every connection, i.e. once on every server connected.
  void preload(uint64_t lo, uint64_t hi);

  // Runs the load until the window ends, then drains the requests still in flight.
  void run(const Window& window);

  const Counters& counters() const noexcept { return counters_; }
  const Histogram& latency() const noexcept { return latency_; }
  uint64_t last_completion_ns() const noexcept { return last_completion_ns_; }

 private:
  enum class Mode { kPreload, kLoad };

  void loop(Mode mode);
  void handle(Connection& c, uint32_t events, Mode mode);
  bool drain_replies(Connection& c, uint64_t now, Mode mode);
  void complete(Connection& c, const Pending& p, const Reply& reply, uint64_t now, Mode mode);
  void refill(Connection& c, uint64_t now, Mode mode);
  void issue_paced(uint64_t now);
  void issue(Connection& c, uint64_t key, bool is_get, uint64_t start_ns, Mode mode);
  void send(Connection& c);
  void drop(Connection& c, uint64_t& reason);
  void begin_stop(uint64_t now) noexcept;
  uint64_t next_timeout_ns(uint64_t now) const noexcept;
  std::string_view key_of(uint64_t key) noexcept;
  uint32_t value_length() noexcept;

  const Options& opt_;
  const KeySampler& sampler_;
  const int depth_;
  Rng rng_;
  int epoll_fd_;
  std::vector<std::unique_ptr<Connection>> conns_;
  size_t open_conns_ = 0;
  uint64_t in_flight_ = 0;
  uint64_t get_threshold_;     // rng_.next() below this means get
  uint64_t pace_interval_ns_;  // per connection under --rate, else 0
  Window window_;
  uint64_t issued_in_window_ = 0;
  bool stopping_ = false;
  uint64_t drain_deadline_ns_ = 0;
  uint64_t last_completion_ns_ = 0;
  uint64_t progress_ns_ = 0;  // the last reply, or the issue that ended an idle spell
  Counters counters_;
  Histogram latency_;
  char key_buf_[256];
};

}  // namespace cuckood::load
