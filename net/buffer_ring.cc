// See buffer_ring.h. Both the ring and the buffers are anonymous mappings: page-aligned as the
// kernel requires of the ring, and only touched pages count towards RSS.
#include "net/buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <system_error>

namespace cuckood::net {

namespace {
void* map_anonymous(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
  return p;
}
}  // namespace

BufferRing::BufferRing(io_uring& ring, uint16_t group, unsigned entries, size_t buffer_size)
    : ring_(ring),
      group_(group),
      buffer_size_(buffer_size),
      mask_(io_uring_buf_ring_mask(entries)),
      ring_bytes_(entries * sizeof(io_uring_buf)),
      buffer_bytes_(entries * buffer_size) {
  ring_buffers_ = static_cast<io_uring_buf_ring*>(map_anonymous(ring_bytes_));
  try {
    buffers_ = static_cast<char*>(map_anonymous(buffer_bytes_));
  } catch (...) {
    ::munmap(ring_buffers_, ring_bytes_);
    throw;
  }
  io_uring_buf_ring_init(ring_buffers_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring_buffers_);
  reg.ring_entries = entries;
  reg.bgid = group;
  if (const int rc = io_uring_register_buf_ring(&ring_, &reg, 0); rc != 0) {
    ::munmap(buffers_, buffer_bytes_);
    ::munmap(ring_buffers_, ring_bytes_);
    throw std::system_error(-rc, std::generic_category(), "io_uring_register_buf_ring");
  }
  for (unsigned id = 0; id < entries; ++id) recycle(static_cast<uint16_t>(id));
  publish();
}

BufferRing::~BufferRing() {
  io_uring_unregister_buf_ring(&ring_, group_);
  ::munmap(buffers_, buffer_bytes_);
  ::munmap(ring_buffers_, ring_bytes_);
}

}  // namespace cuckood::net
