// net/tls: the context's start-up checks (memcached's messages), a TlsChannel's handshake and
// records through memory against an OpenSSL client, a client that speaks no TLS, and a
// Connection over TLS driven as an engine drives it (short sends, large values, pipelines).
#include "net/tls.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "net/connection.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::net {
namespace {

// A self-signed certificate and its key, written to a temporary directory.
class Certificates {
 public:
  Certificates() {
    char pattern[] = "/tmp/cuckood-tls-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    EVP_PKEY* key = EVP_RSA_gen(2048);
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    FILE* f = std::fopen(cert_path().c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen(key_path().c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~Certificates() {
    ::unlink(cert_path().c_str());
    ::unlink(key_path().c_str());
    ::rmdir(dir_.c_str());
  }
  std::string cert_path() const { return dir_ + "/cert.pem"; }
  std::string key_path() const { return dir_ + "/key.pem"; }

  proto::TlsSettings settings() const {
    proto::TlsSettings s;
    s.enabled = true;
    s.chain_cert = cert_path();
    s.key = key_path();
    return s;
  }

 private:
  std::string dir_;
};

const Certificates& certificates() {
  static const Certificates* certs = new Certificates();  // one key per test binary run
  return *certs;
}

// A TLS client over memory BIOs.
class Client {
 public:
  Client() : ctx_(SSL_CTX_new(TLS_client_method())) {
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  void handshake_step() { SSL_do_handshake(ssl_); }
  bool connected() const { return SSL_is_init_finished(ssl_) != 0; }
  // What the client wants sent to the server.
  std::string outgoing() {
    std::string out(BIO_ctrl_pending(out_), '\0');
    if (!out.empty()) BIO_read(out_, out.data(), static_cast<int>(out.size()));
    return out;
  }
  void incoming(std::string_view ciphertext) {
    BIO_write(in_, ciphertext.data(), static_cast<int>(ciphertext.size()));
  }
  void write(std::string_view plaintext) {
    SSL_write(ssl_, plaintext.data(), static_cast<int>(plaintext.size()));
  }
  std::string read_all() {
    std::string out;
    char buf[16384];
    int n;
    while ((n = SSL_read(ssl_, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    ERR_clear_error();
    return out;
  }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* in_;
  BIO* out_;
};

std::string take(TlsChannel& channel) {
  std::string out;
  channel.take_ciphertext(out);
  return out;
}

// Runs the handshake through memory; the plaintext the server saw on the way.
void handshake(Client& client, TlsChannel& server) {
  for (int round = 0; round < 10 && !(client.connected() && server.handshake_done()); ++round) {
    client.handshake_step();
    server.receive(client.outgoing(), [](std::string_view) { FAIL() << "plaintext early"; });
    client.incoming(take(server));
  }
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(server.handshake_done());
}

TEST(TlsContextTest, StartUpErrorsInMemcachedsWords) {
  const Certificates& certs = certificates();
  auto message = [](const proto::TlsSettings& s) -> std::string {
    try {
      TlsContext context(s);
    } catch (const TlsError& e) {
      return e.what();
    }
    return "";
  };
  proto::TlsSettings s = certs.settings();
  EXPECT_EQ(message(s), "");
  s.chain_cert.clear();
  EXPECT_EQ(message(s),
            "Error loading the certificate chain: (null) : error:8000000E:system library::Bad "
            "address");
  s.chain_cert = "/nonexistent/chain.pem";
  EXPECT_EQ(message(s),
            "Error loading the certificate chain: /nonexistent/chain.pem : "
            "error:80000002:system library::No such file or directory");
  s = certs.settings();
  s.key.clear();
  EXPECT_EQ(message(s),
            "Error loading the key: (null) : error:8000000E:system library::Bad address");
  s = certs.settings();
  s.ca_cert = "/nonexistent/ca.pem";
  EXPECT_EQ(message(s).rfind("Error loading the CA certificate: /nonexistent/ca.pem : ", 0), 0u);
  s = certs.settings();
  s.ciphers = "NOSUCHCIPHER";
  EXPECT_EQ(message(s), "Error setting the provided cipher(s): NOSUCHCIPHER");
}

TEST(TlsChannelTest, HandshakeAndRecordsThroughMemory) {
  const TlsContext context(certificates().settings());
  proto::Counter errors;
  TlsChannel server(context, {&errors, nullptr});
  Client client;
  handshake(client, server);

  client.write("get k\r\n");
  std::string received;
  EXPECT_EQ(server.receive(client.outgoing(), [&](std::string_view p) { received += p; }),
            TlsChannel::Status::kOpen);
  EXPECT_EQ(received, "get k\r\n");

  const std::string big(100000, 'x');  // several records
  ASSERT_TRUE(server.send(big));
  EXPECT_GT(server.pending_ciphertext(), big.size());
  client.incoming(take(server));
  EXPECT_EQ(client.read_all(), big);
  EXPECT_EQ(server.pending_ciphertext(), 0u);
  EXPECT_EQ(errors.load(), 0u);
}

TEST(TlsChannelTest, CiphertextSplitAtEveryByteStillDecrypts) {
  const TlsContext context(certificates().settings());
  TlsChannel server(context, {});
  Client client;
  handshake(client, server);
  client.write("set a 0 0 1\r\nx\r\n");
  std::string received;
  for (const char c : client.outgoing()) {
    server.receive(std::string_view(&c, 1), [&](std::string_view p) { received += p; });
  }
  EXPECT_EQ(received, "set a 0 0 1\r\nx\r\n");
}

TEST(TlsChannelTest, PlaintextClientFailsTheHandshake) {
  const TlsContext context(certificates().settings());
  proto::Counter errors;
  TlsChannel server(context, {&errors, nullptr});
  std::string received;
  EXPECT_EQ(server.receive("get foo\r\n", [&](std::string_view p) { received += p; }),
            TlsChannel::Status::kFailed);
  EXPECT_EQ(received, "");
  EXPECT_TRUE(server.failed());
  EXPECT_EQ(server.pending_ciphertext(), 0u);  // nothing goes back
  EXPECT_FALSE(server.send("x"));
  EXPECT_EQ(errors.load(), 1u);
  EXPECT_EQ(ERR_peek_error(), 0u);  // the thread's error queue is left empty
}

TEST(TlsChannelTest, NothingIsSentBeforeTheHandshake) {
  const TlsContext context(certificates().settings());
  TlsChannel server(context, {});
  EXPECT_FALSE(server.send("early"));
  EXPECT_EQ(server.pending_ciphertext(), 0u);
  EXPECT_FALSE(server.failed());
}

// What the engine sends, `chunk` bytes per send, fed to the client.
void deliver(Connection& c, Client& client, size_t chunk) {
  while (c.has_unsent()) {
    const std::span<const iovec> iov = c.unsent();
    ASSERT_EQ(iov.size(), 1u);
    const size_t n = std::min(chunk, iov[0].iov_len);
    client.incoming(std::string_view(static_cast<const char*>(iov[0].iov_base), n));
    c.sent(n);
  }
}

TEST(TlsConnectionTest, EngineSeesCiphertextOnly) {
  const TlsContext context(certificates().settings());
  proto::testing::Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool, proto::BindingProtocol::kAuto, false, &context);
  Client client;
  for (int round = 0; round < 10 && !client.connected(); ++round) {
    client.handshake_step();
    c.receive(client.outgoing());
    deliver(c, client, 1000);
  }
  ASSERT_TRUE(client.connected());

  const std::string value(900 * 1024, 'v');
  client.write("set big 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n");
  c.receive(client.outgoing());
  deliver(c, client, 7000);
  EXPECT_EQ(client.read_all(), "STORED\r\n");

  // A pipeline whose replies pass the backpressure mark: encrypted as the client reads.
  std::string pipeline;
  for (int i = 0; i < 8; ++i) pipeline += "get big\r\n";
  client.write(pipeline);
  c.receive(client.outgoing());
  std::string expected;
  for (int i = 0; i < 8; ++i) expected += "VALUE big 0 921600\r\n" + value + "\r\nEND\r\n";
  std::string replies;
  while (c.has_unsent()) {
    deliver(c, client, 65536);
    replies += client.read_all();
  }
  EXPECT_EQ(replies.size(), expected.size());
  EXPECT_TRUE(replies == expected);
  EXPECT_LE(c.buffer_memory(), size_t{64} << 20);
  EXPECT_FALSE(c.finished());
}

TEST(TlsConnectionTest, PlaintextClientIsClosedWithoutAnAnswer) {
  const TlsContext context(certificates().settings());
  proto::testing::Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool, proto::BindingProtocol::kAuto, false, &context);
  c.receive("version\r\n");
  EXPECT_FALSE(c.has_unsent());
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(env.worker().stats.ssl_handshake_errors.load(), 1u);
}

}  // namespace
}  // namespace cuckood::net
