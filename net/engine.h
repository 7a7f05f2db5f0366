// The interface both I/O engines implement: one EventLoop per worker thread, serving the
// connections its own listener accepts. Both share the connection logic (net/connection.h),
// the connection slots, closing and stop drain (net/connection_table.h) and the per-worker
// duties (net/worker_state.h); they differ only in how bytes move.
//   - io_uring (uring_engine.cc): Linux 6.0+ (multishot recv with provided buffers).
//   - epoll (epoll_engine.cc): any Linux; the fallback when io_uring is unusable.
// Each also serves the worker's UDP sockets (net/udp_endpoint.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net/listener.h"
#include "net/worker_state.h"

namespace cuckood::net {

// After a stop, how long a worker keeps sending responses already produced before it closes
// the remaining connections regardless.
inline constexpr std::chrono::milliseconds kDrainTimeout{500};

// Longest sleep of an idle worker: it still passes a quiescent point (cache reclamation) and
// refreshes the cache clock this often.
inline constexpr std::chrono::milliseconds kIdleTick{100};

class EventLoop {
 public:
  virtual ~EventLoop() = default;

  // Serves until the stop signal fires; then stops accepting and reading, sends the output
  // already produced (up to kDrainTimeout) and closes every connection.
  virtual void run() noexcept = 0;
};

// Both construct on the worker thread that will run the loop (an io_uring with
// SINGLE_ISSUER belongs to the thread that created it). Throw std::system_error.
// `listeners` and `udp` (its UDP sockets, -U) are this worker's (net/listener.h); none is
// allowed (nothing to accept, UDP off).
std::unique_ptr<EventLoop> make_uring_loop(WorkerState& state, std::vector<Listener> listeners,
                                           std::vector<UniqueFd> udp);
std::unique_ptr<EventLoop> make_epoll_loop(WorkerState& state, std::vector<Listener> listeners,
                                           std::vector<UniqueFd> udp);

// Empty if this process can run the io_uring engine (ring set-up, multishot recv into a
// provided buffer ring, tried on a socketpair); otherwise why not, for the fallback log line.
std::string probe_uring();

}  // namespace cuckood::net
