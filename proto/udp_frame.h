// memcached's UDP frame (protocol.txt, "UDP protocol"): every datagram, request or reply,
// starts with an 8-byte header of four 16-bit big-endian fields — request id, sequence number,
// total datagrams of the message, reserved (0). A request must fit in one datagram; a reply
// message is cut into datagrams of at most kUdpMaxDatagram bytes, header included, numbered
// 0..total-1 and all carrying the request's id.
// Pure functions, no sockets: net/ receives and sends the datagrams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cuckood::proto {

inline constexpr size_t kUdpHeaderSize = 8;
// memcached's UDP_MAX_PAYLOAD_SIZE: a reply datagram's size, header included.
inline constexpr size_t kUdpMaxDatagram = 1400;
inline constexpr size_t kUdpMaxData = kUdpMaxDatagram - kUdpHeaderSize;

struct UdpFrame {
  uint16_t request_id = 0;
  uint16_t sequence = 0;
  uint16_t total = 0;
  uint16_t reserved = 0;
};

// Where one reply datagram lies in the buffer it was laid out in.
struct UdpDatagramSpan {
  size_t offset;
  size_t size;
};

// The header at the front of `datagram`; nothing when it is shorter than a header.
std::optional<UdpFrame> decode_udp_frame(std::string_view datagram) noexcept;

// Writes `frame` into out[0..kUdpHeaderSize).
void encode_udp_frame(const UdpFrame& frame, char* out) noexcept;

// The header of a request memcached answers: the datagram holds more than a header and its
// message is one datagram (memcached drops a multi-datagram request); the sequence number and
// the reserved field are not looked at, as in memcached.
std::optional<UdpFrame> decode_udp_request(std::string_view datagram) noexcept;

// How many datagrams carry a reply of `message_size` bytes (0 for none: an empty reply, such
// as a noreply command's, is not sent), at most 65535 (memcached's cap; beyond it the
// sequence number wraps).
uint16_t udp_datagram_count(size_t message_size) noexcept;

// Appends `message`, the reply to request `request_id`, to `out` as its datagrams back to back
// (each a header then up to kUdpMaxData bytes) and records where each one lies in `spans`.
void append_udp_message(uint16_t request_id, std::string_view message, std::string& out,
                        std::vector<UdpDatagramSpan>& spans);

}  // namespace cuckood::proto
