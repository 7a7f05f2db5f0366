#include "bench/load/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace cuckood::load {
namespace {

constexpr size_t kRecvChunk = 64 * 1024;
constexpr int kMaxReadsPerTurn = 8;

}  // namespace

Connection::Connection(int fd, int depth) : fd_(fd), ring_(static_cast<size_t>(depth)) {}

Connection::~Connection() {
  close();
}

void Connection::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

IoStatus Connection::receive() noexcept {
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    char* p = in_.prepare(kRecvChunk);
    ssize_t n = ::recv(fd_, p, in_.writable(), 0);
    if (n > 0) {
      in_.commit(static_cast<size_t>(n));
      if (static_cast<size_t>(n) < kRecvChunk) return IoStatus::kOk;  // drained, most likely
      continue;
    }
    if (n == 0) return IoStatus::kClosed;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::kOk;
    if (errno == EINTR) continue;
    return IoStatus::kError;
  }
  return IoStatus::kOk;
}

IoStatus Connection::flush() noexcept {
  while (!out_.empty()) {
    std::string_view data = out_.readable();
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.consume(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoStatus::kOk;
    if (n < 0 && errno == EINTR) continue;
    return IoStatus::kError;
  }
  return IoStatus::kOk;
}

int connect_to(const std::string& host_port, std::string& error) {
  const size_t colon = host_port.rfind(':');
  const std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    error = host_port + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  int last_errno = 0;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      last_errno = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) {
    error = "cannot connect to " + host_port + ": " + std::strerror(last_errno);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace cuckood::load
