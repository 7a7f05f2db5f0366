// cuckood-load's TLS client against an in-process OpenSSL server on loopback: megabytes echoed
// through the non-blocking connection with a small send buffer (so writes stop half way and
// resume from a buffer that grew in between), the server's chain verified against --tls-ca,
// handshakes with peers that do not speak TLS, and close_notify.
#include "bench/load/tls_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "bench/load/connection.h"
#include "bench/load/self_signed.h"

namespace cuckood::load {
namespace {

class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }
  ~Listener() { ::close(fd_); }
  const std::string& address() const { return address_; }
  int accept() const { return ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC); }

 private:
  int fd_;
  std::string address_;
};

// A temporary file holding the server context's certificate in PEM (its own CA: self-signed).
class CertificateFile {
 public:
  explicit CertificateFile(SSL_CTX* ctx) {
    char name[] = "/tmp/tls_client_test_XXXXXX";
    const int fd = ::mkstemp(name);
    path_ = name;
    FILE* f = ::fdopen(fd, "w");
    PEM_write_X509(f, SSL_CTX_get0_certificate(ctx));
    std::fclose(f);
  }
  ~CertificateFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class TlsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // the peers close on purpose
    std::string error;
    server_ctx_ = self_signed_server_context("test-server", 0, error);
    ASSERT_TRUE(server_ctx_) << error;
    client_ = TlsClient::create(TlsOptions{true, "", "", ""}, error);
    ASSERT_TRUE(client_) << error;
  }

  void TearDown() override {
    if (server_.joinable()) server_.join();
  }

  // Runs `serve(ssl)` on the next accepted connection after a server-side handshake.
  template <class Serve>
  void serve_tls(Serve serve) {
    server_ = std::thread([this, serve] {
      const int fd = listener_.accept();
      SSL* ssl = SSL_new(server_ctx_.get());
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) serve(ssl);
      SSL_free(ssl);
      ::close(fd);
    });
  }

  Listener listener_;
  SslCtxPtr server_ctx_;
  std::unique_ptr<TlsClient> client_;
  std::thread server_;
};

TEST_F(TlsClientTest, EchoesMegabytesThroughANonBlockingConnection) {
  serve_tls([](SSL* ssl) {
    char buf[16384];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0)
      if (SSL_write(ssl, buf, n) != n) return;
  });
  std::string error;
  std::unique_ptr<Connection> c = open_connection(listener_.address(), 1, client_.get(), error);
  ASSERT_TRUE(c) << error;
  const int small = 4096;
  ::setsockopt(c->fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));

  std::string sent;
  std::string received;
  constexpr size_t kTotal = 2 << 20;
  constexpr size_t kChunk = 100000;
  bool write_stopped_half_way = false;
  while (received.size() < kTotal) {
    if (sent.size() < kTotal && c->out().size() < 4 * kChunk) {
      std::string chunk(std::min(kChunk, kTotal - sent.size()), '\0');
      for (size_t i = 0; i < chunk.size(); ++i)
        chunk[i] = static_cast<char>('a' + (sent.size() + i) % 23);
      c->out().append(chunk);  // may grow (move) the buffer a stopped write is retried from
      sent += chunk;
    }
    ASSERT_EQ(c->flush(), IoStatus::kOk);
    write_stopped_half_way |= !c->out().empty();
    pollfd p{c->fd(), static_cast<short>(POLLIN | (c->out().empty() ? 0 : POLLOUT)), 0};
    ASSERT_GT(::poll(&p, 1, 5000), 0) << "stalled at " << received.size() << " bytes";
    ASSERT_EQ(c->receive(), IoStatus::kOk);
    received += c->in().readable();
    c->in().consume(c->in().size());
  }
  EXPECT_TRUE(write_stopped_half_way);
  EXPECT_EQ(received.size(), kTotal);
  EXPECT_TRUE(received == sent);
  c->close();
}

TEST_F(TlsClientTest, CloseNotifyEndsTheConnectionAfterItsData) {
  serve_tls([](SSL* ssl) {
    SSL_write(ssl, "hello", 5);
    SSL_shutdown(ssl);
  });
  std::string error;
  std::unique_ptr<Connection> c = open_connection(listener_.address(), 1, client_.get(), error);
  ASSERT_TRUE(c) << error;
  IoStatus status = IoStatus::kOk;
  for (int i = 0; i < 100 && status == IoStatus::kOk; ++i) {
    pollfd p{c->fd(), POLLIN, 0};
    ::poll(&p, 1, 5000);
    status = c->receive();
  }
  EXPECT_EQ(status, IoStatus::kClosed);
  EXPECT_EQ(c->in().readable(), "hello");
}

TEST_F(TlsClientTest, VerifiesTheServerChainAgainstTheCa) {
  const CertificateFile own(server_ctx_.get());
  std::string error;
  SslCtxPtr other = self_signed_server_context("someone-else", 0, error);
  ASSERT_TRUE(other) << error;
  const CertificateFile stranger(other.get());

  std::unique_ptr<TlsClient> verifying =
      TlsClient::create(TlsOptions{true, own.path(), "", ""}, error);
  ASSERT_TRUE(verifying) << error;
  serve_tls([](SSL* ssl) { SSL_write(ssl, "x", 1); });
  EXPECT_TRUE(open_connection(listener_.address(), 1, verifying.get(), error)) << error;
  server_.join();

  std::unique_ptr<TlsClient> wrong_ca =
      TlsClient::create(TlsOptions{true, stranger.path(), "", ""}, error);
  ASSERT_TRUE(wrong_ca) << error;
  serve_tls([](SSL*) {});
  error.clear();
  EXPECT_FALSE(open_connection(listener_.address(), 1, wrong_ca.get(), error));
  EXPECT_NE(error.find(listener_.address() + ": TLS handshake failed"), std::string::npos) << error;
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
}

TEST_F(TlsClientTest, APeerThatClosesOrSaysNothingFailsTheHandshake) {
  server_ = std::thread([this] { ::close(listener_.accept()); });
  std::string error;
  EXPECT_FALSE(open_connection(listener_.address(), 1, client_.get(), error));
  EXPECT_NE(error.find("TLS handshake failed"), std::string::npos) << error;
  server_.join();

  int silent = -1;
  server_ = std::thread([&] { silent = listener_.accept(); });
  const int fd = connect_to(listener_.address(), error);
  ASSERT_GE(fd, 0) << error;
  EXPECT_FALSE(client_->handshake(fd, error, 100));
  EXPECT_EQ(error, "TLS handshake timed out");
  ::close(fd);
  server_.join();
  ::close(silent);
}

TEST_F(TlsClientTest, FilesThatDoNotLoadAreNamed) {
  std::string error;
  EXPECT_FALSE(TlsClient::create(TlsOptions{true, "/nonexistent/ca.pem", "", ""}, error));
  EXPECT_EQ(error.rfind("--tls-ca /nonexistent/ca.pem: ", 0), 0u) << error;
  EXPECT_FALSE(TlsClient::create(TlsOptions{true, "", "/nonexistent/c.pem", "k.pem"}, error));
  EXPECT_EQ(error.rfind("--tls-cert /nonexistent/c.pem: ", 0), 0u) << error;
}

}  // namespace
}  // namespace cuckood::load
