// A sequence of at most N trivially copyable values kept inline, whose unused slots are never
// initialised. The codecs build these per read or per request (tokens, the keys of a batch,
// their hashes), and value-initialising every slot each time would cost more than filling the
// few that a request uses.
#pragma once

#include <cstddef>
#include <new>
#include <span>
#include <type_traits>

namespace cuckood::proto {

template <typename T, size_t N>
class FixedVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  static constexpr size_t kCapacity = N;

  FixedVector() noexcept {}  // leaves the slots uninitialised on purpose; copies are bytewise

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool full() const noexcept { return size_ == N; }
  void clear() noexcept { size_ = 0; }

  // The caller checks full() first.
  void push_back(const T& value) noexcept {
    ::new (&storage_[size_ * sizeof(T)]) T(value);
    ++size_;
  }

  // Appends a default-initialised value (a caller fills it in place, sparing a copy of a
  // large T). The caller checks full() first.
  T& emplace_back() noexcept {
    T* value = ::new (&storage_[size_ * sizeof(T)]) T;
    ++size_;
    return *value;
  }

  // The caller checks empty() first.
  void pop_back() noexcept { --size_; }

  const T* data() const noexcept { return std::launder(reinterpret_cast<const T*>(storage_)); }
  T* data() noexcept { return std::launder(reinterpret_cast<T*>(storage_)); }
  // Only below size().
  const T& operator[](size_t i) const noexcept { return data()[i]; }
  T& operator[](size_t i) noexcept { return data()[i]; }
  std::span<const T> span() const noexcept { return {data(), size_}; }

 private:
  alignas(T) std::byte storage_[N * sizeof(T)];
  size_t size_ = 0;
};

}  // namespace cuckood::proto
