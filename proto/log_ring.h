// A bounded byte ring of log records with one writer thread and one reader (proto/watch_log.h):
// each record is a line of text tagged with its global id (gid). The writer never waits: a
// record that does not fit is refused, and the writer decides what to make of that. The reader
// side may move from thread to thread as long as its calls are ordered (WatchLog's mutex).
//
// Synchronisation: the writer publishes a record with a release store of `head_` after its
// bytes; the reader frees space with a release store of `tail_` after it has copied a record
// out. Plain bytes in between are therefore never read and written at the same time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cuckood::proto {

class LogRing {
 public:
  // Room for `capacity` bytes of records (each costs kRecordHeader bytes more than its text).
  explicit LogRing(size_t capacity);
  LogRing(const LogRing&) = delete;
  LogRing& operator=(const LogRing&) = delete;

  static constexpr size_t kRecordHeader = sizeof(uint32_t) + sizeof(uint64_t);

  size_t capacity() const noexcept { return capacity_; }

  // Writer: whether records of `text_bytes` bytes in all (`records` of them) fit now.
  bool fits(size_t text_bytes, size_t records = 1) const noexcept;
  // Writer: appends one record whose text is the concatenation of `parts`; false (nothing
  // written) when it does not fit.
  bool push(uint64_t gid, std::initializer_list<std::string_view> parts) noexcept;

  // Reader: the gid of the oldest record, false when the ring is empty.
  bool front_gid(uint64_t& gid) const noexcept;
  // Reader: removes the oldest record (there must be one), appending its text to `out` unless
  // `keep` is false. Returns the text's size.
  size_t pop(std::string& out, bool keep = true) noexcept;
  // Reader: forgets every record published so far.
  void clear() noexcept {
    tail_.store(head_.load(std::memory_order_acquire), std::memory_order_release);
  }

 private:
  void copy_in(uint64_t pos, const void* src, size_t n) noexcept;
  void copy_out(uint64_t pos, void* dst, size_t n) const noexcept;

  const size_t capacity_;
  const std::unique_ptr<char[]> data_;
  alignas(64) std::atomic<uint64_t> head_{0};  // bytes ever written (writer's)
  alignas(64) std::atomic<uint64_t> tail_{0};  // bytes ever consumed (reader's)
};

}  // namespace cuckood::proto
