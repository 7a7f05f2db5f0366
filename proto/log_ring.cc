// See log_ring.h. A record is its text length (uint32), its gid (uint64), then the text; a
// record may wrap around the end of the buffer.
#include "proto/log_ring.h"

#include <algorithm>
#include <cstring>

namespace cuckood::proto {

LogRing::LogRing(size_t capacity) : capacity_(capacity), data_(new char[capacity]) {}

bool LogRing::fits(size_t text_bytes, size_t records) const noexcept {
  const uint64_t used =
      head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_acquire);
  return used + text_bytes + records * kRecordHeader <= capacity_;
}

bool LogRing::push(uint64_t gid, std::initializer_list<std::string_view> parts) noexcept {
  size_t size = 0;
  for (const std::string_view part : parts) size += part.size();
  if (!fits(size)) return false;
  uint64_t pos = head_.load(std::memory_order_relaxed);
  const auto length = static_cast<uint32_t>(size);
  copy_in(pos, &length, sizeof(length));
  copy_in(pos + sizeof(length), &gid, sizeof(gid));
  pos += kRecordHeader;
  for (const std::string_view part : parts) {
    copy_in(pos, part.data(), part.size());
    pos += part.size();
  }
  head_.store(pos, std::memory_order_release);
  return true;
}

bool LogRing::front_gid(uint64_t& gid) const noexcept {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  if (head_.load(std::memory_order_acquire) == tail) return false;
  copy_out(tail + sizeof(uint32_t), &gid, sizeof(gid));
  return true;
}

size_t LogRing::pop(std::string& out, bool keep) noexcept {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  uint32_t length = 0;
  copy_out(tail, &length, sizeof(length));
  if (keep) {
    const size_t at = out.size();
    out.resize(at + length);
    copy_out(tail + kRecordHeader, out.data() + at, length);
  }
  tail_.store(tail + kRecordHeader + length, std::memory_order_release);
  return length;
}

void LogRing::copy_in(uint64_t pos, const void* src, size_t n) noexcept {
  if (n == 0) return;  // an empty part's data() may be null, which memcpy must not get
  const size_t at = pos % capacity_;
  const size_t first = std::min(n, capacity_ - at);
  std::memcpy(data_.get() + at, src, first);
  std::memcpy(data_.get(), static_cast<const char*>(src) + first, n - first);
}

void LogRing::copy_out(uint64_t pos, void* dst, size_t n) const noexcept {
  const size_t at = pos % capacity_;
  const size_t first = std::min(n, capacity_ - at);
  std::memcpy(dst, data_.get() + at, first);
  std::memcpy(static_cast<char*>(dst) + first, data_.get(), n - first);
}

}  // namespace cuckood::proto
