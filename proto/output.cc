#include "proto/output.h"

#include <utility>

#include "cache/copy_bytes.h"

namespace cuckood::proto {

void Output::append_value(std::string_view value) noexcept {
  if (log_values_) {
    value_spans_.push_back({bytes.size(), value.size()});
  } else if (cache_ != nullptr && value.size() >= threshold_) {
    if (const cache::PinToken pin = cache_->pin(*ctx_, value)) {
      // The vector grows rarely (its capacity is kept across replies); an allocation failure
      // here would terminate, as any std::string append on this path would.
      slices.push_back({bytes.size(), value.data(), value.size(), pin});
      slice_bytes_ += value.size();
      return;
    }
  }
  cache::append_bytes(bytes, value);
}

void Output::release_slice(OutputSlice& slice) noexcept {
  if (slice.pin) {
    cache_->unpin(*ctx_, slice.pin);
    slice.pin = {};
  }
}

void Output::truncate(size_t bytes_size) noexcept {
  while (!slices.empty() && slices.back().offset > bytes_size) {
    slice_bytes_ -= slices.back().size;
    release_slice(slices.back());
    slices.pop_back();
  }
  bytes.resize(bytes_size);
  while (!value_spans_.empty() &&
         value_spans_.back().offset + value_spans_.back().size > bytes_size) {
    value_spans_.pop_back();
  }
}

void Output::clear_slices() noexcept {
  for (OutputSlice& slice : slices) release_slice(slice);
  slices.clear();
  slice_bytes_ = 0;
}

std::string Output::flatten() const {
  std::string flat;
  flat.reserve(size());
  size_t pos = 0;
  for (const OutputSlice& slice : slices) {
    flat.append(bytes, pos, slice.offset - pos);
    flat.append(slice.data, slice.size);
    pos = slice.offset;
  }
  flat.append(bytes, pos);
  return flat;
}

void Output::swap(Output& other) noexcept {
  bytes.swap(other.bytes);
  slices.swap(other.slices);
  std::swap(cache_, other.cache_);
  std::swap(ctx_, other.ctx_);
  std::swap(threshold_, other.threshold_);
  std::swap(slice_bytes_, other.slice_bytes_);
  value_spans_.swap(other.value_spans_);
  std::swap(log_values_, other.log_values_);
}

}  // namespace cuckood::proto
