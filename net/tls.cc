// See tls.h. The context follows memcached 1.6.18's ssl_init and load_server_certificates:
// the same order of checks, the same messages, renegotiation off, buffers of idle connections
// released.
#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <climits>

namespace cuckood::net {

namespace {

constexpr int kVersions[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};
constexpr int kVerifyModes[] = {
    SSL_VERIFY_NONE, SSL_VERIFY_PEER, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE};
constexpr unsigned char kSessionIdContext[] = "memcached";

// OpenSSL's description of the oldest queued error (memcached prints the same), and the queue
// emptied.
std::string ssl_error() {
  char text[256] = "";
  if (const unsigned long err = ERR_get_error(); err != 0) {
    ERR_error_string_n(err, text, sizeof(text));
  }
  ERR_clear_error();
  return text;
}

// A file option as memcached passes it to OpenSSL: an unset one is a null path, which fails
// with "Bad address" (EFAULT) — said here without handing OpenSSL a null pointer.
constexpr std::string_view kNullPathError = "error:8000000E:system library::Bad address";

int new_session(SSL* ssl, SSL_SESSION* /*session*/) {
  if (auto* counter = static_cast<proto::Counter*>(SSL_get_app_data(ssl))) counter->add();
  return 0;  // the session is not kept by the callback
}

}  // namespace

TlsContext::TlsContext(const proto::TlsSettings& s)
    : settings_(s), ctx_(SSL_CTX_new(TLS_server_method())) {
  if (ctx_ == nullptr) throw TlsError("Failed to create the SSL context: " + ssl_error());
  SSL_CTX_set_min_proto_version(ctx_, kVersions[s.min_version]);
  std::string error = load_certificates();
  if (error.empty() && !s.ciphers.empty() && !SSL_CTX_set_cipher_list(ctx_, s.ciphers.c_str())) {
    error = "Error setting the provided cipher(s): " + s.ciphers;
  }
  if (!error.empty()) {
    SSL_CTX_free(ctx_);
    throw TlsError(error);
  }
  SSL_CTX_set_verify(ctx_, kVerifyModes[s.verify_mode], nullptr);
  if (s.session_cache) {
    SSL_CTX_sess_set_new_cb(ctx_, new_session);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_session_id_context(ctx_, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  } else {
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  }
  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
}

std::string TlsContext::load_certificates() {
  const proto::TlsSettings& s = settings_;
  std::string error;
  if (s.chain_cert.empty()) {
    error = "Error loading the certificate chain: (null) : " + std::string(kNullPathError);
  } else if (!SSL_CTX_use_certificate_chain_file(ctx_, s.chain_cert.c_str())) {
    error = "Error loading the certificate chain: " + s.chain_cert + " : " + ssl_error();
  } else if (s.key.empty()) {
    error = "Error loading the key: (null) : " + std::string(kNullPathError);
  } else if (!SSL_CTX_use_PrivateKey_file(ctx_, s.key.c_str(), s.keyformat)) {
    error = "Error loading the key: " + s.key + " : " + ssl_error();
  } else if (!SSL_CTX_check_private_key(ctx_)) {
    error = "Error validating the certificate: " + ssl_error();
  } else if (!s.ca_cert.empty()) {
    if (!SSL_CTX_load_verify_locations(ctx_, s.ca_cert.c_str(), nullptr)) {
      error = "Error loading the CA certificate: " + s.ca_cert + " : " + ssl_error();
    } else {
      SSL_CTX_set_client_CA_list(ctx_, SSL_load_client_CA_file(s.ca_cert.c_str()));
    }
  }
  ERR_clear_error();
  return error;
}

bool TlsContext::reload(std::string& error) noexcept {
  try {
    const std::lock_guard lock(mutex_);
    error = load_certificates();
  } catch (...) {
    error = "Error loading the certificates: out of memory";
  }
  return error.empty();
}

SSL* TlsContext::new_ssl() const noexcept {
  const std::lock_guard lock(mutex_);
  return SSL_new(ctx_);
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

TlsChannel::TlsChannel(const TlsContext& context, TlsCounters counters)
    : ssl_(context.new_ssl()),
      in_(BIO_new(BIO_s_mem())),
      out_(BIO_new(BIO_s_mem())),
      counters_(counters) {
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    SSL_free(ssl_);
    ERR_clear_error();
    throw std::bad_alloc();
  }
  // An empty memory BIO reads as "retry later", not as end of file.
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);  // ssl_ owns both from here
  SSL_set_accept_state(ssl_);
  SSL_set_app_data(ssl_, counters_.new_sessions);
}

TlsChannel::~TlsChannel() {
  SSL_free(ssl_);
}

void TlsChannel::feed(std::string_view ciphertext) noexcept {
  while (!ciphertext.empty()) {
    const int n = BIO_write(in_, ciphertext.data(),
                            static_cast<int>(std::min<size_t>(ciphertext.size(), INT_MAX)));
    if (n <= 0) {
      fail();
      return;
    }
    ciphertext.remove_prefix(static_cast<size_t>(n));
  }
}

size_t TlsChannel::read_some(char* chunk, size_t size) noexcept {
  const int n = SSL_read(ssl_, chunk, static_cast<int>(size));
  if (n > 0) return static_cast<size_t>(n);
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      break;
    case SSL_ERROR_ZERO_RETURN:
      status_ = Status::kClosed;
      break;
    default:
      fail();
      break;
  }
  return 0;
}

bool TlsChannel::send(std::string_view plaintext) noexcept {
  if (status_ == Status::kFailed || !handshake_done()) return false;
  while (!plaintext.empty()) {
    const int n = SSL_write(ssl_, plaintext.data(),
                            static_cast<int>(std::min<size_t>(plaintext.size(), INT_MAX)));
    if (n <= 0) {
      fail();
      return false;
    }
    plaintext.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

size_t TlsChannel::pending_ciphertext() const noexcept {
  return status_ == Status::kFailed ? 0 : BIO_ctrl_pending(out_);
}

void TlsChannel::take_ciphertext(std::string& out) {
  const size_t n = pending_ciphertext();
  if (n == 0) return;
  const size_t at = out.size();
  out.resize(at + n);
  const int got = BIO_read(out_, out.data() + at, static_cast<int>(n));
  out.resize(at + (got > 0 ? static_cast<size_t>(got) : 0));
}

bool TlsChannel::handshake_done() const noexcept {
  return SSL_is_init_finished(ssl_) != 0;
}

void TlsChannel::fail() noexcept {
  if (status_ != Status::kFailed && !handshake_done() && counters_.handshake_errors) {
    counters_.handshake_errors->add();
  }
  status_ = Status::kFailed;
  ERR_clear_error();  // the queue is the thread's: other connections must not see it
}

}  // namespace cuckood::net
