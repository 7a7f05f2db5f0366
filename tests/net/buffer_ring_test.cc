// net/buffer_ring and the io_uring idioms the engine relies on, on a socketpair: multishot
// recv picks provided buffers, stays armed (IORING_CQE_F_MORE), ends with -ENOBUFS when the
// ring is empty without losing bytes, and delivers them after recycle + re-arm.
// Skipped where io_uring is unusable (the epoll engine covers those machines).
#include "net/buffer_ring.h"

#include <gtest/gtest.h>
#include <liburing.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "net/engine.h"
#include "net/unique_fd.h"
#include "net/uring_setup.h"

namespace cuckood::net {
namespace {

class BufferRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = probe_uring(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(init_worker_ring(ring_, 16), 0);
    ring_ready_ = true;
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    ours_.reset(pair[0]);
    theirs_.reset(pair[1]);
  }
  void TearDown() override {
    if (ring_ready_) io_uring_queue_exit(&ring_);
  }

  void arm(const BufferRing& buffers) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_recv_multishot(sqe, ours_.get(), nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = buffers.group();
  }

  // Writes `bytes` and returns the next completion (copied, then marked seen).
  io_uring_cqe next(std::string_view bytes) {
    if (!bytes.empty()) {
      EXPECT_EQ(::write(theirs_.get(), bytes.data(), bytes.size()),
                static_cast<ssize_t>(bytes.size()));
    }
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec timeout{.tv_sec = 5, .tv_nsec = 0};
    EXPECT_GE(io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &timeout, nullptr), 0);
    io_uring_cqe copy = *cqe;
    io_uring_cqe_seen(&ring_, cqe);
    return copy;
  }

  io_uring ring_{};
  bool ring_ready_ = false;
  UniqueFd ours_;
  UniqueFd theirs_;
};

uint16_t buffer_id(const io_uring_cqe& cqe) {
  return static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
}

TEST_F(BufferRingTest, MultishotRecvFillsBuffersAndStaysArmed) {
  BufferRing buffers(ring_, 3, 4, 64);
  EXPECT_EQ(buffers.group(), 3);
  EXPECT_EQ(buffers.buffer_size(), 64u);
  arm(buffers);
  for (const std::string_view msg : {"hello", "world"}) {
    const io_uring_cqe cqe = next(msg);
    ASSERT_EQ(cqe.res, static_cast<int>(msg.size()));
    EXPECT_TRUE(cqe.flags & IORING_CQE_F_MORE);
    ASSERT_TRUE(cqe.flags & IORING_CQE_F_BUFFER);
    EXPECT_EQ(buffers.data(buffer_id(cqe), static_cast<size_t>(cqe.res)), msg);
    buffers.recycle(buffer_id(cqe));
    buffers.publish();
  }
}

TEST_F(BufferRingTest, EmptyRingEndsRecvWithEnobufsAndKeepsTheBytes) {
  BufferRing buffers(ring_, 0, 2, 64);
  arm(buffers);
  std::vector<uint16_t> held;
  for (const std::string_view msg : {"one", "two"}) {
    const io_uring_cqe cqe = next(msg);
    ASSERT_EQ(cqe.res, 3);
    held.push_back(buffer_id(cqe));
  }
  const io_uring_cqe empty = next("three");
  EXPECT_EQ(empty.res, -ENOBUFS);
  EXPECT_FALSE(empty.flags & IORING_CQE_F_MORE);  // the engine must re-arm
  for (const uint16_t id : held) buffers.recycle(id);
  buffers.publish();
  arm(buffers);
  const io_uring_cqe cqe = next("");
  ASSERT_EQ(cqe.res, 5);
  EXPECT_EQ(buffers.data(buffer_id(cqe), 5), "three");
}

TEST_F(BufferRingTest, PeerCloseEndsRecvWithZero) {
  BufferRing buffers(ring_, 0, 2, 64);
  arm(buffers);
  theirs_.reset();
  const io_uring_cqe cqe = next("");
  EXPECT_EQ(cqe.res, 0);
  EXPECT_FALSE(cqe.flags & IORING_CQE_F_MORE);
}

}  // namespace
}  // namespace cuckood::net
