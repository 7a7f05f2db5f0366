// TLS for cuckood-load (--tls): one client SSL_CTX per run, and a blocking handshake on a
// connected socket that hands back the SSL object the connection then reads and writes through
// (OpenSSL on the socket itself: the generator does its own non-blocking I/O with epoll, so
// memory BIOs would only add copies). As a load tool it checks no host name; --tls-ca turns
// on verification of the server's chain, --tls-cert/--tls-key present a client certificate
// (for servers started with ssl_verify_mode).
//
// Threading: a TlsClient is shared read-only by the generator threads (SSL_CTX is thread-safe
// for SSL_new); each SSL object belongs to one connection, used by one thread.
#pragma once

#include <memory>
#include <string>

#include "bench/load/options.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace cuckood::load {

struct SslFree {
  void operator()(SSL* ssl) const noexcept;
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

class TlsClient {
 public:
  // The context for options.tls_*; null with `error` set when a file does not load.
  static std::unique_ptr<TlsClient> create(const TlsOptions& options, std::string& error);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Runs the handshake on connected socket `fd` (blocking or not: it waits with poll, at most
  // timeout_ms in all). Returns the SSL object, or null with `error` set (OpenSSL's reason).
  // The caller keeps owning fd. Start-up only.
  SslPtr handshake(int fd, std::string& error, int timeout_ms = 10000) const;

 private:
  explicit TlsClient(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// OpenSSL's error queue as one line (emptied), or `fallback` when it is empty.
std::string openssl_error(const std::string& fallback);

}  // namespace cuckood::load
