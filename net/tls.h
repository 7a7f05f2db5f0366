// TLS (-Z) with OpenSSL over memory buffers, so that the engines keep doing every socket call
// themselves (io_uring included): a TlsChannel takes the ciphertext a connection received and
// gives back plaintext, and takes plaintext to send and gives back the ciphertext (handshake
// records included) for the engine to send. TlsContext is the process's one SSL_CTX, set up
// from -o ssl_* as memcached's ssl_init sets up its own (same checks, same messages).
//
// Threading: a TlsContext is shared by every worker (OpenSSL's SSL_CTX is thread-safe for
// creating SSL objects); a TlsChannel is used by its connection's worker only.
#pragma once

#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "proto/certificate_reloader.h"
#include "proto/settings.h"
#include "proto/stat_counter.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;
using BIO = struct bio_st;

namespace cuckood::net {

// The context cannot be made as asked: what() is memcached's message (without newline); it
// exits with EX_USAGE (64) for it.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TlsContext final : public proto::CertificateReloader {
 public:
  // Loads the certificate chain, key and CA file and applies the verify mode, minimum version,
  // ciphers and session cache. Throws TlsError.
  explicit TlsContext(const proto::TlsSettings& settings);
  ~TlsContext() override;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // `refresh_certs`: the same files loaded again, as memcached reloads them.
  bool reload(std::string& error) noexcept override;

  // A new connection's SSL object, with the certificates loaded last; null without memory.
  SSL* new_ssl() const noexcept;

 private:
  // The files into the context; memcached's message on failure, else empty.
  std::string load_certificates();

  const proto::TlsSettings settings_;
  SSL_CTX* ctx_;
  mutable std::mutex mutex_;  // a reload against connections taking the certificates
};

// Where a channel counts what memcached's `stats` reports.
struct TlsCounters {
  proto::Counter* handshake_errors = nullptr;
  proto::Counter* new_sessions = nullptr;
};

class TlsChannel {
 public:
  enum class Status {
    kOpen,    // more may come
    kClosed,  // the peer sent close_notify: no more input
    kFailed,  // a handshake or protocol error: close without sending anything more
  };

  TlsChannel(const TlsContext& context, TlsCounters counters);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Ciphertext arrived. Whatever it completes is decrypted and handed to `sink` (callable
  // with a std::string_view, valid during the call) a chunk at a time; handshake answers
  // become pending ciphertext (take_ciphertext).
  template <class Sink>
  Status receive(std::string_view ciphertext, Sink&& sink);

  // Encrypts `plaintext` (any size) into pending ciphertext. False once the channel failed
  // (or before the handshake is done, when nothing can be sent yet).
  bool send(std::string_view plaintext) noexcept;

  // Bytes of ciphertext waiting to be sent, and moving them to the end of `out`.
  size_t pending_ciphertext() const noexcept;
  void take_ciphertext(std::string& out);

  bool handshake_done() const noexcept;
  bool failed() const noexcept { return status_ == Status::kFailed; }

 private:
  // One SSL_read into `chunk`: bytes > 0, or 0 with status_ updated (nothing more for now).
  size_t read_some(char* chunk, size_t size) noexcept;
  void feed(std::string_view ciphertext) noexcept;
  void fail() noexcept;

  static constexpr size_t kChunk = 16 * 1024;

  SSL* ssl_;
  BIO* in_;   // ciphertext from the peer (owned by ssl_)
  BIO* out_;  // ciphertext to the peer (owned by ssl_)
  TlsCounters counters_;
  Status status_ = Status::kOpen;
};

template <class Sink>
TlsChannel::Status TlsChannel::receive(std::string_view ciphertext, Sink&& sink) {
  if (status_ != Status::kOpen) return status_;
  feed(ciphertext);
  char chunk[kChunk];
  while (status_ == Status::kOpen) {
    const size_t n = read_some(chunk, sizeof(chunk));
    if (n == 0) break;
    sink(std::string_view(chunk, n));
  }
  return status_;
}

}  // namespace cuckood::net
