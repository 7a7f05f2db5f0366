#include "bench/load/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace cuckood::load {
namespace {

constexpr size_t kRecvChunk = 64 * 1024;
constexpr int kMaxReadsPerTurn = 8;

}  // namespace

Connection::Connection(int fd, int depth, SslPtr ssl)
    : fd_(fd), ssl_(std::move(ssl)), ring_(static_cast<size_t>(depth)) {}

Connection::~Connection() {
  close();
}

void Connection::close() noexcept {
  if (ssl_) {
    SSL_shutdown(ssl_.get());  // close_notify if the socket takes it; no wait for the answer
    ERR_clear_error();
    ssl_.reset();
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

IoStatus Connection::receive() noexcept {
  if (ssl_) return receive_tls();
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
  if (ssl_) return flush_tls();
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

IoStatus Connection::receive_tls() noexcept {
  for (;;) {
    char* p = in_.prepare(kRecvChunk);
    const int n =
        SSL_read(ssl_.get(), p, static_cast<int>(std::min<size_t>(in_.writable(), INT_MAX)));
    if (n <= 0) return tls_status(n);
    in_.commit(static_cast<size_t>(n));
  }
}

IoStatus Connection::flush_tls() noexcept {
  while (!out_.empty()) {
    const std::string_view data = out_.readable();
    // Partial writes are on (tls_client.cc): n is what went out, a record or more.
    const int n = SSL_write(ssl_.get(), data.data(),
                            static_cast<int>(std::min<size_t>(data.size(), INT_MAX)));
    if (n <= 0) return tls_status(n);
    out_.consume(static_cast<size_t>(n));
  }
  return IoStatus::kOk;
}

IoStatus Connection::tls_status(int rc) noexcept {
  switch (SSL_get_error(ssl_.get(), rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      // A write waits for EPOLLOUT (out() is not empty); a read for EPOLLIN. A read that must
      // write first (renegotiation) is not something memcached servers start.
      return IoStatus::kOk;
    case SSL_ERROR_ZERO_RETURN:
      return IoStatus::kClosed;
    default:
      ERR_clear_error();  // the next SSL_get_error must not see this connection's failure
      return IoStatus::kError;
  }
}

std::unique_ptr<Connection> open_connection(const std::string& host_port, int depth,
                                            const TlsClient* tls, std::string& error) {
  const int fd = connect_to(host_port, error);
  if (fd < 0) return nullptr;
  SslPtr ssl;
  if (tls != nullptr) {
    ssl = tls->handshake(fd, error);
    if (!ssl) {
      ::close(fd);
      error = host_port + ": " + error;
      return nullptr;
    }
  }
  return std::make_unique<Connection>(fd, depth, std::move(ssl));
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
