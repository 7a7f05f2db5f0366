// memcached's UDP service without sockets: net/ hands over each request datagram as received
// and sends the reply datagrams this lays out. Each datagram is a request stream of its own
// (a fresh Session: whatever it leaves incomplete is dropped with it, as memcached cannot
// continue a request in a later datagram either), decoded by the same codecs and command layer
// as a TCP connection's bytes. Every request in it gets its own reply message, cut into
// datagrams (proto/udp_frame.h) under the request's id, as memcached sends one message per
// command; a request that answers nothing (noreply, a quiet binary miss) sends nothing.
// Statistics as memcached counts UDP traffic: bytes_read is every datagram longer than a frame
// header (whole, header included, even when dropped), bytes_written every reply datagram
// (header included); the commands count as over TCP.
//
// Threading: one worker's, used by its thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "proto/output.h"
#include "proto/udp_frame.h"
#include "proto/worker.h"

namespace cuckood::proto {

class UdpResponder {
 public:
  explicit UdpResponder(Worker& worker) noexcept : worker_(worker) {}
  UdpResponder(const UdpResponder&) = delete;
  UdpResponder& operator=(const UdpResponder&) = delete;

  // Answers `datagram` (frame header included): appends the reply datagrams to `out`, back to
  // back, each one's place to `spans`, and returns how many. 0 also for a datagram memcached
  // ignores: no longer than a header, or one datagram of a multi-datagram request.
  size_t answer(std::string_view datagram, std::string& out,
                std::vector<UdpDatagramSpan>& spans) noexcept;

 private:
  Worker& worker_;
  Output reply_;  // one request's reply; values copied, never sliced
};

}  // namespace cuckood::proto
