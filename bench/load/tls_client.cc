#include "bench/load/tls_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "bench/load/client_thread.h"

namespace cuckood::load {
namespace {

constexpr size_t kReadAheadBytes = 64 * 1024;

}  // namespace

void SslFree::operator()(SSL* ssl) const noexcept {
  SSL_free(ssl);
}

std::string openssl_error(const std::string& fallback) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof(text));
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? fallback : out;
}

std::unique_ptr<TlsClient> TlsClient::create(const TlsOptions& options, std::string& error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    error = "SSL_CTX_new: " + openssl_error("out of memory");
    return nullptr;
  }
  std::unique_ptr<TlsClient> client(new TlsClient(ctx));
  // The output buffer may grow (move) between a write that could not finish and its retry,
  // and a retry may offer more than the first try did.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Without read-ahead OpenSSL reads each record's header and body with a syscall each; with
  // it, one read takes what the socket has (Connection::receive reads until OpenSSL wants more,
  // so nothing stays buffered inside it while epoll waits).
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, kReadAheadBytes);
  SSL_CTX_set_verify(ctx, options.ca_file.empty() ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  if (!options.ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
    error = "--tls-ca " + options.ca_file + ": " + openssl_error("cannot load");
    return nullptr;
  }
  if (!options.cert_file.empty() &&
      SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    error = "--tls-cert " + options.cert_file + ": " + openssl_error("cannot load");
    return nullptr;
  }
  if (!options.key_file.empty() &&
      SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "--tls-key " + options.key_file + ": " + openssl_error("cannot load");
    return nullptr;
  }
  if (!options.cert_file.empty() && SSL_CTX_check_private_key(ctx) != 1) {
    error = "--tls-key does not match --tls-cert: " + openssl_error("mismatch");
    return nullptr;
  }
  return client;
}

TlsClient::~TlsClient() {
  SSL_CTX_free(ctx_);
}

SslPtr TlsClient::handshake(int fd, std::string& error, int timeout_ms) const {
  SslPtr ssl(SSL_new(ctx_));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
    error = "SSL_new: " + openssl_error("out of memory");
    return nullptr;
  }
  const uint64_t deadline = now_ns() + static_cast<uint64_t>(timeout_ms) * 1'000'000;
  ERR_clear_error();
  for (;;) {
    errno = 0;
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) return ssl;
    const int reason = SSL_get_error(ssl.get(), rc);
    short wait_for = 0;
    if (reason == SSL_ERROR_WANT_READ) wait_for = POLLIN;
    if (reason == SSL_ERROR_WANT_WRITE) wait_for = POLLOUT;
    if (wait_for == 0) {
      const long verify = SSL_get_verify_result(ssl.get());
      std::string why = reason == SSL_ERROR_SYSCALL && errno != 0
                            ? std::strerror(errno)
                            : "the server closed the connection";
      why = openssl_error(why);
      if (verify != X509_V_OK)
        why += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
      error = "TLS handshake failed: " + why;
      return nullptr;
    }
    const uint64_t now = now_ns();
    pollfd p{fd, wait_for, 0};
    if (now >= deadline || ::poll(&p, 1, static_cast<int>((deadline - now) / 1'000'000) + 1) == 0) {
      error = "TLS handshake timed out";
      return nullptr;
    }
  }
}

}  // namespace cuckood::load
