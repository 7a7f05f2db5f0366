// See udp_responder.h. One request at a time (a request budget of one per Session::process
// call) is what separates the replies into messages without the codecs knowing about UDP.
#include "proto/udp_responder.h"

#include <optional>

#include "proto/session.h"

namespace cuckood::proto {

size_t UdpResponder::answer(std::string_view datagram, std::string& out,
                            std::vector<UdpDatagramSpan>& spans) noexcept {
  if (datagram.size() <= kUdpHeaderSize) return 0;  // memcached counts not even its bytes
  const size_t first = spans.size();
  if (const std::optional<UdpFrame> frame = decode_udp_request(datagram)) {
    Session session(worker_);
    std::string_view input = datagram.substr(kUdpHeaderSize);
    while (!input.empty() && !session.should_close()) {
      session.set_request_budget(1);
      reply_.clear();
      const size_t used = session.process(input, reply_);
      append_udp_message(frame->request_id, reply_.bytes, out, spans);
      if (used == 0) break;  // an incomplete request
      input.remove_prefix(used);
    }
  }
  const size_t datagrams = spans.size() - first;
  worker_.stats.bytes_read.add(datagram.size());
  for (size_t i = first; i < spans.size(); ++i) worker_.stats.bytes_written.add(spans[i].size);
  return datagrams;
}

}  // namespace cuckood::proto
