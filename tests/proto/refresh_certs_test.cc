// refresh_certs and -Z's lines in `stats` and `stats settings`: memcached's (a TLS build's)
// answers, the reload itself behind proto/certificate_reloader.h (net/tls.h in the server).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "proto/certificate_reloader.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

class ScriptedReloader final : public CertificateReloader {
 public:
  bool reload(std::string& error) noexcept override {
    ++reloads;
    error = next_error;
    return error.empty();
  }
  int reloads = 0;
  std::string next_error;
};

std::map<std::string, std::string> stat_lines(const std::string& reply) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while ((pos = reply.find("STAT ", pos)) != std::string::npos) {
    const size_t space = reply.find(' ', pos + 5);
    const size_t end = reply.find("\r\n", space);
    out[reply.substr(pos + 5, space - pos - 5)] = reply.substr(space + 1, end - space - 1);
    pos = end;
  }
  return out;
}

TEST(RefreshCerts, WithoutTlsAsMemcachedWithoutZ) {
  Env env;
  EXPECT_EQ(env.feed("refresh_certs\r\nrefresh_certs noreply\r\n"),
            "Error TLS not enabled\r\nError TLS not enabled\r\n");
  const auto settings = stat_lines(env.feed("stats settings\r\n"));
  EXPECT_EQ(settings.at("ssl_enabled"), "no");
  EXPECT_EQ(settings.at("ssl_chain_cert"), "(null)");
  EXPECT_EQ(settings.at("ssl_ciphers"), "NULL");
  EXPECT_EQ(settings.at("ssl_min_version"), "tlsv1.2");
  EXPECT_EQ(settings.at("ssl_wbuf_size"), "16384");
  EXPECT_EQ(stat_lines(env.feed("stats\r\n")).count("ssl_handshake_errors"), 0u);
}

TEST(RefreshCerts, ReloadsAndReportsTheReloadersError) {
  Settings s;
  s.tls.enabled = true;
  s.tls.chain_cert = "/c.pem";
  s.tls.key = "/k.pem";
  s.tls.verify_mode = 2;
  s.tls.min_version = 3;
  Env env(s);
  ScriptedReloader reloader;
  env.worker().server.certificates = &reloader;
  env.worker().server.certificates_loaded_at.store(env.worker().ctx.now());
  env.advance(30);
  EXPECT_EQ(stat_lines(env.feed("stats\r\n")).at("time_since_server_cert_refresh"), "30");
  EXPECT_EQ(env.feed("refresh_certs\r\nrefresh_certs noreply\r\n"), "OK\r\n");
  EXPECT_EQ(reloader.reloads, 2);
  EXPECT_EQ(stat_lines(env.feed("stats\r\n")).at("time_since_server_cert_refresh"), "0");
  reloader.next_error = "Error loading the key: /k.pem : error:80000002:system library::No such";
  EXPECT_EQ(env.feed("refresh_certs\r\n"), reloader.next_error + "\r\n");

  const auto settings = stat_lines(env.feed("stats settings\r\n"));
  EXPECT_EQ(settings.at("ssl_enabled"), "yes");
  EXPECT_EQ(settings.at("ssl_chain_cert"), "/c.pem");
  EXPECT_EQ(settings.at("ssl_key"), "/k.pem");
  EXPECT_EQ(settings.at("ssl_verify_mode"), "3");  // SSL_VERIFY_PEER | FAIL_IF_NO_PEER_CERT
  EXPECT_EQ(settings.at("ssl_min_version"), "tlsv1.3");
  const auto stats = stat_lines(env.feed("stats\r\n"));
  EXPECT_EQ(stats.at("ssl_handshake_errors"), "0");
  EXPECT_EQ(stats.count("ssl_new_sessions"), 0u);  // only with ssl_session_cache
}

}  // namespace
}  // namespace cuckood::proto::testing
