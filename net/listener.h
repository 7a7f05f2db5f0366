// Listening sockets, as memcached's -l, -p, -s, -a and -b ask for them.
//   - TCP: every address of every -l entry, each entry `host`, `host:port`, `[v6addr]:port`,
//     `*` (all interfaces) or a name (every address it resolves to), optionally prefixed by
//     memcached's `notls:` (with -Z: that listener speaks plaintext; without -Z refused, as
//     memcached refuses it), `proto[ascii|binary|negotiating]:` (that listener's protocol)
//     and `tag[...]:` (ignored). With -Z every other TCP listener speaks TLS (net/tls.h). Per
//     address, one socket per worker, all bound with SO_REUSEPORT so that the kernel spreads
//     connections across workers (Linux >= 3.9).
//   - UDP (-U, off by default): every address of the same -l entries (an entry's own port
//     applies to UDP too, as in memcached), on the -U port. Per address, one socket per worker,
//     all bound with SO_REUSEPORT: the kernel hashes each client's address to one of them, so
//     a client's datagrams all reach the same worker and no two workers wake for one datagram.
//   - Unix: with -s, one socket at that path (memcached then opens no TCP or UDP socket),
//     created with the -a permissions; each worker accepts from its own duplicate of it.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/tls.h"
#include "net/unique_fd.h"
#include "proto/settings.h"

namespace cuckood::net {

// The address cannot be listened on, or an -l entry is malformed. what() is one line naming
// the address; for a port in use it suggests -p.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One entry of -l's list.
struct ListenSpec {
  std::string host;  // empty: every interface ("*")
  uint16_t port = 0;
  proto::BindingProtocol protocol = proto::BindingProtocol::kAuto;
  bool notls = false;  // `notls:`: plaintext beside -Z's TLS listeners
};

// Splits -l's value at ',' and ';' as memcached does; `port` and `protocol` apply to entries
// that do not name their own. Throws ListenError for a malformed entry.
std::vector<ListenSpec> parse_listen_list(std::string_view list, uint16_t port,
                                          proto::BindingProtocol protocol);

// A listening socket and the protocol its connections speak.
struct Listener {
  UniqueFd fd;
  proto::BindingProtocol protocol;
  bool unix_socket = false;               // -s: its clients have no peer address
  std::shared_ptr<const TlsContext> tls;  // -Z: its connections speak TLS
};

// Where a ListenerSet listens.
struct ListenAddress {
  std::string name;  // "127.0.0.1:11211", "[::1]:11211", or a unix socket's path
  int family;        // AF_INET, AF_INET6, AF_UNIX
  uint16_t port;     // the port bound (the kernel's pick for port 0); 0 for AF_UNIX
  bool udp = false;  // a UDP socket's address (-U)
};

struct ListenerSet {
  std::vector<std::vector<Listener>> per_worker;      // [worker]: its non-blocking listeners
  std::vector<std::vector<UniqueFd>> udp_per_worker;  // [worker]: its non-blocking UDP sockets
  std::vector<ListenAddress> addresses;               // TCP (or unix) first, then UDP
};

// Opens what `settings` ask for (see above), `settings.threads` workers' worth; -p -1 and
// -U -1 bind a port the kernel picks; with `tls` (-Z) the TCP listeners not marked notls speak
// TLS. Throws ListenError. A port held by any other socket,
// including another cuckood's SO_REUSEPORT group, is reported as in use. No listener at all
// (-p 0 without -s) is not an error.
ListenerSet open_listeners(const proto::Settings& settings,
                           std::shared_ptr<const TlsContext> tls = nullptr);

// "127.0.0.1:11211" or "[::1]:11211".
std::string format_address(const std::string& address, uint16_t port);

}  // namespace cuckood::net
