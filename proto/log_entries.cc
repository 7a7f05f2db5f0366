// See log_entries.h.
#include "proto/log_entries.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace cuckood::proto {

namespace {

// A line built on the stack: a watched server formats each entry without allocating. Room for
// the longest key (250 bytes, uri-encoded to 750) and the fields around it; anything beyond
// is cut, never overrun.
class Line {
 public:
  Line& append(std::string_view text) noexcept {
    const size_t n = std::min(text.size(), sizeof(buf_) - size_);
    if (n != 0) std::memcpy(buf_ + size_, text.data(), n);
    size_ += n;
    return *this;
  }
  void push_back(char c) noexcept {
    if (size_ < sizeof(buf_)) buf_[size_++] = c;
  }
  template <class T>
  Line& number(T value) noexcept {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
    return append(std::string_view(digits, static_cast<size_t>(end - digits)));
  }
  Line& key(std::string_view bytes) noexcept;
  std::string_view view() const noexcept { return {buf_, size_}; }

 private:
  char buf_[1024];
  size_t size_ = 0;
};

// memcached's uriencode over `bytes`, calling `emit` per output byte.
template <class Emit>
void uri_encode(std::string_view bytes, Emit&& emit) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      emit(ch);
    } else {
      emit('%');
      emit(kHex[c >> 4]);
      emit(kHex[c & 0xf]);
    }
  }
}

Line& Line::key(std::string_view bytes) noexcept {
  uri_encode(bytes, [this](char c) { push_back(c); });
  return *this;
}

// memcached's class id: cuckood reports its whole store as class 1 (as `stats items` does);
// 0 when no item was found.
constexpr unsigned kClassId = 1;

std::string_view store_status_name(StoreStatus status) noexcept {
  switch (status) {
    case StoreStatus::kStored:
      return "stored";
    case StoreStatus::kNotStored:
      return "not_stored";
    case StoreStatus::kExists:
      return "exists";
    case StoreStatus::kNotFound:
      return "not_found";
    case StoreStatus::kTooLarge:
      return "too_large";
    case StoreStatus::kNoMemory:
      break;
  }
  return "no_memory";
}

std::string_view store_mode_name(StoreMode mode) noexcept {
  switch (mode) {
    case StoreMode::kSet:
      return "set";
    case StoreMode::kAdd:
      return "add";
    case StoreMode::kReplace:
      return "replace";
    case StoreMode::kAppend:
      return "append";
    case StoreMode::kPrepend:
      return "prepend";
    case StoreMode::kCas:
      break;
  }
  return "cas";
}

}  // namespace

void append_uri_encoded(std::string& out, std::string_view bytes) {
  uri_encode(bytes, [&out](char c) { out.push_back(c); });
}

void write_item_get(LogProducer& log, std::string_view key, bool found, size_t value_size,
                    int fd) noexcept {
  Line line;
  line.append("type=item_get key=").key(key);
  line.append(found ? " status=found clsid=" : " status=not_found clsid=");
  line.number(found ? kClassId : 0u).append(" cfd=").number(fd);
  line.append(" size=").number(found ? value_size : 0);
  log.write(kLogFetchers, line.view());
}

void write_item_store(LogProducer& log, std::string_view key, StoreStatus status, StoreMode mode,
                      int64_t ttl, size_t value_size, int fd) noexcept {
  Line line;
  line.append("type=item_store key=").key(key);
  line.append(" status=").append(store_status_name(status));
  line.append(" cmd=").append(store_mode_name(mode));
  line.append(" ttl=").number(static_cast<uint32_t>(ttl));  // memcached prints it as %u
  line.append(" clsid=").number(kClassId).append(" cfd=").number(fd);
  line.append(" size=").number(value_size);
  log.write(kLogMutations, line.view());
}

void write_conn_event(LogProducer& log, bool opened, std::string_view address, uint16_t port,
                      Transport transport, CloseReason reason, int fd) noexcept {
  static constexpr std::string_view kTransports[] = {"local", "tcp", "udp"};
  static constexpr std::string_view kReasons[] = {"error", "normal", "idle_timeout", "shutdown"};
  Line line;
  line.append(opened ? "type=conn_new rip=" : "type=conn_close rip=").append(address);
  line.append(" rport=").number(port);
  line.append(" transport=").append(kTransports[static_cast<size_t>(transport)]);
  if (!opened) line.append(" reason=").append(kReasons[static_cast<size_t>(reason)]);
  line.append(" cfd=").number(fd);
  log.write(kLogConnEvents, line.view());
}

void EvictionLog::evicted(const cache::ItemView& item, cache::Time now) noexcept {
  const auto at = static_cast<int64_t>(now);
  Line line;
  line.append("type=eviction key=").key(item.key);
  line.append(item.fetched ? " fetch=yes ttl=" : " fetch=no ttl=");
  line.number(item.exptime > 0 ? static_cast<int64_t>(item.exptime) - at : int64_t{-1});
  line.append(" la=").number(item.last_access > 0 ? at - static_cast<int64_t>(item.last_access)
                                                  : 0);
  line.append(" clsid=").number(kClassId).append(" size=").number(item.value.size());
  log_.write_shared(kLogEvictions, line.view());
}

}  // namespace cuckood::proto
