// Creating and destroying a worker's io_uring with the best set-up flags the kernel accepts, and
// the start-up probe that decides between the io_uring and epoll engines.
//   SINGLE_ISSUER + DEFER_TASKRUN (6.1): completions run when the worker asks for them, no
//     interrupting task work; COOP_TASKRUN (5.19) as the next best; then no flags.
#pragma once

#include <liburing.h>

namespace cuckood::net {

// Initialises `ring` (SQ of `entries`, CQ four times larger: multishot requests post many
// completions per submission). Must run on the thread that will use the ring. Returns 0 or a
// negative errno.
int init_worker_ring(io_uring& ring, unsigned entries) noexcept;

// Tears down a ring init_worker_ring set up (io_uring_queue_exit: unmaps it, cancels whatever is
// still armed).
void exit_worker_ring(io_uring& ring) noexcept;

}  // namespace cuckood::net
