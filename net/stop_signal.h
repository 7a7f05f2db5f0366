// The server's stop switch and signals, as memcached 1.6 treats them: SIGINT and SIGTERM stop
// the server, SIGUSR1 stops it gracefully (logged as memcached logs it; both drain what was
// already answered), SIGHUP runs the hang-up handler if one is set (memcached reloads its -Y
// file then) and is otherwise logged and ignored. The four are blocked and read
// through a signalfd by the thread that waits (no signal handler at all); any thread may also
// request a stop (the `shutdown` command). Either way an eventfd becomes readable, and every
// worker watches it with its own poll (io_uring poll or epoll), so one write wakes them all.
// Kernel: signalfd (2.6.22), eventfd (2.6.22).
#pragma once

#include <signal.h>

#include <functional>

#include "net/unique_fd.h"

namespace cuckood::net {

class StopSignal {
 public:
  // Blocks SIGINT/SIGTERM/SIGUSR1/SIGHUP in the calling thread; create it before starting
  // worker threads so that they inherit the mask. Throws std::system_error.
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Readable once a stop was requested; watch it, never read it. Thread-safe.
  int fd() const noexcept { return event_fd_.get(); }

  // Thread-safe, idempotent.
  void request() noexcept;

  // What a SIGHUP does, on the thread in wait(); set before wait() runs.
  void on_hangup(std::function<void()> handler) { hangup_ = std::move(handler); }

  // Blocks until SIGINT, SIGTERM, SIGUSR1 or request(); returns the signal number, or 0 for a
  // request. A SIGHUP meanwhile runs the hang-up handler and is waited past.
  int wait() noexcept;

 private:
  sigset_t old_mask_;
  UniqueFd event_fd_;
  UniqueFd signal_fd_;
  std::function<void()> hangup_;
};

}  // namespace cuckood::net
