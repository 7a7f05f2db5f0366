// See udp_endpoint.h.
#include "net/udp_endpoint.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace cuckood::net {

namespace {
// Kept by an emptied batch; above it the memory goes back (one large reply must not stay
// resident for the socket's lifetime).
constexpr size_t kKeepCapacity = 64 * 1024;
}  // namespace

void UdpEndpoint::Batch::clear() noexcept {
  if (bytes.capacity() > kKeepCapacity) {
    std::string().swap(bytes);
    std::vector<proto::UdpDatagramSpan>().swap(spans);
    std::vector<uint32_t>().swap(peer_of);
    std::vector<iovec>().swap(iovecs);
    std::vector<mmsghdr>().swap(messages);
  }
  bytes.clear();
  spans.clear();
  peer_of.clear();
  peers.clear();
  iovecs.clear();
  messages.clear();
  sent = 0;
}

void UdpEndpoint::receive(std::string_view datagram, const sockaddr* peer,
                          socklen_t peer_length) noexcept {
  if (!wants_input()) return;
  const size_t before_bytes = filling_.bytes.size();
  const size_t added = responder_.answer(datagram, filling_.bytes, filling_.spans);
  if (added == 0) return;
  Peer from{};
  const auto length = std::min<socklen_t>(peer_length, sizeof(from.address));
  std::memcpy(&from.address, peer, length);
  from.length = length;
  filling_.peers.push_back(from);
  filling_.peer_of.resize(filling_.spans.size(), static_cast<uint32_t>(filling_.peers.size() - 1));
  backlog_ += filling_.bytes.size() - before_bytes;
}

void UdpEndpoint::start_sending() noexcept {
  sending_.clear();
  std::swap(sending_, filling_);
  Batch& b = sending_;
  b.iovecs.resize(b.spans.size());
  b.messages.resize(b.spans.size());
  for (size_t i = 0; i < b.spans.size(); ++i) {
    b.iovecs[i] = {b.bytes.data() + b.spans[i].offset, b.spans[i].size};
    Peer& to = b.peers[b.peer_of[i]];
    msghdr& m = b.messages[i].msg_hdr;
    m = {};
    m.msg_name = &to.address;
    m.msg_namelen = to.length;
    m.msg_iov = &b.iovecs[i];
    m.msg_iovlen = 1;
    b.messages[i].msg_len = 0;
  }
}

std::span<mmsghdr> UdpEndpoint::unsent(size_t max) noexcept {
  if (sending_.sent == sending_.messages.size() && !filling_.spans.empty()) start_sending();
  const size_t left = sending_.messages.size() - sending_.sent;
  return {sending_.messages.data() + sending_.sent, std::min(left, max)};
}

void UdpEndpoint::sent(size_t count) noexcept {
  for (size_t i = sending_.sent; i < sending_.sent + count; ++i) {
    backlog_ -= sending_.spans[i].size;
  }
  sending_.sent += count;
  if (sending_.sent == sending_.messages.size()) sending_.clear();
}

}  // namespace cuckood::net
