// Listener set-up. Why the probe socket: Linux lets a socket join an existing SO_REUSEPORT
// group of the same user, so a second cuckood on the same port would silently share it. A
// first bind without SO_REUSEPORT fails on any port already held, which is the error we want.
#include "net/listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace cuckood::net {

namespace {

constexpr int kBacklog = 1024;  // memcached's default

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

[[noreturn]] void fail(const std::string& where, int err) {
  std::string message = "cannot listen on " + where + ": " + std::strerror(err);
  if (err == EADDRINUSE) message += " (another server holds it? choose another port with -p)";
  throw ListenError(message);
}

UniqueFd bound_socket(const addrinfo& ai, bool reuse_port, const std::string& where) {
  UniqueFd fd(
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol));
  if (!fd.valid()) fail(where, errno);
  const int one = 1;
  // SO_REUSEADDR: restart while old connections sit in TIME_WAIT.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)) {
    fail(where, errno);
  }
  if (::bind(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0) fail(where, errno);
  return fd;
}

}  // namespace

std::string format_address(const std::string& address, uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::vector<UniqueFd> open_listeners(const std::string& address, uint16_t port, int count) {
  const std::string where = format_address(address, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &raw); rc != 0) {
    throw ListenError("cannot listen on " + where + ": " + ::gai_strerror(rc));
  }
  const AddrInfoPtr info(raw);

  bound_socket(*info, /*reuse_port=*/false, where);  // the probe; closed at once

  std::vector<UniqueFd> listeners;
  listeners.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    UniqueFd fd = bound_socket(*info, /*reuse_port=*/true, where);
    if (::listen(fd.get(), kBacklog) != 0) fail(where, errno);
    listeners.push_back(std::move(fd));
  }
  return listeners;
}

}  // namespace cuckood::net
