// See conn_events.h.
#include "net/conn_events.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace cuckood::net {

namespace {

PeerName peer_of(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(peer);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    return {text, ntohs(in.sin_port)};
  }
  if (peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    return {text, ntohs(in6.sin6_port)};
  }
  return {};
}

}  // namespace

void log_conn_event(proto::LogProducer& log, const Connection& conn, PeerName& peer, bool opened,
                    proto::CloseReason reason) noexcept {
  const bool local = conn.info().unix_socket();
  if (peer.address.empty()) peer = local ? PeerName{"unix", 0} : peer_of(conn.fd());
  proto::write_conn_event(log, opened, peer.address, peer.port,
                          local ? proto::Transport::kLocal : proto::Transport::kTcp, reason,
                          conn.fd());
}

}  // namespace cuckood::net
