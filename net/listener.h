// Listening sockets: one per worker, all bound to the same address with SO_REUSEPORT so that
// the kernel spreads incoming connections across workers (Linux >= 3.9).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/unique_fd.h"

namespace cuckood::net {

// The address cannot be listened on. what() is one line naming the address; for a port in use
// it suggests -p.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Opens `count` non-blocking listeners on address:port. Throws ListenError. A port held by
// any other socket, including another cuckood's SO_REUSEPORT group, is reported as in use.
std::vector<UniqueFd> open_listeners(const std::string& address, uint16_t port, int count);

// "127.0.0.1:11211" or "[::1]:11211".
std::string format_address(const std::string& address, uint16_t port);

}  // namespace cuckood::net
