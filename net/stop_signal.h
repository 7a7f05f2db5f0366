// The server's stop switch. SIGINT and SIGTERM are blocked and read through a signalfd by the
// thread that waits (no signal handler at all); any thread may also request a stop (the
// `shutdown` command). Either way an eventfd becomes readable, and every worker watches it
// with its own poll (io_uring poll or epoll), so one write wakes them all.
// Kernel: signalfd (2.6.22), eventfd (2.6.22).
#pragma once

#include <signal.h>

#include "net/unique_fd.h"

namespace cuckood::net {

class StopSignal {
 public:
  // Blocks SIGINT/SIGTERM in the calling thread; create it before starting worker threads so
  // that they inherit the mask. Throws std::system_error.
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Readable once a stop was requested; watch it, never read it. Thread-safe.
  int fd() const noexcept { return event_fd_.get(); }

  // Thread-safe, idempotent.
  void request() noexcept;

  // Blocks until SIGINT/SIGTERM or request(); returns the signal number, or 0 for a request.
  int wait() noexcept;

 private:
  sigset_t old_mask_;
  UniqueFd event_fd_;
  UniqueFd signal_fd_;
};

}  // namespace cuckood::net
