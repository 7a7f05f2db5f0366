// ktls_probe: can TLS records be handled by this machine's kernel (kTLS), as OpenSSL's
// SSL_OP_ENABLE_KTLS would use them after a handshake? Prints one line saying so and why, for
// the TLS rows of `make bench`. Two checks on loopback TCP connections:
//  - the kernel: setsockopt(TCP_ULP, "tls") on a connected socket (what OpenSSL does first);
//    it fails with ENOENT when the kernel has no tls module (CONFIG_TLS);
//  - OpenSSL: a handshake with SSL_OP_ENABLE_KTLS on both ends (socket BIOs, a throwaway
//    certificate), then BIO_get_ktls_send/recv on each side and one record exchanged.
// Exit status: 0 when kTLS carries both directions on both ends, 1 when it does not, 2 when
// the probe itself could not run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "bench/load/self_signed.h"
#include "bench/load/tls_client.h"

namespace {

using cuckood::load::openssl_error;

// Owns a connected loopback TCP pair.
struct LoopbackPair {
  int client = -1;
  int server = -1;
  ~LoopbackPair() {
    if (client >= 0) ::close(client);
    if (server >= 0) ::close(server);
  }
};

bool connect_pair(LoopbackPair& pair, std::string& error) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  auto* any = reinterpret_cast<sockaddr*>(&address);
  const bool ok = listener >= 0 && ::bind(listener, any, sizeof(address)) == 0 &&
                  ::listen(listener, 1) == 0 && ::getsockname(listener, any, &length) == 0 &&
                  (pair.client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
                  ::connect(pair.client, any, sizeof(address)) == 0 &&
                  (pair.server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;
  if (!ok) error = std::string("loopback connection: ") + std::strerror(errno);
  if (listener >= 0) ::close(listener);
  return ok;
}

std::string errno_text(int e) {
  return std::string(strerrorname_np(e) ? strerrorname_np(e) : "?") + " (" + std::strerror(e) + ")";
}

// The kernel's answer to attaching the tls upper-layer protocol: "ok" or the errno.
std::string kernel_ulp(bool& usable, std::string& error) {
  LoopbackPair pair;
  if (!connect_pair(pair, error)) return "";
  usable = ::setsockopt(pair.client, SOL_TCP, TCP_ULP, "tls", 3) == 0;
  return usable ? "ok" : errno_text(errno);
}

std::string available_ulps() {
  std::ifstream file("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string line;
  if (!std::getline(file, line)) return "(unreadable)";
  return line.empty() ? "(none)" : line;
}

struct KtlsSide {
  bool send = false;
  bool recv = false;
};

std::string yes_no(const KtlsSide& side) {
  return std::string("send ") + (side.send ? "yes" : "no") + ", recv " + (side.recv ? "yes" : "no");
}

KtlsSide ktls_of(SSL* ssl) {
  return {BIO_get_ktls_send(SSL_get_wbio(ssl)) != 0, BIO_get_ktls_recv(SSL_get_rbio(ssl)) != 0};
}

// A handshake with SSL_OP_ENABLE_KTLS on both ends and one record each way; what OpenSSL
// reports afterwards, or false with `error` set.
bool openssl_ktls(KtlsSide& client, KtlsSide& server, std::string& session, std::string& error) {
  cuckood::load::SslCtxPtr server_ctx =
      cuckood::load::self_signed_server_context("ktls-probe", SSL_OP_ENABLE_KTLS, error);
  cuckood::load::SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  LoopbackPair pair;
  if (!server_ctx || !client_ctx || !connect_pair(pair, error)) {
    if (error.empty()) error = openssl_error("SSL_CTX_new failed");
    return false;
  }
  SSL_CTX_set_options(client_ctx.get(), SSL_OP_ENABLE_KTLS);
  SSL* s = SSL_new(server_ctx.get());
  SSL* c = SSL_new(client_ctx.get());
  SSL_set_fd(s, pair.server);
  SSL_set_fd(c, pair.client);
  bool server_ok = false;
  char echo[4] = {};
  std::thread accept([&] {
    server_ok = SSL_accept(s) == 1 && SSL_read(s, echo, sizeof(echo)) == 4 &&
                SSL_write(s, echo, sizeof(echo)) == 4;
  });
  char reply[4] = {};
  const bool client_ok =
      SSL_connect(c) == 1 && SSL_write(c, "ping", 4) == 4 && SSL_read(c, reply, sizeof(reply)) == 4;
  accept.join();
  const bool ok = client_ok && server_ok && std::memcmp(reply, "ping", 4) == 0;
  if (ok) {
    client = ktls_of(c);
    server = ktls_of(s);
    session = std::string(SSL_get_version(c)) + " " + SSL_get_cipher_name(c);
  } else {
    error = "TLS handshake on loopback: " + openssl_error("failed");
  }
  SSL_free(c);
  SSL_free(s);
  return ok;
}

}  // namespace

int main() {
  std::string error;
  bool kernel_usable = false;
  const std::string ulp = kernel_ulp(kernel_usable, error);
  if (!error.empty()) {
    std::fprintf(stderr, "ktls_probe: %s\n", error.c_str());
    return 2;
  }
#ifdef OPENSSL_NO_KTLS
  const std::string openssl_build = " (built without kTLS)";
#else
  const std::string openssl_build = "";
#endif
  KtlsSide client, server;
  std::string session;
  if (!openssl_ktls(client, server, session, error)) {
    std::fprintf(stderr, "ktls_probe: %s\n", error.c_str());
    return 2;
  }
  const bool usable = client.send && client.recv && server.send && server.recv;
  utsname kernel{};
  ::uname(&kernel);
  std::printf(
      "kernel TLS %s on Linux %s: setsockopt(TCP_ULP, \"tls\") on a connected TCP socket: %s; "
      "tcp_available_ulp: %s; %s%s with SSL_OP_ENABLE_KTLS after a %s handshake: client %s; "
      "server %s\n",
      usable ? "usable" : "unavailable", kernel.release, ulp.c_str(), available_ulps().c_str(),
      OpenSSL_version(OPENSSL_VERSION), openssl_build.c_str(), session.c_str(),
      yes_no(client).c_str(), yes_no(server).c_str());
  return usable ? 0 : 1;
}
