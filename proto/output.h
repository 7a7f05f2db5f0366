// A connection's response bytes plus external slices: values sent straight from item memory.
//
// A get's value of at least `slice_threshold` bytes is not copied into `bytes`: the codec pins
// it in the cache (Cache::pin, from inside the visitor) and records a slice {offset into
// `bytes` where the value goes, pointer, length, pin}. net/ sends `bytes` and the slices
// interleaved in order with one sendmsg and unpins each slice as soon as it is sent; flatten()
// gives the bytes a client receives. A failing pin (the cache pins nothing, or its bound on
// pinned memory is reached) falls back to the copy, so every reply is the same either way.
// Codec code that only appends text keeps using `bytes` (a std::string&); only the value
// appends go through append_value().
//
// Lifetime: slices stay valid until released (release_slice, truncate, clear, or the
// destructor), which must happen on the worker's thread while its cache context exists.
// Threading: one connection's, used by its worker's thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache.h"

namespace cuckood::proto {

// Values from this size on are sent from item memory: below it the pin/unpin and an extra
// iovec cost more than the copy.
inline constexpr size_t kDefaultSliceThreshold = 16 * 1024;

// Where append_value put a value's bytes in Output::bytes (while values are logged).
struct ValueSpan {
  size_t offset;
  size_t size;
};

struct OutputSlice {
  size_t offset;  // position in Output::bytes before which the slice's bytes go
  const char* data;
  size_t size;
  cache::PinToken pin;  // empty once released
};

class Output {
 public:
  Output() = default;
  ~Output() { clear_slices(); }
  Output(Output&& other) noexcept { swap(other); }
  Output& operator=(Output&& other) noexcept {
    swap(other);
    return *this;
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Lets append_value() pin values of at least `threshold` bytes in `cache` (with `ctx`, the
  // worker's). Without it (the default) every value is copied.
  void enable_slices(cache::Cache& cache, cache::WorkerContext& ctx,
                     size_t threshold = kDefaultSliceThreshold) noexcept {
    cache_ = &cache;
    ctx_ = &ctx;
    threshold_ = threshold;
  }
  // -vv: while on, the following values are copied into `bytes` (never sliced) and where each
  // one went is recorded (value_spans()), so a log reads the replies in `bytes` and leaves
  // value data out without parsing them. Off: nothing is recorded.
  void log_values(bool on) noexcept { log_values_ = on; }
  // Ordered by offset; emptied by clear(), cut back by truncate().
  const std::vector<ValueSpan>& value_spans() const noexcept { return value_spans_; }

  // Appends an item's value; call only from inside the visitor that handed out `value`.
  void append_value(std::string_view value) noexcept;

  // Bytes plus slice bytes: what the client will receive.
  size_t size() const noexcept { return bytes.size() + slice_bytes_; }
  bool empty() const noexcept { return bytes.empty() && slices.empty(); }

  // Cuts the reply back to `bytes_size` bytes of `bytes` (a voided multi-get), releasing the
  // slices that were to follow them.
  void truncate(size_t bytes_size) noexcept;
  // Unpins one slice (its bytes were sent); the slice stays in the list, empty-pinned.
  void release_slice(OutputSlice& slice) noexcept;
  // Releases every slice and empties the output; `bytes` keeps its capacity.
  void clear() noexcept {
    clear_slices();
    bytes.clear();
    value_spans_.clear();
  }

  // The bytes a client receives: `bytes` with every slice inserted at its offset (tests).
  std::string flatten() const;

  void swap(Output& other) noexcept;

  std::string bytes;
  std::vector<OutputSlice> slices;

 private:
  void clear_slices() noexcept;

  cache::Cache* cache_ = nullptr;
  cache::WorkerContext* ctx_ = nullptr;
  size_t threshold_ = kDefaultSliceThreshold;
  size_t slice_bytes_ = 0;
  std::vector<ValueSpan> value_spans_;
  bool log_values_ = false;
};

}  // namespace cuckood::proto
