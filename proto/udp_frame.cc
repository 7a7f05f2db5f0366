// See udp_frame.h. The fields are written byte by byte, high byte first, as memcached's
// build_udp_header does.
#include "proto/udp_frame.h"

#include <algorithm>

namespace cuckood::proto {

namespace {

uint16_t read16(std::string_view bytes, size_t at) noexcept {
  return static_cast<uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                               static_cast<unsigned char>(bytes[at + 1]));
}

void write16(char* out, uint16_t value) noexcept {
  out[0] = static_cast<char>(value >> 8);
  out[1] = static_cast<char>(value & 0xff);
}

constexpr size_t kMaxDatagrams = UINT16_MAX;

}  // namespace

std::optional<UdpFrame> decode_udp_frame(std::string_view datagram) noexcept {
  if (datagram.size() < kUdpHeaderSize) return std::nullopt;
  return UdpFrame{read16(datagram, 0), read16(datagram, 2), read16(datagram, 4),
                  read16(datagram, 6)};
}

void encode_udp_frame(const UdpFrame& frame, char* out) noexcept {
  write16(out, frame.request_id);
  write16(out + 2, frame.sequence);
  write16(out + 4, frame.total);
  write16(out + 6, frame.reserved);
}

std::optional<UdpFrame> decode_udp_request(std::string_view datagram) noexcept {
  if (datagram.size() <= kUdpHeaderSize) return std::nullopt;
  std::optional<UdpFrame> frame = decode_udp_frame(datagram);
  if (frame->total != 1) return std::nullopt;
  return frame;
}

uint16_t udp_datagram_count(size_t message_size) noexcept {
  const size_t count = (message_size + kUdpMaxData - 1) / kUdpMaxData;
  return static_cast<uint16_t>(std::min(count, kMaxDatagrams));
}

void append_udp_message(uint16_t request_id, std::string_view message, std::string& out,
                        std::vector<UdpDatagramSpan>& spans) {
  UdpFrame frame{request_id, 0, udp_datagram_count(message.size()), 0};
  const size_t datagrams = (message.size() + kUdpMaxData - 1) / kUdpMaxData;
  out.reserve(out.size() + message.size() + datagrams * kUdpHeaderSize);
  for (size_t pos = 0; pos < message.size(); pos += kUdpMaxData, ++frame.sequence) {
    const std::string_view data = message.substr(pos, kUdpMaxData);
    const size_t offset = out.size();
    out.resize(offset + kUdpHeaderSize);
    encode_udp_frame(frame, out.data() + offset);
    out.append(data);
    spans.push_back({offset, kUdpHeaderSize + data.size()});
  }
}

}  // namespace cuckood::proto
