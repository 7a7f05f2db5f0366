// An array whose address space is reserved for `capacity` elements up front and whose elements
// are constructed on demand (grow_to), so that memory is touched only for elements in use. The
// segment store keeps its per-segment metadata in these: `cache_memlimit` may grow the store at
// run time, and elements never move, so lock-free readers keep their references.
//
// Thread-safety: grow_to() must be serialized by the caller; elements already constructed may
// be used concurrently with it.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace cuckood::cache {

template <class T>
class ReservedArray {
 public:
  // Throws std::bad_alloc if the address space cannot be reserved (start-up only).
  explicit ReservedArray(size_t capacity) : capacity_(capacity) {
    void* memory = mmap(nullptr, bytes(), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<T*>(memory);
  }
  ~ReservedArray() {
    for (size_t i = 0; i < size_; ++i) data_[i].~T();
    munmap(data_, bytes());
  }
  ReservedArray(const ReservedArray&) = delete;
  ReservedArray& operator=(const ReservedArray&) = delete;

  // Constructs the elements [size(), n); n is clamped to the capacity.
  void grow_to(size_t n) noexcept {
    for (; size_ < n && size_ < capacity_; ++size_) ::new (&data_[size_]) T();
  }

  T& operator[](size_t i) const noexcept { return data_[i]; }
  size_t size() const noexcept { return size_; }
  size_t capacity() const noexcept { return capacity_; }

 private:
  size_t bytes() const noexcept { return capacity_ == 0 ? sizeof(T) : capacity_ * sizeof(T); }

  T* data_ = nullptr;
  size_t capacity_;
  size_t size_ = 0;
};

}  // namespace cuckood::cache
