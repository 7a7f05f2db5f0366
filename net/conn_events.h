// `watch connevents` for net/'s connections: memcached's conn_new and conn_close entries
// (proto/log_entries.h), with the peer's address as memcached prints it ("rip=127.0.0.1
// rport=5000 transport=tcp", or "rip=unix rport=0 transport=local").
#pragma once

#include <cstdint>
#include <string>

#include "net/connection.h"
#include "proto/log_entries.h"

namespace cuckood::net {

// A connection's peer as its log entries name it; empty until first needed (the address is
// asked of the kernel only while someone watches connection events).
struct PeerName {
  std::string address;
  uint16_t port = 0;
};

// Raises conn_new (`opened`) or conn_close (with `reason`) for `conn`, filling `peer` first
// when it is still empty.
void log_conn_event(proto::LogProducer& log, const Connection& conn, PeerName& peer, bool opened,
                    proto::CloseReason reason) noexcept;

}  // namespace cuckood::net
