// What the io_uring engine's parts share about its requests: the user_data layout that routes
// a completion back to its owner, and taking a submission entry when the queue may be full.
// Kernel: see uring_engine.cc.
#pragma once

#include <liburing.h>

#include <cstdint>

namespace cuckood::net {

// user_data: the operation in the low byte, the connection slot (the listener's or the UDP
// socket's index) above it.
enum class Op : uint8_t { kAccept, kStop, kRecv, kSend, kCancel, kIgnore, kUdpRecv, kUdpSend };
constexpr uint64_t pack(Op op, uint32_t slot = 0) noexcept {
  return (uint64_t{slot} << 8) | static_cast<uint8_t>(op);
}
constexpr Op op_of(uint64_t user_data) noexcept {
  return static_cast<Op>(user_data & 0xff);
}
constexpr uint32_t slot_of(uint64_t user_data) noexcept {
  return static_cast<uint32_t>(user_data >> 8);
}

// A free submission entry; when the queue is full, what is queued is handed to the kernel
// first (rare: the ring is sized for a turn's requests).
inline io_uring_sqe* next_sqe(io_uring& ring) noexcept {
  io_uring_sqe* s = io_uring_get_sqe(&ring);
  while (s == nullptr) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
  }
  return s;
}

}  // namespace cuckood::net
