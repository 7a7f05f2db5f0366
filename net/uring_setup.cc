// See uring_setup.h and engine.h (probe_uring). The probe runs the exact feature set the
// engine uses — a multishot recv selecting from a registered buffer ring — on a socketpair,
// because no probe opcode tells multishot recv (6.0) apart from plain recv.
#include "net/uring_setup.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>

#include "cache/sanitizer.h"
#include "net/buffer_ring.h"
#include "net/engine.h"
#include "net/unique_fd.h"

// liburing maps and unmaps a ring's queues with raw system calls, out of ThreadSanitizer's
// sight: a ring mapped where a finished worker's ring was (a fast shutdown while another worker
// is still starting) would look like a race on the reused addresses. The kernel orders the
// unmap before the map; ring_unmapping() and ring_mapped() tell the sanitizer so, through one
// token every teardown releases and every set-up acquires.
#ifdef CUCKOOD_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace cuckood::net {

namespace {

#ifdef CUCKOOD_TSAN
char ring_mappings_token;
void ring_mapped() noexcept {
  __tsan_acquire(&ring_mappings_token);
}
void ring_unmapping() noexcept {
  __tsan_release(&ring_mappings_token);
}
#else
void ring_mapped() noexcept {}
void ring_unmapping() noexcept {}
#endif

}  // namespace

int init_worker_ring(io_uring& ring, unsigned entries) noexcept {
  constexpr unsigned kFlagChoices[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int rc = -EINVAL;
  for (const unsigned flags : kFlagChoices) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    params.cq_entries = entries * 4;
    rc = io_uring_queue_init_params(entries, &ring, &params);
    if (rc == 0) ring_mapped();
    if (rc != -EINVAL) return rc;  // success, or a reason no flag choice will fix
  }
  return rc;
}

void exit_worker_ring(io_uring& ring) noexcept {
  ring_unmapping();
  io_uring_queue_exit(&ring);
}

namespace {

std::string describe(const char* what, int negative_errno) {
  return std::string(what) + ": " + std::strerror(-negative_errno);
}

std::string probe_multishot_recv(io_uring& ring) {
  std::optional<BufferRing> buffers;
  try {
    buffers.emplace(ring, 0, 2, 64);
  } catch (const std::system_error& e) {
    return std::string("provided buffer rings: ") + e.what();
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return describe("socketpair", -errno);
  }
  const UniqueFd ours(pair[0]);
  const UniqueFd theirs(pair[1]);
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_recv_multishot(sqe, ours.get(), nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers->group();
  if (::write(theirs.get(), "x", 1) != 1) return describe("write", -errno);
  io_uring_cqe* cqe = nullptr;
  __kernel_timespec timeout{.tv_sec = 1, .tv_nsec = 0};
  if (const int rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &timeout, nullptr); rc < 0) {
    return describe("io_uring_submit_and_wait_timeout", rc);
  }
  if (cqe->res < 0) return describe("multishot recv", cqe->res);
  if (cqe->res != 1 || !(cqe->flags & IORING_CQE_F_MORE)) return "multishot recv unsupported";
  io_uring_cqe_seen(&ring, cqe);
  return {};
}

}  // namespace

std::string probe_uring() {
  io_uring ring;
  if (const int rc = init_worker_ring(ring, 8); rc < 0) return describe("io_uring_setup", rc);
  std::string reason = probe_multishot_recv(ring);
  exit_worker_ring(ring);  // also cancels the probe's still-armed recv
  return reason;
}

}  // namespace cuckood::net
