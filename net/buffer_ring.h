// A provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19; liburing 2.3 API): a pool of
// equal receive buffers the kernel picks from for each multishot recv completion, so an idle
// connection holds no receive buffer of its own. A buffer goes back to the kernel once its
// bytes are parsed or copied out (recycle), made visible in one batch per loop turn (publish).
//
// Threading: owned by one worker's ring.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cuckood::net {

class BufferRing {
 public:
  // `entries` is a power of two (at most 32768). Throws std::system_error.
  BufferRing(io_uring& ring, uint16_t group, unsigned entries, size_t buffer_size);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  uint16_t group() const noexcept { return group_; }
  size_t buffer_size() const noexcept { return buffer_size_; }
  size_t buffer_count() const noexcept { return static_cast<size_t>(mask_) + 1; }
  size_t bytes() const noexcept { return buffer_count() * buffer_size_; }

  // The `len` bytes the kernel put in buffer `id` (from a completion's flags).
  std::string_view data(uint16_t id, size_t len) const noexcept {
    return {buffers_ + size_t{id} * buffer_size_, len};
  }

  // Hands buffer `id` back; the kernel sees it after the next publish().
  void recycle(uint16_t id) noexcept {
    io_uring_buf_ring_add(ring_buffers_, buffers_ + size_t{id} * buffer_size_,
                          static_cast<unsigned>(buffer_size_), id, mask_, pending_++);
  }

  void publish() noexcept {
    if (pending_ == 0) return;
    io_uring_buf_ring_advance(ring_buffers_, pending_);
    pending_ = 0;
  }

 private:
  io_uring& ring_;
  uint16_t group_;
  size_t buffer_size_;
  int mask_;
  int pending_ = 0;
  size_t ring_bytes_;
  size_t buffer_bytes_;
  io_uring_buf_ring* ring_buffers_ = nullptr;
  char* buffers_ = nullptr;
};

}  // namespace cuckood::net
