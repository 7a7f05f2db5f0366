// The unconsumed tail of a connection's input: a partial request waiting for more bytes, or
// input held back while the connection's output drains. Empty for most connections most of
// the time (complete requests are parsed straight out of the receive buffer), so an idle
// connection costs no memory here. A large buffer (an announced value) comes from and goes
// back to the worker's BufferPool when one is given, so it is not faulted in afresh per value.
// No kernel feature.
#pragma once

#include <bit>
#include <cstddef>
#include <string>
#include <string_view>

#include "cache/copy_bytes.h"
#include "net/buffer_pool.h"

namespace cuckood::net {

class InputBuffer {
 public:
  // Above this capacity, an emptied buffer gives its memory back.
  static constexpr size_t kKeepCapacity = 16 * 1024;

  // `pool` (may be null: plain allocation) must outlive the buffer.
  explicit InputBuffer(BufferPool* pool = nullptr) noexcept : pool_(pool) {}
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;
  ~InputBuffer() { release(); }

  bool empty() const noexcept { return data_.size() == begin_; }
  size_t size() const noexcept { return data_.size() - begin_; }
  std::string_view view() const noexcept { return std::string_view(data_).substr(begin_); }
  size_t capacity() const noexcept { return data_.capacity(); }

  // Appends `bytes`. `wanted` is how many bytes the request at the front needs in all (0 =
  // unknown): the buffer grows to it at once, so a large value is copied once, not
  // reallocated per chunk.
  void append(std::string_view bytes, size_t wanted) {
    if (data_.size() + bytes.size() > data_.capacity()) compact();
    const size_t need = data_.size() + bytes.size();
    if (need > data_.capacity()) grow(wanted > need ? wanted : need);
    cache::append_bytes(data_, bytes);  // chunks from page-aligned ring buffers: see there
  }

  // Drops the first `n` bytes (consumed by the parser). Amortised O(n): the tail moves to the
  // front only when an append finds no room behind it.
  void consume(size_t n) noexcept {
    begin_ += n;
    if (begin_ == data_.size()) {
      begin_ = 0;
      if (data_.capacity() > kKeepCapacity) {
        release();
      } else {
        data_.clear();
      }
    }
  }

 private:
  // Moves the unconsumed tail to the front. Only when an append needs the room: a connection
  // that decodes its backlog a slice per turn (-R) while more arrives keeps a tail of many
  // requests, and moving it on every append made that quadratic.
  void compact() {
    if (begin_ == 0) return;
    data_.erase(0, begin_);
    begin_ = 0;
  }

  // Room for `capacity` bytes, from the pool when it has a buffer that large. A buffer
  // allocated here will go to the pool: it is rounded up to a power of two (up to the pool's
  // largest), so that it fits the next value of about the same size, or a get's reply for it.
  void grow(size_t capacity) {
    if (pool_ != nullptr && capacity > kKeepCapacity) {
      std::string spare = pool_->take(capacity);
      if (spare.capacity() >= capacity) {
        spare.append(data_);
        data_.swap(spare);
        return;
      }
      if (capacity <= BufferPool::kMaxCapacity) capacity = std::bit_ceil(capacity);
    }
    data_.reserve(capacity);
  }

  void release() noexcept {
    if (pool_ != nullptr) {
      pool_->give(data_);
    } else {
      std::string().swap(data_);
    }
  }

  BufferPool* pool_;
  std::string data_;
  size_t begin_ = 0;
};

}  // namespace cuckood::net
