// The Cyrus SASL mechanism layer (proto/cyrus_sasl.h) against a sasldb made as memcached's
// users make one: a directory holding memcached.conf (mech_list, sasldb_path) and a user
// added with `saslpasswd2 -a memcached`. Skips where saslpasswd2 (Debian's sasl2-bin) is not
// installed.
#include "proto/cyrus_sasl.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace cuckood::proto {
namespace {

namespace fs = std::filesystem;
using namespace std::string_view_literals;

constexpr const char* kSaslPasswd = "/usr/sbin/saslpasswd2";

// A temporary memcached SASL configuration with user "alice", password "pw".
class SaslConfig {
 public:
  SaslConfig() {
    char pattern[] = "/tmp/cuckood-sasl-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    std::ofstream(dir_ / "memcached.conf")
        << "mech_list: plain cram-md5\nsasldb_path: " << (dir_ / "sasldb2").string() << "\n";
    const std::string command = "echo pw | " + std::string(kSaslPasswd) +
                                " -a memcached -c -p -f " + (dir_ / "sasldb2").string() + " alice";
    made_ = std::system(command.c_str()) == 0;
  }
  ~SaslConfig() { fs::remove_all(dir_); }
  std::string path() const { return dir_.string(); }
  bool made() const { return made_; }

 private:
  fs::path dir_;
  bool made_ = false;
};

TEST(CyrusSasl, AuthenticatesTheUsersOfTheSasldb) {
  if (::access(kSaslPasswd, X_OK) != 0) GTEST_SKIP() << "no saslpasswd2 (sasl2-bin)";
  SaslConfig config;
  ASSERT_TRUE(config.made());
  const std::atomic<int> verbosity{0};
  CyrusSasl sasl(config.path(), verbosity);

  const auto exchange = sasl.open();
  ASSERT_NE(exchange, nullptr);
  std::string mechanisms;
  ASSERT_TRUE(exchange->list_mechanisms(mechanisms));
  EXPECT_EQ(mechanisms, "PLAIN CRAM-MD5");

  EXPECT_EQ(exchange->start("PLAIN", "\0alice\0nope"sv).outcome, SaslOutcome::kFailed);
  EXPECT_EQ(exchange->start("PLAIN", "\0mallory\0pw"sv).outcome, SaslOutcome::kFailed);
  EXPECT_EQ(exchange->start("X-UNKNOWN", "").outcome, SaslOutcome::kFailed);
  EXPECT_EQ(exchange->start("PLAIN", "\0alice\0pw"sv).outcome, SaslOutcome::kAuthenticated);

  // CRAM-MD5 continues with a challenge; a wrong digest then fails.
  const auto other = sasl.open();
  ASSERT_NE(other, nullptr);
  const SaslReply challenge = other->start("CRAM-MD5", "");
  EXPECT_EQ(challenge.outcome, SaslOutcome::kContinue);
  EXPECT_TRUE(challenge.data.starts_with("<")) << challenge.data;
  EXPECT_EQ(other->step("alice 00000000000000000000000000000000").outcome, SaslOutcome::kFailed);
}

TEST(CyrusSasl, WithoutAConfigurationCyrusRefusesToStartAsInMemcached) {
  const std::atomic<int> verbosity{0};
  EXPECT_THROW(CyrusSasl("", verbosity), SaslInitError);
}

TEST(CyrusSasl, TheConfigurationPathComesFromSaslConfPath) {
  ::setenv("SASL_CONF_PATH", "/some/dir", 1);
  EXPECT_EQ(memcached_sasl_conf_path(), "/some/dir");
  ::unsetenv("SASL_CONF_PATH");
  const bool etc =
      fs::exists("/etc/sasl/memcached.conf") || fs::exists("/etc/sasl2/memcached.conf");
  if (!etc) {
    EXPECT_EQ(memcached_sasl_conf_path(), "");
  }
}

}  // namespace
}  // namespace cuckood::proto
