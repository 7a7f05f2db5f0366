// A growable byte buffer with a read and a write position, for one connection's input or output.
// prepare() hands out uninitialised space (no zero-filling of values about to be overwritten);
// storage grows geometrically and is reused, so a steady-state run allocates nothing.
// Single-threaded; pointers into it are invalidated by prepare() and compact().
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace cuckood::load {

class Buffer {
 public:
  explicit Buffer(size_t capacity = 16384) : data_(new char[capacity]), capacity_(capacity) {}

  std::string_view readable() const noexcept { return {data_.get() + read_, write_ - read_}; }
  size_t size() const noexcept { return write_ - read_; }
  bool empty() const noexcept { return read_ == write_; }

  void consume(size_t n) noexcept {
    read_ += n;
    if (read_ == write_) read_ = write_ = 0;
  }

  // At least n writable bytes at the returned pointer; commit() what was written.
  char* prepare(size_t n) {
    if (capacity_ - write_ < n) make_room(n);
    return data_.get() + write_;
  }
  void commit(size_t n) noexcept { write_ += n; }
  size_t writable() const noexcept { return capacity_ - write_; }

  void append(std::string_view s) {
    std::memcpy(prepare(s.size()), s.data(), s.size());
    commit(s.size());
  }

 private:
  void make_room(size_t n) {
    const size_t live = write_ - read_;
    if (read_ > 0 && capacity_ - live >= n && live <= capacity_ / 2) {
      std::memmove(data_.get(), data_.get() + read_, live);  // slide instead of growing
    } else {
      size_t cap = capacity_ * 2;
      while (cap - live < n) cap *= 2;
      std::unique_ptr<char[]> bigger(new char[cap]);
      std::memcpy(bigger.get(), data_.get() + read_, live);
      data_ = std::move(bigger);
      capacity_ = cap;
    }
    read_ = 0;
    write_ = live;
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_;
  size_t read_ = 0;
  size_t write_ = 0;
};

}  // namespace cuckood::load
